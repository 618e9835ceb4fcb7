import * as assert from 'node:assert/strict';
import {
  activityAhead,
  createIntermittentForecaster,
  DEFAULT_HAZARD_OPTIONS,
  FleetHazardPrior,
  GeometricPrior,
  IntermittentSeries,
  seriesHazard,
} from '../../../../control-plane/forecast/intermittent';
import { mulberry32 } from '../../../../sim/random';

/** Dense history with activity (value `size`) at the given steps. */
function history(length: number, active: (t: number) => number): Float32Array {
  return Float32Array.from({ length }, (_, t) => active(t));
}

function forecast(h: Float32Array, horizon: number, quantiles: number[], opts = {}) {
  const out = new Float32Array(horizon * quantiles.length);
  createIntermittentForecaster(opts).forecast(
    { history: h, originMs: 0, stepMs: 60_000, horizon, quantiles },
    out,
  );
  return out;
}

describe('forecast/intermittent: idle-time histogram method', () => {
  it('forecasts nothing for a user never seen active', () => {
    const out = forecast(new Float32Array(100), 5, [0.5, 0.99]);
    assert.deepEqual([...out], new Array(10).fill(0));
  });

  it('expects a timer-like user exactly when it is due (pre-warm) and not in between (no keep-alive)', () => {
    // Active every 10 steps; the last activity was 8 steps before the first forecast step.
    const h = history(190, (t) => (t % 10 === 2 ? 1 : 0));
    const exact = { ...DEFAULT_HAZARD_OPTIONS, smoothing: 0 };
    const series = new IntermittentSeries(15, exact);
    for (const v of h) series.observe(v);
    const p = new Float64Array(15);
    series.activity(undefined, 15, p);
    // The next fire is at step 2 (a gap of 10), then at step 12.
    const high = [2, 12];
    for (let k = 0; k < 15; k++) {
      if (high.includes(k))
        assert.ok(p[k] > (k === 2 ? 0.8 : 0.5), `step ${k}: ${p[k]}`); // the second fire is less sure
      else assert.ok(p[k] < 0.1, `step ${k}: ${p[k]}`);
    }
    const q = forecast(h, 15, [0.5, 0.9], exact);
    const reserved = (qi: number) =>
      [...q.subarray(qi * 15, qi * 15 + 15)].map((v, k) => (v > 0 ? k : -1)).filter((k) => k >= 0);
    assert.deepEqual(reserved(1), high, 'q0.9 reserves exactly the due steps');
    // Smoothing (the default) spreads some of that mass to the neighbouring steps, for jittery timers.
    const smooth = new IntermittentSeries(15);
    for (const v of h) smooth.observe(v);
    smooth.activity(undefined, 15, p);
    assert.ok(p[1] > 0.1 && p[2] > 0.3 && p[3] > 0.1, [...p].map((x) => x.toFixed(2)).join(' '));
    assert.ok(p[6] < 0.05);
  });

  it('gives demand quantiles from recent active sizes, zero where P(active) <= 1 - q', () => {
    // Always active (hazard of a one-step gap is high), sizes 5 and 10 alternating.
    const h = history(200, (t) => (t % 2 ? 10 : 5));
    const out = forecast(h, 3, [0.2, 0.5, 0.9]);
    const series = new IntermittentSeries(3);
    for (const v of h) series.observe(v);
    const p = new Float64Array(3);
    series.activity(undefined, 3, p);
    for (let k = 0; k < 3; k++) {
      for (const [qi, q] of [0.2, 0.5, 0.9].entries()) {
        const tau = (q - (1 - p[k])) / p[k];
        const expected = q <= 1 - p[k] ? 0 : tau <= 0.5 ? 5 : 10;
        assert.equal(out[qi * 3 + k], expected, `q${q} step ${k} (P(active) ${p[k].toFixed(3)})`);
      }
    }
  });

  it('computes P(active) by renewal exactly as enumerating every path', () => {
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 20; trial++) {
      const table = Array.from({ length: 40 }, () => rnd());
      const hazard = (g: number) => table[Math.min(g, 39)];
      const age = Math.floor(rnd() * 10);
      const H = 7;
      const out = new Float64Array(H);
      activityAhead(hazard, age, H, out, new Float64Array(3 * H));
      // Enumerate: state = length of the gap that ends at the next step.
      const brute = new Float64Array(H);
      const walk = (h: number, gap: number, prob: number): void => {
        if (h === H) return;
        const p = hazard(gap);
        brute[h] += prob * p;
        walk(h + 1, 1, prob * p);
        walk(h + 1, gap + 1, prob * (1 - p));
      };
      walk(0, age + 1, 1);
      for (let k = 0; k < H; k++) assert.ok(Math.abs(out[k] - brute[k]) < 1e-12, `trial ${trial} step ${k}`);
    }
  });

  it('shrinks a user with few gaps towards the fleet prior', () => {
    const fleet = new FleetHazardPrior();
    for (let k = 0; k < 500; k++) fleet.addGap(3);
    const one = new IntermittentSeries(5);
    for (const v of [1, 0, 0, 0, 0, 1, 0]) one.observe(v); // one gap of 5 steps
    const o = DEFAULT_HAZARD_OPTIONS;
    const withFleet = seriesHazard(one.gaps, fleet, 3, o);
    const alone = seriesHazard(one.gaps, new GeometricPrior(2 / 7), 3, o);
    assert.ok(withFleet > 0.7, `fleet says gaps end at 3: ${withFleet}`);
    assert.ok(alone < 0.3, `its own rate alone: ${alone}`);
    // With many gaps of its own, the user's histogram wins over the prior.
    const many = new IntermittentSeries(5);
    for (let k = 0; k < 400; k++) many.observe(k % 5 === 0 ? 1 : 0);
    assert.ok(seriesHazard(many.gaps, fleet, 3, o) < 0.1);
    assert.ok(seriesHazard(many.gaps, fleet, 5, { ...o, smoothing: 0 }) > 0.9);
  });

  it('builds the fleet prior from histories', () => {
    const fleet = new FleetHazardPrior();
    fleet.addHistory(history(50, (t) => (t % 4 === 0 ? 1 : 0)));
    fleet.addHistory(new Float32Array(50));
    assert.equal(fleet.gaps.total, 12);
    assert.ok(fleet.hazard(4) > 0.9);
    assert.ok(fleet.hazard(2) < 0.1);
  });

  it('gives the stateless forecaster and the step-by-step series the same answer', () => {
    const rnd = mulberry32(3);
    const fleet = new FleetHazardPrior();
    for (let k = 0; k < 200; k++) fleet.addGap(1 + Math.floor(rnd() * 30));
    for (let trial = 0; trial < 10; trial++) {
      const h = history(300, () => (rnd() < 0.08 ? 1 + Math.floor(rnd() * 5) : 0));
      const quantiles = [0.5, 0.9, 0.95, 0.99];
      const a = forecast(h, 15, quantiles, { prior: fleet });
      const s = new IntermittentSeries(15);
      for (const v of h) s.observe(v);
      const b = new Float32Array(60);
      s.quantiles(fleet, 15, quantiles, b);
      assert.deepEqual([...a], [...b]);
    }
  });

  it('never throws and stays finite on odd input', () => {
    const odd = Float32Array.from([NaN, Infinity, -5, 3, -Infinity, 0, 2, NaN]);
    for (const horizon of [0, 1, 4]) {
      const out = new Float32Array(horizon * 2);
      createIntermittentForecaster().forecast(
        { history: odd, originMs: 0, stepMs: 1, horizon, quantiles: [0.5, 0.99] },
        out,
      );
      for (const v of out) assert.ok(Number.isFinite(v) && v >= 0);
    }
    const empty = new Float32Array(3);
    createIntermittentForecaster().forecast(
      { history: new Float32Array(0), originMs: 0, stepMs: 1, horizon: 3, quantiles: [0.9] },
      empty,
    );
    assert.deepEqual([...empty], [0, 0, 0]);
  });

  it('handles gaps beyond the histogram range with a tail rate', () => {
    const s = new IntermittentSeries(3, DEFAULT_HAZARD_OPTIONS, 20);
    for (let t = 0; t < 400; t++) s.observe(t % 50 === 0 ? 1 : 0);
    assert.equal(s.gaps.tailEvents, 7);
    assert.equal(s.gaps.tailExposure, 7 * 30);
    const rate = seriesHazard(s.gaps, new GeometricPrior(0.5), 25, DEFAULT_HAZARD_OPTIONS);
    assert.ok(Math.abs(rate - (7 + 4 * 0.5) / (210 + 4)) < 1e-12);
  });
});
