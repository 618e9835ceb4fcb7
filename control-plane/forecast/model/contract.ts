/**
 * The model contract (version 1): what a forecasting model file must look like for Earmark to run it.
 * Any ONNX model meeting it drops in, whether trained here (models/train) or exported from PyTorch.
 * models/README.md is the prose version; keep the two in step.
 *
 * One batch row is one (user, resource) series. All inputs are float32 and already normalised by
 * the engine (see features.ts): with c = the last observed value and s = the series' noise scale,
 * every value v is given as (v - c) / s, clipped to [-CLIP, CLIP]; the output is read back as
 * c + s * out, so a model never sees units.
 */
export const CONTRACT_VERSION = 1;

/** Inputs clip to this many noise scales, so a spike cannot dominate a batch. */
export const CLIP = 50;

/** Seasonal lags the `seasonal` input carries, in days (1 = yesterday, 7 = a week ago). */
export const SEASONAL_LAG_DAYS = [1, 7] as const;

/** Width of the `calendar` input: sin/cos of the hour of day, sin/cos of the day of week (UTC). */
export const CALENDAR_WIDTH = 4;
/** Width of the `events` input: [a planned event is running at the origin, one starts within the horizon]. */
export const EVENTS_WIDTH = 2;
/**
 * Width of the `context` input: [log(step minutes)/log(60), share of zero steps in the window,
 * min(5, s / mean|v|), one-hot resource (requests, concurrency, cpu, memory, bandwidth; all zero
 * when unknown), mobile device (0/1), network quality (0..1, 1 when unknown)].
 */
export const CONTEXT_WIDTH = 10;

/** Opset range of the default ONNX domain we accept (onnxruntime-node 1.30 runs all of them). */
export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

export const INPUT_NAMES = ['window', 'seasonal', 'calendar', 'events', 'context'] as const;
export const OUTPUT_NAME = 'quantiles';

/** Metadata keys (ModelProto.metadata_props). */
export const META_CONTRACT = 'earmark.contract';
export const META_QUANTILES = 'earmark.quantiles';
export const META_NAME = 'earmark.name';

/** What a loaded model declares; the engine sizes every buffer from it. */
export interface ModelSignature {
  /** History steps in `window` (>= 8). */
  window: number;
  /** Forecast steps in `quantiles` (>= 1). */
  horizon: number;
  /** Ascending quantile levels of the output's last axis; contains 0.5. */
  quantiles: number[];
  opset: number;
  name: string;
  metadata: Record<string, string>;
}

/** Width of the `seasonal` input for a horizon: per lag, the H changes since the lagged origin and a mask. */
export function seasonalWidth(horizon: number): number {
  return SEASONAL_LAG_DAYS.length * (horizon + 1);
}

/** Expected shape of each input (-1 = the batch dimension, any size or symbolic). */
export function expectedInputShapes(
  window: number,
  horizon: number,
): Record<(typeof INPUT_NAMES)[number], number[]> {
  return {
    window: [-1, window],
    seasonal: [-1, seasonalWidth(horizon)],
    calendar: [-1, CALENDAR_WIDTH],
    events: [-1, EVENTS_WIDTH],
    context: [-1, CONTEXT_WIDTH],
  };
}
