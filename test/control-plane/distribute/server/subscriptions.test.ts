import { strict as assert } from 'node:assert';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { Subscription } from '../../../../control-plane/distribute/server/subscription';
import { CLIENT_TRANSPORTS, Harness, eventually } from '../harness';

const opts = { users: 20 };

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: explicit and wildcard subscriptions (${transport} client)`, () => {
    const h = new Harness(transport);
    beforeEach(() => h.start());
    afterEach(() => h.cleanup());

    it('sends only the subscribed names, and a removal for a name that does not exist', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { subscribe: [userId(1), userId(2), 'nobody'] });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      assert.deepEqual([...c.state.held.keys()].sort(), [userId(1), userId(2)].sort());
      assert.equal(h.server.node('proxy-a')!.removalsSent, 1, '"nobody" was answered with removed_resources');
      assert.equal(h.server.resourceState('proxy-a', userId(3)).state, 'not-subscribed');
    });

    it('sends changes of subscribed names only; subscribing later sends the current version; unsubscribing stops updates', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { subscribe: [userId(1)] });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      h.server.publishChanges({ upsert: [syntheticReservation(5, opts, 1)], systemVersion: 'plan-2' });
      await c.waitFor(() => c.state.systemVersion === 'plan-2');
      assert.equal(c.state.get(userId(5)), undefined);
      assert.equal(c.stats.resources, 1);

      c.subscribe([userId(5)]);
      await c.waitFor(() => c.state.get(userId(5)) !== undefined, 10_000, 'newly subscribed name');
      assert.deepEqual(c.state.get(userId(5))!.reservation, syntheticReservation(5, opts, 1));

      c.unsubscribe([userId(1)]);
      await eventually(() => !h.server.node('proxy-a')!.subscription.startsWith('2'), 'unsubscribe applied');
      const before = c.stats.resources;
      h.server.publishChanges({ upsert: [syntheticReservation(1, opts, 2)], systemVersion: 'plan-3' });
      await c.waitFor(() => c.state.systemVersion === 'plan-3');
      assert.equal(c.stats.resources, before, 'no update for the unsubscribed name');
      assert.equal(c.state.get(userId(1)), undefined);
    });

    it('answers a subscribe even for a name held, or covered by wildcard (discovery.proto)', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { subscribe: [userId(1), userId(2)] });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      c.state.drop(userId(1)); // lost on the client (Envoy: removed and added back between requests)
      c.subscribe([userId(1)]);
      await c.waitFor(() => c.state.get(userId(1)) !== undefined, 10_000, 'user-1 resent');
      const w = h.client('proxy-w', { subscribe: ['*'] });
      await w.waitFor(() => w.state.size === 20);
      w.state.drop(userId(3));
      w.subscribe([userId(3)]);
      await w.waitFor(
        () => w.state.get(userId(3)) !== undefined,
        10_000,
        'user-3 resent to the wildcard stream',
      );
    });

    it('stays wildcard across a reconnect once names were added, and keeps wildcard-covered names on unsubscribe', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a'); // the legacy wildcard form: no names
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      c.subscribe([userId(1)]);
      await eventually(() => h.server.node('proxy-a')!.subscription === 'wildcard + 1 names', 'subscribe');
      c.unsubscribe([userId(1)]);
      await eventually(() => h.server.node('proxy-a')!.subscription === 'wildcard', 'unsubscribe');
      assert.ok(c.state.get(userId(1)), 'still covered by wildcard: kept');
      c.subscribe([userId(2)]);
      c.disconnect();
      await c.waitFor(() => c.stats.connects >= 2 && c.connected, 10_000, 'reconnect');
      // Only user-5 changes: an explicit-only stream (user-2) would get no response at all.
      h.server.publishChanges({ upsert: [syntheticReservation(5, opts, 1)], systemVersion: 'plan-2' });
      await c.waitFor(() => c.state.systemVersion === 'plan-2', 10_000, 'the change, as a wildcard stream');
      assert.deepEqual(c.state.get(userId(5))!.reservation, syntheticReservation(5, opts, 1));
      assert.equal(h.server.node('proxy-a')!.subscription, 'wildcard + 1 names');
    });

    it('leaving wildcard drops what only wildcard covered (the server sends no removal)', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { subscribe: ['*', userId(1)] });
      await c.waitFor(() => c.state.size === 20);
      c.unsubscribe(['*']);
      assert.deepEqual([...c.state.held.keys()], [userId(1)]);
      await eventually(() => h.server.node('proxy-a')!.subscription === '1 names', 'unsubscribe applied');
    });

    it('turns wildcard on with "*" and off by unsubscribing "*"', () => {
      const s = Subscription.initial(['a']);
      assert.equal(s.wildcard, false);
      assert.deepEqual(s.update(['*'], []), { added: [], becameWildcard: true });
      assert.ok(s.covers('anything'));
      s.update([], ['*']);
      assert.ok(!s.covers('anything'));
      assert.ok(s.covers('a'));
      assert.equal(Subscription.initial([]).wildcard, true, 'no names on the first request means wildcard');
    });
  });
