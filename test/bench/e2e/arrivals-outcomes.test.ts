import { strict as assert } from 'node:assert';
import { scaleForRate, TraceArrivals } from '../../../bench/e2e/arrivals';
import { OutcomeLog, quantile } from '../../../bench/e2e/outcomes';
import type { ReplayTrace } from '../../../bench/e2e/trace';
import { refusedOutcome } from '../../../sim/instances/request-outcome';

function trace(counts: number[][]): ReplayTrace {
  const minutes = counts[0].length;
  return {
    source: 'test',
    format: 'series',
    users: counts.map((_, u) => ({ id: `u${u}`, durationMs: 10, memoryMb: 100 })),
    minutes,
    counts: Float64Array.from(counts.flat()),
    notes: [],
  };
}

const START = Date.UTC(2026, 0, 5);

describe('e2e arrivals', () => {
  const t = trace([
    [10, 0, 3, 7],
    [0, 5, 5, 1],
  ]);

  it('is deterministic for a seed and places requests in order inside their minute', () => {
    const a = new TraceArrivals(t, START, 1, 42);
    const b = new TraceArrivals(t, START, 1, 42);
    const c = new TraceArrivals(t, START, 1, 43);
    for (let m = 0; m < 4; m++) {
      const x = a.arrivals(m);
      assert.deepEqual(x, b.arrivals(m));
      assert.equal(x.user.length, t.counts[m] + t.counts[4 + m]);
      for (let i = 1; i < x.offsetMs.length; i++) assert.ok(x.offsetMs[i] >= x.offsetMs[i - 1]);
      assert.ok(x.offsetMs.every((o) => o >= 0 && o < 60_000 && Number.isInteger(o)));
    }
    assert.notDeepEqual(a.arrivals(0).offsetMs, c.arrivals(0).offsetMs);
    assert.deepEqual(a.arrivals(99).user, new Uint32Array(0));
  });

  it('scales counts, rounding each user-minute up or down so the total stays right on average', () => {
    const big = trace([Array.from({ length: 2000 }, () => 1)]);
    const half = new TraceArrivals(big, START, 0.5, 1);
    const n = half.total(0, 2000);
    assert.ok(n > 900 && n < 1100, `about half: ${n}`);
    assert.ok([0, 1].includes(half.count(0, 5)));
    assert.equal(new TraceArrivals(t, START, 3, 1).count(1, 1), 15);
    assert.throws(() => new TraceArrivals(t, START, 0, 1), /scale must be > 0/);
  });

  it('finds the scale for an average rate over a window', () => {
    // minutes 1..3: 0+3 + 5+5 = 13 requests in 2 minutes; 1 req/s is 120.
    assert.equal(scaleForRate(t, 1, 3, 1), 120 / 13);
    assert.throws(() => scaleForRate(trace([[0, 0]]), 0, 2, 1), /no requests/);
  });
});

describe('e2e outcome figures', () => {
  const base = { fromReservation: false, warm: false, queueWaitMs: 0, capacityWaitMs: 0, coldMs: 0 };

  it('computes shares, latency percentiles over served requests, and fates that add up', () => {
    const log = new OutcomeLog(START, START + 120_000, 100, 2);
    for (let i = 0; i < 97; i++)
      log.add({
        ...base,
        user: 0,
        atMs: START + i,
        fate: 'reserved',
        served: true,
        fromReservation: true,
        warm: true,
      });
    log.add({ ...base, user: 1, atMs: START, fate: 'unreserved', served: true, coldMs: 1000 });
    log.add({
      ...base,
      user: 1,
      atMs: START + 61_000,
      fate: 'queued',
      served: true,
      queueWaitMs: 40,
      fromReservation: true,
      warm: true,
    });
    log.add(refusedOutcome(1, 'throttled', START + 61_000));
    log.add(refusedOutcome(1, 'throttled', START + 500_000)); // outside the window: not counted
    const s = log.summary('x', 1.5, 1);
    assert.equal(s.requests, 100);
    assert.equal(
      Object.values(s.fates).reduce((a, b) => a + b, 0),
      100,
    );
    assert.deepEqual(s.fates, {
      reserved: 97,
      queued: 1,
      unreserved: 1,
      redirected: 0,
      throttled: 1,
      failed: 0,
    });
    assert.equal(s.servedReservedPct, 98);
    assert.equal(s.coldPct, 1);
    assert.equal(s.throttledPct, 1);
    assert.equal(s.latePct, 1);
    assert.equal(s.rejectedOrLatePct, 2);
    assert.equal(s.p50AddedMs, 0);
    assert.equal(s.p99AddedMs, 1000, 'nearest rank: the 99th of the 99 served');
    assert.equal(s.maxAddedMs, 1000);
    assert.deepEqual(Array.from(log.perMinute.requests), [98, 2]);
    assert.deepEqual(Array.from(log.perUser.bad), [0, 2]);
  });

  it('takes nearest-rank quantiles', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.99), 4);
    assert.equal(quantile([], 0.5), 0);
  });
});
