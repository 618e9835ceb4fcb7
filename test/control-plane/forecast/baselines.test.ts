import { strict as assert } from 'node:assert';
import type { SeriesForecaster } from '../../../control-plane/domain/forecaster';
import {
  createHoltWinters,
  createMovingAverage,
  createMovingMedian,
  createSeasonalDelta,
  createSeasonalNaive,
  createSes,
  createTsb,
  createWindowQuantile,
  createFleetIntermittent,
  defaultBaselines,
  naive,
} from '../../../control-plane/forecast/baselines';
import { normalQuantile } from '../../../control-plane/forecast/baselines/spread';

const HOUR = 3_600_000;
const QS = [0.5, 0.9, 0.95, 0.99];

function run(
  f: SeriesForecaster,
  history: number[],
  opts: { horizon?: number; stepMs?: number; quantiles?: number[] } = {},
) {
  const horizon = opts.horizon ?? 3;
  const quantiles = opts.quantiles ?? QS;
  const out = new Float32Array(horizon * quantiles.length);
  f.forecast(
    { history: Float32Array.from(history), originMs: 0, stepMs: opts.stepMs ?? 60_000, horizon, quantiles },
    out,
  );
  const at = (q: number, h: number) => out[quantiles.indexOf(q) * horizon + h];
  return { out, at };
}

describe('baselines', () => {
  it('point forecasts: last value, mean, median, exponential smoothing', () => {
    const h = [1, 2, 3, 4, 5, 6];
    assert.equal(run(naive, h).at(0.5, 2), 6);
    assert.equal(run(createMovingAverage(3), h).at(0.5, 0), 5);
    assert.equal(run(createMovingMedian(6), [1, 100, 2, 3, 4, 5]).at(0.5, 1), 3.5);
    assert.equal(run(createMovingMedian(5), [9, 1, 100, 2, 3]).at(0.5, 0), 3);
    // SES with α = 1 is the last value; with a constant history it is the constant.
    assert.equal(run(createSes(1), h).at(0.5, 0), 6);
    assert.ok(Math.abs(run(createSes(0.2), [7, 7, 7, 7]).at(0.5, 0) - 7) < 1e-6);
  });

  it('spreads quantiles by the noise scale, growing with the lead', () => {
    const { at } = run(naive, [10, 12, 10, 12, 10, 12], { horizon: 4 });
    // Mean absolute step 2 → σ = 2·√(π/2) per step, √h growth.
    const sigma = 2 * Math.sqrt(Math.PI / 2);
    assert.ok(Math.abs(at(0.95, 0) - (12 + normalQuantile(0.95) * sigma)) < 1e-4);
    assert.ok(Math.abs(at(0.95, 3) - (12 + normalQuantile(0.95) * sigma * 2)) < 1e-4);
    assert.ok(at(0.99, 0) > at(0.95, 0) && at(0.95, 0) > at(0.9, 0) && at(0.9, 0) > at(0.5, 0));
  });

  it('seasonal naive repeats yesterday; seasonal delta adds yesterday’s change to today’s level', () => {
    const day = (i: number) => (i % 24) * 10;
    const hist = Array.from({ length: 72 }, (_, i) => day(i) + (i >= 48 ? 5 : 0));
    const sn = run(createSeasonalNaive(), hist, { stepMs: HOUR, horizon: 3 });
    for (let h = 0; h < 3; h++) assert.equal(sn.at(0.5, h), day(72 + h) + 5);
    const sd = run(createSeasonalDelta(1, 2), hist, { stepMs: HOUR, horizon: 3 });
    // Level = last value (23:00 today, 235); plus the mean change from 23:00 to 00:00, 01:00, 02:00
    // one day ago (230 → 5, 15, 25) and two days ago (230 → 0, 10, 20).
    for (let h = 0; h < 3; h++) assert.ok(Math.abs(sd.at(0.5, h) - (235 + 10 * h - 227.5)) < 1e-4);
    // With less than a day they say so (the engine skips them) and still forecast something finite.
    assert.equal(createSeasonalNaive().minHistorySteps(HOUR), 24);
    assert.equal(run(createSeasonalNaive(), [1, 2, 3], { stepMs: HOUR }).at(0.5, 0), 3);
  });

  it('Holt-Winters follows a daily pattern and a trend', () => {
    const hist = Array.from({ length: 24 * 4 }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 24));
    const { at } = run(createHoltWinters(), hist, { stepMs: HOUR, horizon: 6 });
    for (let h = 0; h < 6; h++)
      assert.ok(Math.abs(at(0.5, h) - (100 + 20 * Math.sin((2 * Math.PI * (96 + h)) / 24))) < 2, `step ${h}`);
    const ramp = run(
      createHoltWinters(),
      Array.from({ length: 60 }, (_, i) => 3 * i),
      { horizon: 6 },
    );
    assert.ok(ramp.at(0.5, 5) > ramp.at(0.5, 0) + 1, 'a damped trend still rises over the horizon');
  });

  it('window quantiles are the empirical quantiles of the window', () => {
    const hist = Array.from({ length: 101 }, (_, i) => i);
    const { at } = run(
      createWindowQuantile(101),
      hist.sort(() => 0.5 - Math.random()),
      { quantiles: [0.5, 0.9, 0.99] },
    );
    assert.deepEqual([at(0.5, 0), at(0.9, 2), at(0.99, 1)], [50, 90, 99]);
  });

  it('TSB forecasts zero for the likely-idle levels and the active size above', () => {
    const sparse = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 40 : 0));
    const { at } = run(createTsb(), sparse, { quantiles: [0.5, 0.95] });
    assert.equal(at(0.5, 0), 0);
    assert.ok(at(0.95, 0) > 20, `q0.95 ${at(0.95, 0)}`);
  });

  it('every candidate survives odd histories with finite, ordered, non-negative quantiles', () => {
    const all = [...defaultBaselines(), createTsb(), createFleetIntermittent()];
    const histories = [
      [],
      [0],
      [5],
      Array(50).fill(0),
      Array.from({ length: 3000 }, (_, i) => (i * 7919) % 13),
      [1e9, 0, 1e9, 0],
    ];
    for (const f of all)
      for (const h of histories) {
        const { out } = run(f, h, { horizon: 15, stepMs: 60_000 });
        for (let k = 0; k < out.length; k++)
          assert.ok(Number.isFinite(out[k]) && out[k] >= 0, `${f.name} on ${h.length} values: ${out[k]}`);
        for (let q = 1; q < QS.length; q++)
          for (let s = 0; s < 15; s++)
            assert.ok(out[q * 15 + s] >= out[(q - 1) * 15 + s] - 1e-3, `${f.name}: quantiles cross`);
      }
  });
});
