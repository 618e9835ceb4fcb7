/**
 * The fast path most baselines share: a point forecaster writes only its path, and the quantiles
 * are the common random-walk spread around it (spread.ts), computed once per series. The engine
 * calls point() directly on the cycle's flat value array (no per-call allocation); forecast()
 * keeps the SeriesForecaster interface for everything else.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { writeSpread } from './spread';

export interface PointForecaster extends SeriesForecaster {
  /** Point forecasts for steps 1..horizon from history values[from, to) into path[0, horizon). */
  point(
    values: ArrayLike<number>,
    from: number,
    to: number,
    stepMs: number,
    horizon: number,
    path: Float64Array,
  ): void;
  /** The path is the same value at every step: one step tells all (the engine reuses it). */
  readonly flat?: boolean;
}

export function isPointForecaster(f: SeriesForecaster): f is PointForecaster {
  return typeof (f as Partial<PointForecaster>).point === 'function';
}

/** A SeriesForecaster from a point function: forecast = point path + random-walk spread. */
export function pointForecaster(
  name: string,
  point: PointForecaster['point'],
  extra: object = {},
): PointForecaster {
  let path = new Float64Array(16);
  return {
    ...extra,
    name,
    point,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      if (path.length < req.horizon) path = new Float64Array(req.horizon);
      const p = path.subarray(0, req.horizon);
      point(req.history, 0, req.history.length, req.stepMs, req.horizon, p);
      writeSpread(req, p, out);
    },
  };
}
