import { strict as assert } from 'node:assert';
import { SimClock } from '../../../../control-plane/domain/clock';
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

    it('heartbeats at once what a reconnecting proxy still holds, so its TTL cannot run out before the next tick', async () => {
      // TTL 300 s, heartbeats every 110 s (not a divisor): the proxy hears the tick at T+110 s
      // (deadlines T+410 s), drops at T+150 s and is back at T+350 s with every version current.
      // The next tick is at T+440 s: without a heartbeat on reconnect, everything expires at T+410 s.
      const random = Math.random;
      try {
        const clock = new SimClock(1_000_000);
        const t0 = clock.now();
        await h.start({ clock, ttlMs: 300_000, heartbeatMs: 110_000 });
        h.server.publishPlan(syntheticPlan('plan-1', opts));
        const c = h.client('proxy-a', {
          clock,
          ttlSweepMs: 1000,
          reconnect: { initialMs: 200_000, maxMs: 200_000 },
        });
        await c.waitFor(() => c.state.systemVersion === 'plan-1');
        await clock.advanceTo(t0 + 110_000);
        await c.waitFor(() => c.stats.heartbeats >= 50, 10_000, 'the first tick');
        await clock.advanceTo(t0 + 150_000);
        Math.random = () => 0.5; // the reconnect comes exactly 200 s later
        c.disconnect();
        await c.waitFor(() => !c.connected, 10_000, 'disconnected');
        Math.random = random;
        await clock.advanceTo(t0 + 351_000);
        await c.waitFor(() => c.connected && c.stats.heartbeats >= 100, 10_000, 'heartbeats on reconnect');
        for (let t = t0 + 360_000; t <= t0 + 430_000; t += 10_000) await clock.advanceTo(t);
        assert.equal(c.state.size, 50, 'nothing expired while connected to a live control plane');
      } finally {
        Math.random = random;
      }
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
