/**
 * Teunter-Syntetos-Babai (TSB) for intermittent demand: smooths the probability that a step has
 * any demand and the size of non-zero demand separately. A simpler alternative to the engine's
 * intermittent method (../intermittent/, run through intermittent.ts); not a default candidate.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { z } from './spread';

export interface TsbOptions {
  /** Smoothing of the non-zero size. */
  alpha?: number;
  /** Smoothing of the occurrence probability. */
  beta?: number;
  /** Steps replayed per forecast. */
  span?: number;
}

export function createTsb(opts: TsbOptions = {}): SeriesForecaster {
  const alpha = opts.alpha ?? 0.2;
  const beta = opts.beta ?? 0.05;
  const span = opts.span ?? 240;
  return {
    name: 'tsb',
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const from = Math.max(0, h.length - span);
      let p = 0;
      let size = 0;
      let dev = 0;
      let seen = false;
      for (let i = from; i < h.length; i++) {
        const v = h[i];
        const hit = v > 0 ? 1 : 0;
        p += beta * (hit - p);
        if (hit) {
          if (!seen) {
            size = v;
            seen = true;
          } else {
            dev += alpha * (Math.abs(v - size) - dev);
            size += alpha * (v - size);
          }
        }
      }
      // Demand is zero with probability 1 - p, else around `size` with spread from `dev`.
      const sd = Math.max(dev * 1.25, 0.1 * size);
      const H = req.horizon;
      for (let q = 0; q < req.quantiles.length; q++) {
        const tau = req.quantiles[q];
        const cond = p > 0 ? (tau - (1 - p)) / p : -1;
        const v = cond <= 0 ? 0 : Math.max(0, size + z(Math.min(cond, 0.999)) * sd);
        for (let k = 0; k < H; k++) out[q * H + k] = v;
      }
    },
  };
}
