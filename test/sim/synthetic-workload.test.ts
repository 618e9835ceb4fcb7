import { strict as assert } from 'node:assert';
import { SyntheticWorkload } from '../../sim/workload/synthetic';

const START = Date.UTC(2026, 0, 5, 0, 0, 0);

describe('synthetic workload', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new SyntheticWorkload({ seed: 7, users: 50, startMs: START });
    const b = new SyntheticWorkload({ seed: 7, users: 50, startMs: START });
    const c = new SyntheticWorkload({ seed: 8, users: 50, startMs: START });
    const series = (w: SyntheticWorkload) =>
      w.users.flatMap((_, u) => [0, 1, 2, 3, 500].map((m) => w.count(u, m)));
    assert.deepEqual(series(a), series(b));
    assert.notDeepEqual(series(a), series(c));
    // Random access: asking in another order gives the same figure.
    assert.equal(a.count(3, 500), b.count(3, 500));
  });

  it('has diurnal, bursty and sparse users with their shapes', () => {
    const w = new SyntheticWorkload({ seed: 1, users: 300, startMs: START });
    const kinds = new Set(w.users.map((u) => u.kind));
    assert.deepEqual([...kinds].sort(), ['bursty', 'diurnal', 'sparse']);

    const diurnal = w.users.find((u) => u.kind === 'diurnal')!;
    const peak = w.rate(diurnal.index, diurnal.peakMinuteOfDay);
    const trough = w.rate(diurnal.index, diurnal.peakMinuteOfDay + 720);
    assert.ok(peak > 5 * trough, `peak ${peak} vs trough ${trough}`);

    const bursty = w.users.find((u) => u.kind === 'bursty')!;
    const inBurst = w.rate(bursty.index, bursty.burstOffsetMin + bursty.burstEveryMin);
    const outside = w.rate(bursty.index, bursty.burstOffsetMin + bursty.burstLengthMin + 1);
    assert.ok(inBurst > 10 * outside, 'bursts recur every period');

    const sparse = w.users.filter((u) => u.kind === 'sparse');
    let idle = 0;
    let total = 0;
    for (const s of sparse) for (let m = 0; m < 200; m++, total++) if (w.count(s.index, m) === 0) idle++;
    assert.ok(idle / total > 0.7, `sparse users are idle most minutes (${idle}/${total})`);
  });

  it('produces sorted arrivals that add up to the per-minute counts', () => {
    const w = new SyntheticWorkload({ seed: 3, users: 40, startMs: START });
    const m = 61;
    const { offsetMs, user } = w.arrivals(m);
    let expected = 0;
    for (let u = 0; u < w.users.length; u++) expected += w.count(u, m);
    assert.equal(offsetMs.length, expected);
    for (let i = 1; i < offsetMs.length; i++) assert.ok(offsetMs[i] >= offsetMs[i - 1]);
    for (let i = 0; i < offsetMs.length; i++)
      assert.ok(offsetMs[i] >= 0 && offsetMs[i] < 60_000 && user[i] < 40);
  });

  it('rejects a non-positive user count', () => {
    assert.throws(() => new SyntheticWorkload({ seed: 1, users: 0, startMs: START }), /positive integer/);
  });
});
