import { strict as assert } from 'node:assert';
import { syntheticPlan } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { CLIENT_TRANSPORTS, Harness, sleep } from '../harness';

const opts = { users: 50 };
// Ten heartbeats per TTL: a heavily loaded test machine must not expire a heartbeated reservation.
const TTL = 1500;

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: TTL and heartbeats (${transport} client)`, () => {
    const h = new Harness(transport);
    afterEach(() => h.cleanup());

    it('keeps reservations alive with heartbeats well past their TTL', async () => {
      await h.start({ ttlMs: TTL, heartbeatMs: 150 });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { ttlSweepMs: 50 });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      assert.ok(
        [...c.state.held.values()].every((r) => r.expiresAtMs !== undefined),
        'every reservation carries a TTL',
      );
      await sleep(TTL * 3);
      assert.equal(c.state.size, 50);
      assert.ok(c.stats.heartbeats >= 50 * 6, `heartbeats refreshed the TTLs (${c.stats.heartbeats})`);
      assert.equal(c.stats.resources, 50, 'heartbeats carry no bodies: nothing was resent');
      assert.ok(h.server.node('proxy-a')!.heartbeatsSent >= 300);
    });

    it('expires reservations when the control plane dies and stays away', async () => {
      await h.start({ ttlMs: TTL, heartbeatMs: 150 });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { ttlSweepMs: 50 });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const expired: string[] = [];
      c.on('expired', (names) => expired.push(...names));
      await h.server.kill();
      await c.waitFor(() => !c.connected, 5_000, 'disconnect');
      assert.equal(c.state.size, 50, 'the last good state is kept while the TTL runs');
      await c.waitFor(() => c.state.size === 0, 10_000, 'TTL expiry');
      assert.equal(expired.length, 50);
    });

    it('expires reservations when a connected control plane goes quiet (no heartbeats)', async () => {
      await h.start({ ttlMs: TTL, heartbeatMs: 3_600_000 });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { ttlSweepMs: 50 });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      await c.waitFor(() => c.state.size === 0, 10_000, 'TTL expiry');
      assert.ok(c.connected, 'the stream itself stayed up');
    });

    it('sends no TTL and no heartbeats when the TTL is 0', async () => {
      await h.start({ ttlMs: 0 });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      assert.ok([...c.state.held.values()].every((r) => r.expiresAtMs === undefined));
    });
  });
