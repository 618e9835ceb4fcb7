/**
 * Empirical quantiles of the last N steps, flat over the horizon: the "percentile of a moving
 * window" recommender of Autopilot, and the reference the issue's pinball ratio divides by (N = a
 * day). A poor point forecaster but often the best judge of a stationary series' tail; the
 * chooser may take it for the reservation quantiles only.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import type { HistoryNeeds } from './needs';
import { dailyPeriod } from './seasonal';

/** `steps` = a number of steps, or "day" for one day at the request's step. */
export function createWindowQuantile(steps: number | 'day'): SeriesForecaster & HistoryNeeds {
  let buf = new Float64Array(64);
  const len = (stepMs: number) => (steps === 'day' ? dailyPeriod(stepMs) : steps);
  return {
    name: `window-quantile-${steps}`,
    minHistorySteps: len,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const n = Math.min(len(req.stepMs), h.length);
      const H = req.horizon;
      if (n === 0) return out.fill(0, 0, req.quantiles.length * H);
      if (buf.length < n) buf = new Float64Array(n);
      const view = buf.subarray(0, n);
      view.set(h.subarray(h.length - n));
      view.sort();
      for (let q = 0; q < req.quantiles.length; q++) {
        const pos = req.quantiles[q] * (n - 1);
        const lo = Math.floor(pos);
        const hi = Math.min(n - 1, lo + 1);
        const v = view[lo] + (view[hi] - view[lo]) * (pos - lo);
        out.fill(v, q * H, (q + 1) * H);
      }
    },
  };
}
