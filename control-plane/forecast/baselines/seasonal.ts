/**
 * Baselines that use the daily cycle: seasonal naive, and a "seasonal delta" that adds to the
 * current level the change the same hours showed on past days. Both need a day of history and
 * say so through minHistorySteps; with less they fall back to their non-seasonal cousins.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import type { HistoryNeeds } from './needs';
import { writeFlat, writeSpread } from './spread';

const DAY_MS = 86_400_000;

export function dailyPeriod(stepMs: number): number {
  return Math.max(1, Math.round(DAY_MS / stepMs));
}

/** The value one day earlier at the same time of day. */
export function createSeasonalNaive(): SeriesForecaster & HistoryNeeds {
  let path = new Float64Array(16);
  return {
    name: 'seasonal-naive',
    minHistorySteps: (stepMs) => dailyPeriod(stepMs),
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const n = h.length;
      const P = dailyPeriod(req.stepMs);
      if (n < P) return writeFlat(req, n > 0 ? h[n - 1] : 0, out);
      if (path.length < req.horizon) path = new Float64Array(req.horizon);
      for (let k = 0; k < req.horizon; k++) path[k] = h[n - P + (k % P)];
      writeSpread(req, path.subarray(0, req.horizon), out);
    },
  };
}

/**
 * Level = mean of the last k steps; plus, averaged over up to `days` past days, how far the value
 * h steps later stood from that day's k-step mean at the same time of day.
 */
export function createSeasonalDelta(k: number, days = 7): SeriesForecaster & HistoryNeeds {
  let path = new Float64Array(16);
  return {
    name: `seasonal-delta-${k}`,
    minHistorySteps: (stepMs) => dailyPeriod(stepMs) + k,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const n = h.length;
      const P = dailyPeriod(req.stepMs);
      const H = req.horizon;
      if (path.length < H) path = new Float64Array(H);
      const kk = Math.min(k, n);
      let level = 0;
      for (let i = n - kk; i < n; i++) level += h[i];
      level = kk > 0 ? level / kk : 0;
      // A past day counts only if its horizon is already observed (n - d·P + H <= n).
      const d = Math.min(days, Math.floor((n - k) / P));
      if (d < 1 || P < H) return writeFlat(req, level, out);
      path.fill(level, 0, H);
      for (let j = 1; j <= d; j++) {
        const b = n - j * P;
        let m = 0;
        for (let i = b - k; i < b; i++) m += h[i];
        m /= k;
        for (let s = 0; s < H; s++) path[s] += (h[b + s] - m) / d;
      }
      writeSpread(req, path.subarray(0, H), out);
    },
  };
}
