/**
 * InfluxDB going away while the service runs: cycles fail at their first stage and say so, the last
 * good plan stays in force on the proxies (which keep admitting on it), the API answers 503 for
 * what needs the store (and /readyz says degraded but stays ready), and the usage proxies report meanwhile is not lost: it is in InfluxDB once
 * it is back, and the next cycle publishes again.
 */
import { strict as assert } from 'node:assert';
import type { ProxyRequest } from '../../../sim/proxy';
import { testInflux } from '../../support/influx';
import { InfluxRelay } from './influx-relay';
import { MINUTE, startWorld, type World } from './support';

describe('control-plane/service: InfluxDB unreachable while running (SimClock, emulated proxies)', function () {
  this.timeout(180_000);
  let w: World | undefined;
  let relay: InfluxRelay | undefined;
  afterEach(async () => {
    await relay?.restore().catch(() => undefined);
    await w?.close();
    await relay?.cut();
    w = relay = undefined;
  });

  it('keeps the last plan in force, says why, and loses no usage', async () => {
    relay = await InfluxRelay.to((await testInflux()).url);
    w = await startWorld({ warmupSteps: 0 }, { influxUrl: relay.url });
    await w.cp.cycle.idle();
    await w.minute();
    const good = w.cp.currentPlan()!.version;
    assert.equal(w.cp.status().cycle.last!.ok, true);

    const decided: ProxyRequest[] = [];
    w.driver.onDecision = (r) => void decided.push(r);
    const outageFrom = w.clock.now();
    await relay.cut();
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(MINUTE);
      await w.cp.cycle.idle();
    }
    const outageTo = Math.floor(w.clock.now() / MINUTE) * MINUTE;
    const st = w.cp.status().cycle;
    assert.equal(st.last!.ok, false);
    assert.equal(st.last!.failedStage, 'read');
    assert.match(st.last!.error!, /127\.0\.0\.1:\d+|unreachable|ECONNREFUSED/i);
    assert.equal(st.planVersion, good, 'the last good plan stays in force');
    assert.deepEqual(w.fleet.planVersions(), [good], 'and on the proxy');
    const during = decided.filter((r) => r.sentAtMs >= outageFrom && r.sentAtMs < outageTo);
    assert.ok(during.length > 0);
    assert.ok(
      during.filter((r) => r.user === 'steady-gold').every((r) => r.decision === 'reserved'),
      'the proxy kept admitting on the reservations it holds',
    );
    const headers = { authorization: `Bearer ${w.settings.apiToken}` };
    assert.equal((await fetch(`${w.cp.apiUrl}/v1/plan`, { headers })).status, 200, 'the live plan is served');
    const users = await fetch(`${w.cp.apiUrl}/v1/users`, { headers });
    assert.equal(users.status, 503);
    assert.equal(((await users.json()) as { error: { code: string } }).error.code, 'DEPENDENCY_UNAVAILABLE');
    // Degraded, not unready: the pod must stay in its Service so proxies can reconnect to the plan.
    const rz = await fetch(`${w.cp.apiUrl}/readyz`);
    const ready = (await rz.json()) as {
      ready: boolean;
      degraded: boolean;
      checks: { name: string; ok: boolean; degradesOnly?: boolean }[];
    };
    assert.equal(rz.status, 200, JSON.stringify(ready));
    assert.deepEqual([ready.ready, ready.degraded], [true, true]);
    const failing = ready.checks.filter((c) => !c.ok);
    assert.deepEqual(failing.map((c) => c.name).sort(), ['cycle', 'store']);
    assert.ok(failing.every((c) => c.degradesOnly === true));

    await relay.restore();
    const world = w;
    await world.until(() => world.cp.status().cycle.last!.ok, 'a cycle succeeding again');
    await world.until(() => world.cp.currentPlan()!.version !== good, 'a new plan');

    // Every request the proxy decided during the outage reaches InfluxDB (per user).
    const sentBy = (user: string) => during.filter((q) => q.user === user).length;
    const storedBy = async (): Promise<Record<string, number>> => {
      await world.cp.store.flush();
      const windows = await world.cp.store.readDemandWindows({ fromMs: outageFrom, toMs: outageTo });
      const r = windows.resources.indexOf('requests');
      const out: Record<string, number> = {};
      for (const user of world.workload.users.map((x) => x.id)) {
        const u = windows.users.indexOf(user);
        let n = 0;
        if (u >= 0) {
          const base = (u * windows.resources.length + r) * windows.steps;
          for (let t = 0; t < windows.steps; t++) n += windows.values[base + t];
        }
        out[user] = n;
      }
      return out;
    };
    const expected = Object.fromEntries(world.workload.users.map((u) => [u.id, sentBy(u.id)]));
    let stored = await storedBy();
    for (let i = 0; i < 100 && JSON.stringify(stored) !== JSON.stringify(expected); i++) {
      await world.clock.advance(1000);
      await new Promise((res) => setTimeout(res, 100));
      stored = await storedBy();
    }
    assert.deepEqual(stored, expected, 'requests stored for the outage, per user');
  });
});
