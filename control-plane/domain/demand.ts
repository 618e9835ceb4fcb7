/**
 * Demand and forecasts as dense, columnar arrays: at 10^5-10^6 users, one object per user per
 * minute would dominate the cycle's time and memory, so every stage passes typed arrays.
 */

/**
 * The resources Earmark forecasts and reserves, with their units:
 * requests (count per step: per minute at the usual 60 s step), concurrency (peak concurrent
 * in-flight requests in the step),
 * cpu (millicores), memory (MB), bandwidth (kbps).
 */
export const RESOURCES = ['requests', 'concurrency', 'cpu', 'memory', 'bandwidth'] as const;
export type ResourceKind = (typeof RESOURCES)[number];

/** The quantiles every forecast carries at least (the tier policy picks one per tier). */
export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99];

/** Dense per-user, per-step history: zeros where there was no traffic. */
export interface DemandWindows {
  users: string[];
  resources: readonly ResourceKind[];
  startMs: number;
  stepMs: number;
  steps: number;
  /** values[(u * resources.length + r) * steps + t] */
  values: Float32Array;
}

/** Per-user quantile forecasts over the horizon. */
export interface ForecastBatch {
  /** The first forecast step covers [issuedAtMs, issuedAtMs + stepMs). */
  issuedAtMs: number;
  stepMs: number;
  horizon: number;
  /** Ascending. */
  quantiles: readonly number[];
  resources: readonly ResourceKind[];
  users: string[];
  /** values[((u * resources.length + r) * quantiles.length + q) * horizon + h] */
  values: Float32Array;
  /** Which model produced each user's forecast: index into `models`. */
  modelOf: Uint16Array;
  models: string[];
  /**
   * Optional: activity[u * horizon + h] = P(user u's requests are > 0 at step h), from the
   * intermittent-demand method, for users sparse this cycle (NaN for the others), whatever model
   * gives their quantiles. For pre-warm / keep-alive decisions independent of sizing.
   */
  activity?: Float32Array;
}

export function demandIndex(w: DemandWindows, u: number, r: number, t: number): number {
  return (u * w.resources.length + r) * w.steps + t;
}

export function forecastIndex(b: ForecastBatch, u: number, r: number, q: number, h: number): number {
  return ((u * b.resources.length + r) * b.quantiles.length + q) * b.horizon + h;
}
