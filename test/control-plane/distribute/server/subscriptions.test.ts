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
