import * as assert from 'node:assert/strict';
import { RESOURCES } from '../../../../control-plane/domain/demand';
import { createFleetIntermittent } from '../../../../control-plane/forecast/baselines';
import { feedFleetPrior } from '../../../../control-plane/forecast/fleet-gaps';
import {
  createIntermittentForecaster,
  FleetHazardPrior,
  IntermittentBatch,
  IntermittentSeries,
} from '../../../../control-plane/forecast/intermittent';
import { PortfolioState } from '../../../../control-plane/forecast/portfolio-state';
import { mulberry32 } from '../../../../sim/random';

const LEVELS = [0.5, 0.9, 0.95, 0.99];

/** n series of `steps` values: idle, sparse with varied rates and sizes, timers, one busy, odd values. */
function sparseSeries(n: number, steps: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(n * steps);
  for (let s = 0; s < n; s++) {
    const p = [0, 0.02, 0.1, 0.3, 0.9][s % 5];
    const every = 3 + (s % 17);
    for (let t = 0; t < steps; t++) {
      const i = s * steps + t;
      if (s % 7 === 6) v[i] = t % every === 0 ? 1 + (s % 4) : 0;
      else v[i] = rand() < p ? Math.ceil(rand() * 20) : 0;
    }
  }
  // Gaps beyond the histogram's 240-step range, where the window is long enough.
  v.fill(0, 10 * steps, 11 * steps);
  for (const t of [5, 300, 560]) if (t < steps) v[10 * steps + t] = 2;
  v[3 * steps + 5] = NaN;
  v[3 * steps + 9] = Infinity;
  v[8 * steps + 2] = -4;
  return v;
}

describe('forecast/intermittent: batch over a columnar window', () => {
  for (const [steps, horizon] of [
    [60, 15],
    [600, 5],
    [30, 15],
  ])
    it(`gives exactly the single-series forecaster's quantiles (${steps} steps, horizon ${horizon}, with and without a fleet prior)`, () => {
      const n = 70;
      const values = sparseSeries(n, steps, steps);
      const fleet = new FleetHazardPrior();
      for (let s = 0; s < n; s += 2) fleet.addHistory(values.subarray(s * steps, (s + 1) * steps));
      for (const prior of [undefined, fleet]) {
        const batch = new IntermittentBatch();
        const series = Int32Array.from({ length: n }, (_, k) => (k * 13) % n);
        const out = new Float32Array(n * LEVELS.length * horizon);
        const prob = new Float32Array(n * horizon);
        batch.run(values, steps, series, n, prior, horizon, LEVELS, out, prob);
        const activity = new Float32Array(n * horizon);
        batch.activity(values, steps, series, n, prior, horizon, activity);
        assert.deepEqual([...prob], [...activity], 'P(active) from run() and from activity()');
        const p = new Float64Array(horizon);
        const s0 = new IntermittentSeries(horizon);
        for (const v of values.subarray(series[1] * steps, (series[1] + 1) * steps)) s0.observe(v);
        s0.activity(prior, horizon, p);
        assert.deepEqual([...activity.subarray(horizon, 2 * horizon)], [...Float32Array.from(p)]);
        const single = createIntermittentForecaster({ prior });
        const one = new Float32Array(LEVELS.length * horizon);
        let nonZero = 0;
        for (let k = 0; k < n; k++) {
          const s = series[k];
          const history = values.subarray(s * steps, (s + 1) * steps);
          single.forecast({ history, originMs: 0, stepMs: 60_000, horizon, quantiles: LEVELS }, one);
          const got = out.subarray(k * one.length, (k + 1) * one.length);
          assert.deepEqual([...got], [...one], `series ${s} (${prior ? 'fleet prior' : 'own rate'})`);
          for (const x of one) if (x > 0) nonZero++;
        }
        assert.ok(nonZero > n, 'the comparison covers forecasts of activity, not only zeros');
      }
    });

  it('the engine pools only the gaps its sparse users complete, each once, across cycles and beyond the window', () => {
    const R = RESOURCES.length;
    const st = new PortfolioState(2, R, 4, 5, 100);
    const f = createFleetIntermittent();
    const T = 10;
    // User 0 (sparse): requests active at absolute steps 2, 5, 9, then 22; user 1: busy, not sparse.
    const active = new Set([2, 5, 9, 22]);
    const cycle = (origin: number) => {
      const values = new Float32Array(2 * R * T);
      for (let k = 0; k < T; k++) {
        const step = origin - T + k;
        values[k] = active.has(step) ? 3 : 0;
        values[R * T + k] = 1;
      }
      const w = { users: ['a', 'b'], resources: RESOURCES, startMs: 0, stepMs: 60_000, steps: T, values };
      const slots = st.slotsFor(w.users, origin);
      feedFleetPrior(f.prior, st, w, slots, origin, Uint8Array.of(1, 0));
    };
    cycle(10); // first window: gaps 3 and 4 already complete
    assert.equal(f.prior.gaps.total, 2);
    cycle(10); // the same window again adds nothing
    assert.equal(f.prior.gaps.total, 2);
    for (let o = 11; o <= 25; o++) cycle(o); // step 22 ends a 13-step gap, longer than the window
    assert.equal(f.prior.gaps.total, 3);
    assert.equal(f.prior.gaps.eq[3] + f.prior.gaps.eq[4] + f.prior.gaps.eq[13], 3);
  });
});
