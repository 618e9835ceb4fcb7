/**
 * Empirical quantiles of the last N steps, flat over the horizon: the "percentile of a moving
 * window" recommender of Autopilot, and the reference the issue's pinball ratio divides by (N = a
 * day). A poor point forecaster but often the best judge of a stationary series' tail; the
 * chooser may take it for the reservation quantiles only.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import type { HistoryNeeds } from './needs';
import { dailyPeriod } from './seasonal';

/** A forecaster whose forecast is flat: one value per level (the engine's fast path). */
export interface LevelForecaster extends SeriesForecaster {
  levelsAt(
    values: ArrayLike<number>,
    from: number,
    to: number,
    stepMs: number,
    levels: readonly number[],
    out: Float64Array,
  ): void;
}

export function isLevelForecaster(f: SeriesForecaster): f is LevelForecaster {
  return typeof (f as Partial<LevelForecaster>).levelsAt === 'function';
}

/** `steps` = a number of steps, or "day" for one day at the request's step. */
export function createWindowQuantile(steps: number | 'day'): LevelForecaster & HistoryNeeds {
  let buf = new Float64Array(64);
  let lv = new Float64Array(8);
  const len = (stepMs: number) => (steps === 'day' ? dailyPeriod(stepMs) : steps);
  const levelsAt: LevelForecaster['levelsAt'] = (v, from, to, stepMs, levels, out) => {
    const n = Math.min(len(stepMs), to - from);
    if (n === 0) return out.fill(0, 0, levels.length);
    if (buf.length < n) buf = new Float64Array(n);
    for (let i = 0; i < n; i++) buf[i] = v[to - n + i];
    // Few levels: selection (linear time) beats a full sort; levels ascend, so each selection
    // only needs the part of the buffer above the previous one.
    let floor = 0;
    for (let q = 0; q < levels.length; q++) {
      const pos = levels[q] * (n - 1);
      const lo = Math.floor(pos);
      select(buf, floor, n - 1, lo);
      let next = Infinity;
      for (let i = lo + 1; i < n; i++) if (buf[i] < next) next = buf[i];
      out[q] = lo + 1 < n ? buf[lo] + (next - buf[lo]) * (pos - lo) : buf[lo];
      floor = lo;
    }
  };
  return {
    name: `window-quantile-${steps}`,
    minHistorySteps: len,
    levelsAt,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const Q = req.quantiles.length;
      if (lv.length < Q) lv = new Float64Array(Q);
      levelsAt(req.history, 0, req.history.length, req.stepMs, req.quantiles, lv);
      for (let q = 0; q < Q; q++) out.fill(lv[q], q * req.horizon, (q + 1) * req.horizon);
    },
  };
}

/** Hoare's selection: afterwards a[k] is the k-th smallest of a[left..right], smaller ones before it. */
function select(a: Float64Array, left: number, right: number, k: number): void {
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}
