/**
 * Holt-Winters: additive, with a damped trend, and a daily season when at least two days of
 * history are given (else Holt's damped trend alone). Smoothing constants are fixed, not fitted:
 * it is one candidate among many and the per-user chooser decides whether it fits a user.
 */
import { dailyPeriod } from './seasonal';
import { PointForecaster, pointForecaster } from './point';

export interface HoltWintersOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  phi?: number;
  /** Most seasons replayed per forecast (bounds the work per series). */
  maxSeasons?: number;
}

export function createHoltWinters(opts: HoltWintersOptions = {}): PointForecaster {
  const alpha = opts.alpha ?? 0.2;
  const beta = opts.beta ?? 0.02;
  const gamma = opts.gamma ?? 0.2;
  const phi = opts.phi ?? 0.9;
  const maxSeasons = opts.maxSeasons ?? 4;
  let season = new Float64Array(0);

  function damped(
    level: number,
    trend: number,
    H: number,
    path: Float64Array,
    seasonal?: (k: number) => number,
  ): void {
    let damp = 0;
    for (let k = 0; k < H; k++) {
      damp = damp * phi + phi;
      path[k] = level + damp * trend + (seasonal ? seasonal(k) : 0);
    }
  }

  return pointForecaster('holt-winters', (v, from, to, stepMs, H, path) => {
    const n = to - from;
    if (n === 0) return path.fill(0, 0, H);
    const P = dailyPeriod(stepMs);
    const m = Math.min(maxSeasons, Math.floor(n / P));
    if (m < 2 || P < 2) {
      const a = Math.max(from, to - 96);
      let level = v[a];
      let trend = 0;
      for (let i = a + 1; i < to; i++) {
        const prev = level;
        level = alpha * v[i] + (1 - alpha) * (level + phi * trend);
        trend = beta * (level - prev) + (1 - beta) * phi * trend;
      }
      return damped(level, trend, H, path);
    }
    const start = to - m * P;
    if (season.length < P) season = new Float64Array(P);
    let first = 0;
    let second = 0;
    for (let i = 0; i < P; i++) {
      first += v[start + i];
      second += v[start + P + i];
    }
    first /= P;
    second /= P;
    for (let i = 0; i < P; i++) season[i] = v[start + i] - first;
    let level = first;
    let trend = (second - first) / P;
    for (let i = start + P; i < to; i++) {
      const si = (i - start) % P;
      const prev = level;
      level = alpha * (v[i] - season[si]) + (1 - alpha) * (level + phi * trend);
      trend = beta * (level - prev) + (1 - beta) * phi * trend;
      season[si] = gamma * (v[i] - level) + (1 - gamma) * season[si];
    }
    damped(level, trend, H, path, (k) => season[(to + k - start) % P]);
  });
}
