import { strict as assert } from 'node:assert';
import type { AckInfo, ResponseInfo } from '../../../../control-plane/distribute/callbacks';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import type { ResponseEvent } from '../../../../control-plane/distribute/client/reservation-client';
import { CLIENT_TRANSPORTS, Harness, eventually } from '../harness';

const opts = { users: 300 };

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: snapshot, deltas, removals, ACKs (${transport} client)`, () => {
    const h = new Harness(transport);
    const responses: ResponseInfo[] = [];
    const acks: AckInfo[] = [];
    beforeEach(async () => {
      responses.length = 0;
      acks.length = 0;
      await h.start({
        callbacks: { onResponse: (_s, r) => responses.push(r), onAck: (_s, a) => acks.push(a) },
      });
    });
    afterEach(() => h.cleanup());

    it('sends the initial snapshot: every reservation, then the plan version', async () => {
      const plan = syntheticPlan('plan-1', opts);
      h.server.publishPlan(plan);
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1', 10_000, 'snapshot');
      assert.equal(c.state.size, 300);
      for (const [user, r] of plan.reservations) assert.deepEqual(c.state.get(user)!.reservation, r);
      assert.equal(c.state.get(userId(0))!.version, h.server.cache.get(userId(0))!.version);
    });

    it('sends an empty first response when there is nothing yet, so the proxy knows it is in sync', async () => {
      const c = h.client('proxy-a');
      await c.waitFor(() => c.stats.responses === 1, 10_000, 'first response');
      assert.equal(c.state.size, 0);
    });

    it('sends only the reservations that changed, at their new version', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const before = c.stats.resources;
      const plan2 = syntheticPlan('plan-2', opts);
      for (const i of [5, 6, 7]) plan2.reservations.set(userId(i), syntheticReservation(i, opts, 9));
      h.server.publishPlan(plan2);
      await c.waitFor(() => c.state.systemVersion === 'plan-2');
      assert.equal(c.stats.resources - before, 3);
      assert.deepEqual(c.state.get(userId(6))!.reservation, syntheticReservation(6, opts, 9));
      assert.notEqual(c.state.get(userId(6))!.version, c.state.get(userId(8))!.version);
    });

    it('keeps the updated names of a response event readable after later responses', async () => {
      const events: ResponseEvent[] = [];
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      c.on('response', (e) => events.push(e));
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const plan2 = syntheticPlan('plan-2', opts);
      for (let i = 100; i < 300; i++) plan2.reservations.set(userId(i), syntheticReservation(i, opts, 9));
      h.server.publishPlan(plan2);
      await c.waitFor(() => c.state.systemVersion === 'plan-2');
      // Both responses span many DATA frames (the http2 client reassembles them in one reused buffer).
      assert.deepEqual(events[0].updated, [...syntheticPlan('plan-1', opts).reservations.keys()]);
      assert.deepEqual(
        events[1].updated,
        Array.from({ length: 200 }, (_, i) => userId(100 + i)),
      );
    });

    it('withdraws reservations with removed_resources', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      h.server.publishChanges({ remove: [userId(1), userId(2)], systemVersion: 'plan-2' });
      await c.waitFor(() => c.state.systemVersion === 'plan-2');
      assert.equal(c.state.get(userId(1)), undefined);
      assert.equal(c.state.size, 298);
      assert.equal(c.stats.removals, 2);
    });

    it('records each ACK: the node holds the revision, with the time from publish to ACK', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      h.server.publishChanges({ upsert: [syntheticReservation(1, opts, 5)], systemVersion: 'plan-2' });
      await eventually(() => h.server.node('proxy-a')?.ackedSystemVersion === 'plan-2', 'ACK of plan-2');
      const n = h.server.node('proxy-a')!;
      assert.equal(n.ackedRevision, h.server.cache.revision);
      assert.equal(n.revisionsBehind, 0);
      assert.equal(n.nacks, 0);
      assert.equal(n.acks, c.stats.acks);
      const last = acks[acks.length - 1];
      assert.equal(last.revision, 2);
      assert.ok(last.publishToAckMs !== undefined && last.publishToAckMs >= 0);
      assert.deepEqual(h.server.resourceState('proxy-a', userId(1)), {
        state: 'acked',
        version: h.server.cache.get(userId(1))!.version,
      });
    });

    it('splits a large change set into several responses; only the last completes the revision', async () => {
      await h.cleanup();
      await h.start({ maxResponseBytes: 4096, callbacks: { onResponse: (_s, r) => responses.push(r) } });
      h.server.publishPlan(syntheticPlan('plan-big', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-big');
      assert.ok(responses.length > 5, `expected many responses, got ${responses.length}`);
      assert.ok(responses.slice(0, -1).every((r) => r.revision === undefined && r.systemVersion === ''));
      assert.equal(responses[responses.length - 1].revision, 1);
      assert.equal(c.state.size, 300);
      assert.ok(
        responses.every((r) => r.rawBytes <= 4096 + 512),
        'each response stays near the byte budget',
      );
    });

    it('compresses responses above the threshold when the client accepts gzip, and none when compression is off', async () => {
      const run = async (compression: false | { minBytes: number }, node: string) => {
        await h.cleanup();
        responses.length = 0;
        await h.start({ compression, callbacks: { onResponse: (_s, r) => responses.push(r) } });
        h.server.publishPlan(syntheticPlan('plan-1', opts));
        const c = h.client(node);
        await c.waitFor(() => c.state.systemVersion === 'plan-1');
        assert.equal(c.state.size, 300);
        return responses[0];
      };
      const gz = await run({ minBytes: 1024 }, 'proxy-a');
      assert.ok(gz.compressed);
      assert.ok(gz.bytes < gz.rawBytes / 2);
      const small = await run({ minBytes: 1 << 20 }, 'proxy-b');
      assert.equal(small.compressed, false, 'below the threshold it goes raw');
      const off = await run(false, 'proxy-c');
      assert.equal(off.compressed, false);
      assert.equal(off.bytes, off.rawBytes);
    });
  });
