import { strict as assert } from 'node:assert';
import { CompanionInstances } from '../../../sim/instances/companions';
import { TrafficDriver, type ArrivalSource, type DecisionCounts } from '../../../sim/proxy';
import { SyntheticWorkload } from '../../../sim/workload/synthetic';
import { reservation, rig, T0 } from './support';

/** Runs the synthetic workload for `minutes` through a fresh fleet and control plane. */
async function run(
  minutes: number,
): Promise<{ total: DecisionCounts; perMinute: DecisionCounts[]; served: Record<string, number> }> {
  const r = await rig({ proxies: 2, workers: 2, followMs: 0 });
  try {
    const workload: ArrivalSource = new SyntheticWorkload({ seed: 7, users: 12, startMs: T0 });
    const companions = new CompanionInstances({
      count: 2,
      capacity: { slots: 8, cpuMillicores: 1000, memoryMb: 4096, bandwidthKbps: 1e5 },
    });
    // Half the users reserved (slots 1, queue 300 ms), on companion-1; the rest share the pool.
    const reserved = workload.users.filter((_, i) => i % 2 === 0);
    await r.publish(
      'p1',
      reserved.map((u) =>
        reservation(u.id, {
          instanceAddress: companions.instances[0].address,
          slots: 1,
          maxQueueWaitMs: 300,
        }),
      ),
    );
    // Both runs start their traffic at the same instant: how long the plan took to arrive over gRPC
    // (real time, longer on a loaded machine) must not shift the proxies' tick phase against it.
    // 100 ms at a time, as the proxies would live it (streams and reservation TTLs stay fresh).
    const start = T0 + 90_000;
    assert.ok(r.clock.now() <= start, 'the plan arrived within 90 simulated seconds');
    await r.until(() => r.clock.now() >= start, 'the traffic start');
    assert.equal(r.clock.now(), start);
    const driver = new TrafficDriver({ fleet: r.fleet, workload, companions }, start);
    const perMinute: DecisionCounts[] = [];
    driver.onMinute = (_m, c) => perMinute.push({ ...c });
    driver.attach(r.clock, 250);
    await r.clock.advance(minutes * 60_000 + 10_000);
    driver.detach();
    return { total: { ...driver.total }, perMinute, served: companions.served() };
  } finally {
    await r.close();
  }
}

describe('sim/proxy: traffic driver', function () {
  this.timeout(120_000);

  it('plays a workload through the filter deterministically and accounts for every request', async () => {
    const a = await run(3);
    const b = await run(3);
    assert.deepEqual(a.total, b.total, 'the same workload and plan give the same decisions');
    const t = a.total;
    assert.ok(t.requests > 50, `only ${t.requests} requests`);
    const decided = t.reserved + t.unreserved + t.redirected + t.throttled + t.fail_open + t.fail_closed;
    // Arrivals of the last 10 s may still wait in a queue; none are lost.
    assert.ok(decided <= t.requests && t.requests - decided <= 5, `${decided} decided of ${t.requests}`);
    assert.ok(t.reserved > 0 && t.unreserved > 0);
    assert.equal(a.served['companion-1'], t.reserved, 'reserved requests run on the reserved instance');
    assert.equal(a.served.fallback, t.unreserved + t.redirected + t.fail_open);
    const sum = a.perMinute.reduce((s, c) => s + c.requests, 0);
    assert.ok(a.perMinute.length >= 3 && sum <= t.requests);
  });
});
