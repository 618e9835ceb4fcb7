/**
 * The intermittent-demand (sparse user) forecasting method, as a SeriesForecaster the per-user
 * chooser can score against the baselines and the ONNX models. See README.md for its semantics.
 */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { DEFAULT_GAP_RANGE } from './gap-histogram';
import { DEFAULT_HAZARD_OPTIONS, HazardOptions, HazardPrior } from './hazard';
import { DEFAULT_SIZE_MEMORY, IntermittentSeries } from './intermittent-series';

export { activityAhead, activityFromHazards } from './activity';
export { IntermittentBatch } from './batch';
export { FleetHazardPrior } from './fleet-prior';
export { GapHistogram, DEFAULT_GAP_RANGE } from './gap-histogram';
export { DEFAULT_HAZARD_OPTIONS, GeometricPrior, seriesHazard } from './hazard';
export type { HazardOptions, HazardPrior } from './hazard';
export { IntermittentSeries } from './intermittent-series';

export interface IntermittentOptions extends Partial<HazardOptions> {
  /**
   * Pooled gap hazard of the whole fleet (a FleetHazardPrior filled from every user's history).
   * Without it each user is shrunk towards its own average activity rate, which is weaker.
   */
  prior?: HazardPrior;
  /** Longest gap with its own histogram bin, in steps (default 240). */
  gapRange?: number;
  /** Recent active-step sizes used for the demand quantiles (default 64). */
  sizeMemory?: number;
  /** Name reported to the chooser (default "intermittent"). */
  name?: string;
}

export function createIntermittentForecaster(opts: IntermittentOptions = {}): SeriesForecaster {
  const options: HazardOptions = {
    priorStrength: opts.priorStrength ?? DEFAULT_HAZARD_OPTIONS.priorStrength,
    smoothing: opts.smoothing ?? DEFAULT_HAZARD_OPTIONS.smoothing,
    smoothFrom: opts.smoothFrom ?? DEFAULT_HAZARD_OPTIONS.smoothFrom,
    smoothWidth: opts.smoothWidth ?? DEFAULT_HAZARD_OPTIONS.smoothWidth,
  };
  const range = opts.gapRange ?? DEFAULT_GAP_RANGE;
  const sizeMemory = opts.sizeMemory ?? DEFAULT_SIZE_MEMORY;
  return {
    name: opts.name ?? 'intermittent',
    forecast(req: SeriesForecastRequest, out: Float32Array): void {
      const horizon = Math.max(0, Math.floor(req.horizon));
      if (horizon === 0) return;
      const series = new IntermittentSeries(horizon, options, range, sizeMemory);
      const h = req.history;
      for (let t = 0; t < h.length; t++) series.observe(h[t]);
      series.quantiles(opts.prior, horizon, req.quantiles, out);
    },
  };
}
