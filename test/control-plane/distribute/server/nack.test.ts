import { strict as assert } from 'node:assert';
import type { NackInfo } from '../../../../control-plane/distribute/callbacks';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { CLIENT_TRANSPORTS, Harness, eventually } from '../harness';

const opts = { users: 20 };
// The proxy cannot route to this address (think: a cluster it does not know), so it refuses the update.
const UNROUTABLE = '203.0.113.1:1';
const check = (r: { instanceAddress: string }) =>
  r.instanceAddress === UNROUTABLE ? `no route to ${UNROUTABLE}` : undefined;

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: NACK (${transport} client)`, () => {
    const h = new Harness(transport);
    const nacks: NackInfo[] = [];
    beforeEach(async () => {
      nacks.length = 0;
      await h.start({ callbacks: { onNack: (_s, n) => nacks.push(n) } });
    });
    afterEach(() => h.cleanup());

    it('leaves the client on its last good state, and the server records the rejection', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { check });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const snapshot = () =>
        [...c.state.held].map(([n, h]) => [n, h.version, h.expiresAtMs, structuredClone(h.reservation)]);
      const good = snapshot();

      const bad = { ...syntheticReservation(3, opts, 1), instanceAddress: UNROUTABLE };
      const fine = syntheticReservation(4, opts, 1);
      h.server.publishChanges({ upsert: [bad, fine], remove: [userId(5)], systemVersion: 'plan-2' });
      await c.waitFor(() => c.stats.nacks === 1, 10_000, 'the NACK');

      // Nothing of the rejected response was applied: not the bad one, not the good one, not the removal.
      assert.deepEqual(snapshot(), good);
      assert.equal(c.state.systemVersion, 'plan-1');
      assert.match(c.lastNack!.error, /no route to 203\.0\.113\.1:1/);

      await eventually(() => h.server.node('proxy-a')?.nacks === 1, 'server-side NACK record');
      const n = h.server.node('proxy-a')!;
      assert.match(n.lastNack!.message, /no route/);
      assert.equal(n.lastNack!.resources, 2);
      assert.equal(n.ackedSystemVersion, 'plan-1', 'the node still holds plan-1');
      assert.equal(n.rejectedResources, 3, 'two updates and a removal');
      assert.equal(nacks.length, 1);
      assert.deepEqual(h.server.resourceState('proxy-a', userId(3)).state, 'rejected');
      // The proxy refused to remove user 5: it still holds it, which the cache no longer has.
      assert.deepEqual(h.server.resourceState('proxy-a', userId(5)).state, 'rejected');
      assert.ok(h.logger.lines.some((l) => l.level === 'warn' && /NACK/.test(l.msg)));
      assert.equal(
        (await h.registry.getSingleMetricAsString('earmark_distribution_nacks_total')).split('\n').pop(),
        'earmark_distribution_nacks_total 1',
      );
    });

    it('does not resend a rejected version, and applies the next good one', async () => {
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { check });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      h.server.publishChanges({
        upsert: [{ ...syntheticReservation(3, opts, 1), instanceAddress: UNROUTABLE }],
        systemVersion: 'plan-2',
      });
      await c.waitFor(() => c.stats.nacks === 1);
      const responsesAfterNack = c.stats.responses;
      h.server.publishChanges({ upsert: [syntheticReservation(3, opts, 2)], systemVersion: 'plan-3' });
      await c.waitFor(() => c.state.systemVersion === 'plan-3');
      assert.equal(
        c.stats.responses,
        responsesAfterNack + 1,
        'one new response, no retry of the rejected one',
      );
      assert.deepEqual(c.state.get(userId(3))!.reservation, syntheticReservation(3, opts, 2));
      await eventually(
        () => h.server.node('proxy-a')?.rejectedResources === 0,
        'rejection cleared by the newer ACK',
      );
      assert.equal(h.server.resourceState('proxy-a', userId(3)).state, 'acked');
    });
  });
