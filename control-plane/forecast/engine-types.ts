/**
 * The forecast engine's public shapes: options, per-cycle context, status. The engine itself is
 * engine.ts (createForecastEngine); sharded-engine.ts implements the same ForecastEngine.
 */
import type { DemandWindows, ForecastBatch } from '../domain/demand';
import type { DemandEvent } from '../domain/event';
import type { SeriesForecaster } from '../domain/forecaster';
import type { UserProfile } from '../domain/user';
import type { CalibrationOptions } from './calibration';
import type { ChooserOptions } from './chooser';
import type { OnnxQuantileModel } from './model/onnx-model';

export interface ForecastEngineOptions {
  /** ONNX model to load; null for baselines only. Ignored when `model` is given. */
  modelFile?: string | null;
  /** An already loaded model. */
  model?: OnnxQuantileModel;
  /** Candidate baselines (default: defaultBaselines() and the intermittent method). */
  baselines?: SeriesForecaster[];
  /** Forecast steps (default 15). */
  horizon?: number;
  /** Output quantile levels, ascending, containing 0.5 (default DEFAULT_QUANTILES). */
  quantiles?: readonly number[];
  /** Lead (steps, 1-based) at which candidates are scored (default 5: the nearest reserved minute). */
  scoringLead?: number;
  /** Reservation level for users without one (default 0.95); snapped to an output quantile. */
  reservationQuantile?: number;
  chooser?: Partial<ChooserOptions>;
  calibration?: Partial<CalibrationOptions>;
  /** Cycles after which an unseen user's state is dropped (default 1440). */
  forgetAfterCycles?: number;
  /** Model a user starts on before any evidence (default: the ONNX model, else "median-12"). */
  coldStartModel?: string;
  /** Called when the model cannot be loaded or run (default: console.warn). */
  onModelError?: (err: Error) => void;
  modelThreads?: number;
  /** Candidates run only for sparse users (default: the intermittent method). */
  sparseOnly?: string[];
  /** A user is sparse when requests were zero in at least this share of the window (default 0.3). */
  sparseShare?: number;
  /**
   * Users are split in this many groups; each cycle one group runs every candidate (exploration),
   * the others only the models they use. Default: one group per 50,000 series (all users explore
   * every cycle up to 10,000 users of 5 resources; at 100,000 users, each every 10 minutes).
   */
  exploreGroups?: number;
  /** Series per exploration group when exploreGroups is not given (50,000; shards divide it). */
  exploreSeriesPerGroup?: number;
  /**
   * Worker threads to split the users across (0, the default: run in the calling thread). Each
   * user stays in one thread; takes `modelFile` and the default baselines only.
   */
  threads?: number;
  /**
   * Fill ForecastBatch.activity: P(requests > 0) per step for the sparse users, by the intermittent
   * method (default true; needs the default baselines).
   */
  activity?: boolean;
  /**
   * Tell the model which resource each series is (default true). The evaluation turns it off: a
   * CSV series is no particular resource.
   */
  resourceFeature?: boolean;
}

export interface ForecastContext {
  /** Tier (for events) and context (device, network) per user. */
  profiles?: ReadonlyMap<string, UserProfile>;
  events?: readonly DemandEvent[];
  /** The user's reservation quantile (their tier's), default the engine's. */
  reservationQuantile?: (user: string, profile: UserProfile | undefined) => number | undefined;
  /** The same, precomputed per user in window order (NaN = the default); wins over the function. */
  reservationQuantiles?: Float32Array;
}

export interface EngineStatus {
  horizon: number;
  quantiles: number[];
  model: string | null;
  modelFile: string | null;
  modelError: string | null;
  candidates: string[];
  /** Whether batches carry ForecastBatch.activity. */
  activity: boolean;
  users: number;
  cycles: number;
  /**
   * Milliseconds spent in each phase of the last cycle (for telemetry and the benchmark): scoring
   * (and pooling idle gaps), choice, baselines at the scoring lead, the intermittent method's batch,
   * the ONNX model's feature building and its onnxruntime run, issuing the quantiles.
   */
  lastCycleMs: Record<
    'scoring' | 'choice' | 'baselines' | 'intermittent' | 'features' | 'onnx' | 'issue',
    number
  >;
}

export interface ForecastEngine {
  forecast(windows: DemandWindows, ctx?: ForecastContext): Promise<ForecastBatch>;
  /**
   * Swap the ONNX model (after promotion or rollback); null = baselines only. A file that cannot be
   * loaded is reported (status().modelError, onModelError) and the current model, if any, stays.
   */
  setModel(model: OnnxQuantileModel | string | null): Promise<void>;
  status(): EngineStatus;
  /**
   * The caller is done with `batch` (values, modelOf, activity): a later forecast() may write its
   * arrays again instead of allocating (30 M values at 100,000 users: touching fresh memory costs
   * ~0.25 s of CPU a cycle). Optional; never for a batch still in use. Batches of another engine
   * or of another shape are ignored.
   */
  recycle?(batch: ForecastBatch): void;
  close(): Promise<void>;
}
