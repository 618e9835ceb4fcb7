import { strict as assert } from 'node:assert';
import { oracleSchedule, peakInFlight, peakOf } from '../../../sim/baselines/demand-profile';
import { replayBaseline, type BaselineSpec, type ReplaySource } from '../../../sim/baselines/replay';
import type { RequestOutcome } from '../../../sim/instances/request-outcome';

const START = 1_000_000_000;
const MIN = 60_000;
const MB_MS_PER_GB_HOUR = 1024 * 3_600_000;

/** A hand-made trace: arrivals[m] = [user, offset ms] pairs. */
function source(serviceMs: number[], arrivals: Record<number, [number, number][]>): ReplaySource {
  return {
    startMs: START,
    users: serviceMs.map((s) => ({ serviceMs: s })),
    arrivals(m: number) {
      const a = [...(arrivals[m] ?? [])].sort((x, y) => x[1] - y[1] || x[0] - y[0]);
      return { offsetMs: Float64Array.from(a, (x) => x[1]), user: Uint32Array.from(a, (x) => x[0]) };
    },
  };
}

const POOL = {
  instances: [{ id: 'a', memoryMb: 10_000 }],
  userMemoryMb: [100, 200],
  coldStartMs: 500,
  window: { fromMs: START, toMs: START + 20 * MIN },
};

function run(spec: BaselineSpec, src: ReplaySource, toMinute = 20) {
  const out: RequestOutcome[] = [];
  const r = replayBaseline(spec, src, POOL, { fromMinute: 0, toMinute }, (o) => out.push(o));
  return { ...r, out };
}

describe('comparison policies on hand-made traces', () => {
  const src = source([1000, 200], {
    0: [
      [0, 0],
      [0, 100],
      [1, 59_900],
    ],
    1: [[0, 30_000]],
    15: [[0, 0]],
  });

  it('peak in flight per minute counts requests still running from the minute before', () => {
    const p = peakInFlight(src, 0, 3);
    assert.deepEqual(Array.from(p.need), [2, 1, 0, 1, 1, 0]);
    assert.deepEqual(Array.from(peakOf(p)), [2, 1]);
  });

  it("oracle: each minute's need, in place the lead before the minute, only changes listed", () => {
    const p = peakInFlight(src, 0, 3);
    assert.deepEqual(oracleSchedule(p, START, MIN), [
      { atMs: START - MIN, user: 0, slots: 2 },
      { atMs: START - MIN, user: 1, slots: 1 },
      { atMs: START + MIN, user: 0, slots: 1 },
      { atMs: START + 2 * MIN, user: 0, slots: 0 },
      { atMs: START + 2 * MIN, user: 1, slots: 0 },
    ]);
    // A shorter lead: the reservation for minute 1 comes 10 s before it.
    const short = oracleSchedule(p, START, 10_000).filter((c) => c.user === 1);
    assert.deepEqual(short, [
      { atMs: START - 10_000, user: 1, slots: 1 },
      { atMs: START + 2 * MIN, user: 1, slots: 0 },
    ]);
  });

  it('keep-alive: cold on the first request and after a gap longer than the keep-alive, warm in between', () => {
    const r = run({ name: 'keep-alive', keepAliveMs: 10 * MIN }, src);
    const u0 = r.out.filter((o) => o.user === 0);
    assert.deepEqual(
      u0.map((o) => o.coldMs),
      [500, 500, 0, 500],
      'two concurrent first requests both cold; 30 s later warm; 14.5 min later cold again',
    );
    assert.ok(r.out.every((o) => o.served && o.fate === 'unreserved' && !o.fromReservation));
    // user 1: one sandbox from START+59.9 s, busy 700 ms, kept 10 min.
    const u1 = 200 * (500 + 200 + 10 * MIN);
    assert.ok(Math.abs(r.pool.held.gbHoursByUser()[1] - u1 / MB_MS_PER_GB_HOUR) < 1e-12);
  });

  it('static: every user holds its peak from the start, so nothing is cold once warm', () => {
    const later = source([1000, 200], {
      1: [
        [0, 0],
        [0, 100],
        [1, 500],
      ],
      2: [[0, 0]],
    });
    const p = peakInFlight(later, 0, 3);
    const slots = peakOf(p);
    const r = run(
      {
        name: 'static',
        keepAliveMs: 0,
        reservations: Array.from(slots, (s, user) => ({ atMs: START, user, slots: s })),
      },
      later,
      3,
    );
    assert.ok(r.out.every((o) => o.fromReservation && o.coldMs === 0 && o.fate === 'reserved'));
    // Held for the whole replay (3 min): 2 × 100 MB + 1 × 200 MB.
    assert.equal(r.pool.held.reservedMbMs, (2 * 100 + 200) * 3 * MIN);
  });

  it('oracle: no request waits, and it holds exactly need × (minute + lead)', () => {
    const later = source([1000, 200], {
      2: [
        [0, 0],
        [0, 100],
      ],
      5: [[1, 30_000]],
    });
    const p = peakInFlight(later, 0, 8);
    const r = run({ name: 'oracle', keepAliveMs: 0, reservations: oracleSchedule(p, START, MIN) }, later, 8);
    assert.ok(r.out.every((o) => o.fromReservation && o.coldMs === 0 && o.capacityWaitMs === 0));
    // user 0: 2 sandboxes from minute 1 (lead) to minute 3; user 1: 1 sandbox minutes 4..6.
    assert.equal(r.pool.held.reservedMbMs, 2 * 100 * 2 * MIN + 200 * 2 * MIN);
    assert.equal(r.pool.held.keptMbMs, 0);
  });

  it('reactive: requests over the limit get 503 and never reach an instance', () => {
    const burst = source([5000], { 0: [0, 1, 2, 3, 4].map((k): [number, number] => [0, k * 10]) });
    const r = run(
      { name: 'reactive', keepAliveMs: 10 * MIN, limiter: { proxies: 1, route: () => 0, seed: 1 } },
      burst,
      1,
    );
    // The controller starts measuring minRTT at concurrency 3: the 4th and 5th concurrent get 503.
    assert.deepEqual(
      r.out.map((o) => [o.fate, o.served]),
      [
        ['unreserved', true],
        ['unreserved', true],
        ['unreserved', true],
        ['throttled', false],
        ['throttled', false],
      ],
    );
    assert.equal(r.limiters[0].stats.blocked, 2);
  });

  it('is deterministic: the same arrivals give the same outcomes', () => {
    const a = run(
      { name: 'reactive', keepAliveMs: 10 * MIN, limiter: { proxies: 2, route: (u) => u, seed: 3 } },
      src,
    );
    const b = run(
      { name: 'reactive', keepAliveMs: 10 * MIN, limiter: { proxies: 2, route: (u) => u, seed: 3 } },
      src,
    );
    assert.deepEqual(a.out, b.out);
    assert.equal(a.pool.held.gbHours(), b.pool.held.gbHours());
  });
});
