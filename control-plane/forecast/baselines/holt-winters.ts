/**
 * Holt-Winters: additive, with a damped trend, and a daily season when at least two days of
 * history are given (else Holt's damped trend alone). Smoothing constants are fixed, not fitted:
 * it is one candidate among many and the per-user chooser decides whether it fits a user.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { dailyPeriod } from './seasonal';
import { writeSpread } from './spread';

export interface HoltWintersOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  phi?: number;
  /** Most seasons replayed per forecast (bounds the work per series). */
  maxSeasons?: number;
}

export function createHoltWinters(opts: HoltWintersOptions = {}): SeriesForecaster {
  const alpha = opts.alpha ?? 0.2;
  const beta = opts.beta ?? 0.02;
  const gamma = opts.gamma ?? 0.2;
  const phi = opts.phi ?? 0.9;
  const maxSeasons = opts.maxSeasons ?? 4;
  let path = new Float64Array(16);
  let season = new Float64Array(0);

  function trendOnly(h: ArrayLike<number>, H: number): void {
    const n = h.length;
    const from = Math.max(0, n - 96);
    let level = h[from];
    let trend = 0;
    for (let i = from + 1; i < n; i++) {
      const prev = level;
      level = alpha * h[i] + (1 - alpha) * (level + phi * trend);
      trend = beta * (level - prev) + (1 - beta) * phi * trend;
    }
    let damp = 0;
    for (let k = 0; k < H; k++) {
      damp = damp * phi + phi;
      path[k] = level + damp * trend;
    }
  }

  return {
    name: 'holt-winters',
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const n = h.length;
      const H = req.horizon;
      if (path.length < H) path = new Float64Array(H);
      if (n === 0) {
        path.fill(0, 0, H);
        return writeSpread(req, path.subarray(0, H), out);
      }
      const P = dailyPeriod(req.stepMs);
      const m = Math.min(maxSeasons, Math.floor(n / P));
      if (m < 2 || P < 2) {
        trendOnly(h, H);
        return writeSpread(req, path.subarray(0, H), out);
      }
      const start = n - m * P;
      if (season.length < P) season = new Float64Array(P);
      let first = 0;
      let second = 0;
      for (let i = 0; i < P; i++) {
        first += h[start + i];
        second += h[start + P + i];
      }
      first /= P;
      second /= P;
      for (let i = 0; i < P; i++) season[i] = h[start + i] - first;
      let level = first;
      let trend = (second - first) / P;
      for (let i = start + P; i < n; i++) {
        const si = (i - start) % P;
        const prev = level;
        level = alpha * (h[i] - season[si]) + (1 - alpha) * (level + phi * trend);
        trend = beta * (level - prev) + (1 - beta) * phi * trend;
        season[si] = gamma * (h[i] - level) + (1 - gamma) * season[si];
      }
      let damp = 0;
      for (let k = 0; k < H; k++) {
        damp = damp * phi + phi;
        path[k] = level + damp * trend + season[(n + k - start) % P];
      }
      writeSpread(req, path.subarray(0, H), out);
    },
  };
}
