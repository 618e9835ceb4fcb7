/**
 * The intermittent-demand method for sparse users, as the engine runs it: the hybrid-histogram
 * method of ../intermittent/ (the allocation part's, tuned on the Azure Functions replay) shrunk
 * towards the fleet's pooled gap hazard (FleetHazardPrior: on that replay clearly better than each
 * user's own rate). The engine feeds `prior` with every gap its users complete (fleet-gaps.ts) and
 * runs `batch` over the cycle's rows; forecast() is the same method for one series.
 */
import type { SeriesForecaster } from '../../domain/forecaster';
import {
  createIntermittentForecaster,
  FleetHazardPrior,
  IntermittentBatch,
  IntermittentOptions,
} from '../intermittent';
import { DEFAULT_HAZARD_OPTIONS } from '../intermittent/hazard';

export interface FleetIntermittent extends SeriesForecaster {
  /** Pooled gaps of the users this forecaster has seen; empty until fed. */
  readonly prior: FleetHazardPrior;
  readonly batch: IntermittentBatch;
}

export function createFleetIntermittent(opts: Omit<IntermittentOptions, 'prior'> = {}): FleetIntermittent {
  const prior = new FleetHazardPrior(opts.gapRange);
  const single = createIntermittentForecaster({ ...opts, prior });
  const options = {
    priorStrength: opts.priorStrength ?? DEFAULT_HAZARD_OPTIONS.priorStrength,
    smoothing: opts.smoothing ?? DEFAULT_HAZARD_OPTIONS.smoothing,
    smoothFrom: opts.smoothFrom ?? DEFAULT_HAZARD_OPTIONS.smoothFrom,
    smoothWidth: opts.smoothWidth ?? DEFAULT_HAZARD_OPTIONS.smoothWidth,
  };
  return {
    name: single.name,
    forecast: (req, out) => single.forecast(req, out),
    prior,
    batch: new IntermittentBatch(options, prior.range, opts.sizeMemory),
  };
}

export function isFleetIntermittent(f: SeriesForecaster): f is FleetIntermittent {
  const x = f as Partial<FleetIntermittent>;
  return x.prior instanceof FleetHazardPrior && x.batch instanceof IntermittentBatch;
}
