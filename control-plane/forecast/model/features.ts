/**
 * Builds the contract's input tensors from raw history, for inference and for training alike (one
 * code path, so what a model is trained on is exactly what it is served). Rows are filled in place
 * into preallocated typed arrays: at 5×10^5 series a cycle cannot afford an object per row.
 */
import {
  CALENDAR_WIDTH,
  CLIP,
  CONTEXT_WIDTH,
  EVENTS_WIDTH,
  SEASONAL_LAG_DAYS,
  seasonalWidth,
} from './contract';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const TWO_PI = 2 * Math.PI;
const LOG60 = Math.log(60);

/** What a row knows besides its history. All optional; unknown is encoded as the contract says. */
export interface RowContext {
  /** Index into RESOURCES, or -1 when unknown (e.g. an evaluation CSV). */
  resource?: number;
  mobile?: boolean;
  /** 0..1; 1 when unknown. */
  networkQuality?: number;
  /** A planned event is running at the origin. */
  eventNow?: boolean;
  /** A planned event starts within the horizon. */
  eventSoon?: boolean;
}

export class FeatureBatch {
  readonly window: Float32Array;
  readonly seasonal: Float32Array;
  readonly calendar: Float32Array;
  readonly events: Float32Array;
  readonly context: Float32Array;
  /** Per row: the last observed value and the noise scale, to read outputs back as c + s * out. */
  readonly center: Float64Array;
  readonly scale: Float64Array;
  /** Per row: 1 when no history value was negative (outputs are then clamped at 0). */
  readonly nonNegative: Uint8Array;
  readonly seasonalWidth: number;

  constructor(
    readonly windowSteps: number,
    readonly horizon: number,
    readonly capacity: number,
  ) {
    this.seasonalWidth = seasonalWidth(horizon);
    this.window = new Float32Array(capacity * windowSteps);
    this.seasonal = new Float32Array(capacity * this.seasonalWidth);
    this.calendar = new Float32Array(capacity * CALENDAR_WIDTH);
    this.events = new Float32Array(capacity * EVENTS_WIDTH);
    this.context = new Float32Array(capacity * CONTEXT_WIDTH);
    this.center = new Float64Array(capacity);
    this.scale = new Float64Array(capacity);
    this.nonNegative = new Uint8Array(capacity);
  }
}

// A cycle fills every row for the same origin and step: compute their features once.
let calOrigin = NaN;
const calValues = new Float32Array(CALENDAR_WIDTH);
let stepMsSeen = NaN;
let stepValue = 0;

/** sin/cos of the hour of day and of the day of week (UTC) of originMs. */
export function calendarOf(originMs: number): Float32Array {
  if (originMs !== calOrigin) {
    const hour = (((originMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const dow = (((Math.floor(originMs / DAY_MS) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    calValues[0] = Math.sin((TWO_PI * hour) / 24);
    calValues[1] = Math.cos((TWO_PI * hour) / 24);
    calValues[2] = Math.sin((TWO_PI * (dow + hour / 24)) / 7);
    calValues[3] = Math.cos((TWO_PI * (dow + hour / 24)) / 7);
    calOrigin = originMs;
  }
  return calValues;
}

function stepFeature(stepMs: number): number {
  if (stepMs !== stepMsSeen) {
    stepValue = Math.log(Math.max(stepMs, 1000) / 60_000) / LOG60;
    stepMsSeen = stepMs;
  }
  return stepValue;
}

// Local copies: tsx compiles imported constants to a getter call per use, too slow per value.
const LIMIT = CLIP;
const LAG_DAYS: readonly number[] = [...SEASONAL_LAG_DAYS];
const CAL_W = CALENDAR_WIDTH;
const EV_W = EVENTS_WIDTH;
const CX_W = CONTEXT_WIDTH;
function clip(x: number): number {
  return x > LIMIT ? LIMIT : x < -LIMIT ? -LIMIT : x;
}

/**
 * The noise scale s of src[begin, end): mean absolute one-step change over the last `steps`
 * values, floored so flat or idle series do not divide by zero.
 */
export function noiseScale(src: ArrayLike<number>, begin: number, end: number, steps: number): number {
  const from = Math.max(begin, end - steps);
  let diff = 0;
  let abs = 0;
  for (let i = from; i < end; i++) {
    abs += Math.abs(src[i]);
    if (i > from) diff += Math.abs(src[i] - src[i - 1]);
  }
  const n = end - from;
  const meanDiff = n > 1 ? diff / (n - 1) : 0;
  const meanAbs = n > 0 ? abs / n : 0;
  return Math.max(meanDiff, 0.01 * meanAbs, 1e-6);
}

/**
 * Fills row i from history src[begin, end) (oldest first; src[end-1] is the last observed step),
 * for a forecast whose first step starts at originMs.
 */
export function fillRow(
  fb: FeatureBatch,
  i: number,
  src: ArrayLike<number>,
  begin: number,
  end: number,
  originMs: number,
  stepMs: number,
  ctx: RowContext = {},
  /** noiseScale(src, begin, end, 48) when the caller has it (used only when the window is 48). */
  scale48?: number,
): void {
  const W = fb.windowSteps;
  const H = fb.horizon;
  const c = end > begin ? src[end - 1] : 0;
  const s = W === 48 && scale48 !== undefined ? scale48 : noiseScale(src, begin, end, W);
  fb.center[i] = c;
  fb.scale[i] = s;

  // Window: the last W steps, the oldest available value repeated where history is shorter.
  const w0 = i * W;
  const inv = 1 / s;
  const first = end > begin ? src[Math.max(begin, end - W)] : 0;
  const win = fb.window;
  let zeros = 0;
  let abs = 0;
  let nonNeg = 1;
  for (let k = 0; k < W; k++) {
    const j = end - W + k;
    const v = j >= begin ? src[j] : first;
    if (v === 0) zeros++;
    if (v < 0) {
      nonNeg = 0;
      abs -= v;
    } else abs += v;
    const x = (v - c) * inv;
    win[w0 + k] = x > LIMIT ? LIMIT : x < -LIMIT ? -LIMIT : x;
  }
  for (let j = begin; j < end - W; j++) if (src[j] < 0) nonNeg = 0;
  fb.nonNegative[i] = nonNeg;

  // Seasonal: per lag, what happened over the next H steps one day (one week) before, and a mask.
  let o = i * fb.seasonalWidth;
  const seasonal = fb.seasonal;
  for (let d = 0; d < LAG_DAYS.length; d++) {
    const b = end - 1 - Math.round((LAG_DAYS[d] * DAY_MS) / stepMs);
    if (b >= begin && b + H < end) {
      for (let k = 1; k <= H; k++) seasonal[o++] = clip((src[b + k] - src[b]) * inv);
      seasonal[o++] = 1;
    } else {
      seasonal.fill(0, o, o + H + 1);
      o += H + 1;
    }
  }

  const cal = calendarOf(originMs);
  const c0 = i * CAL_W;
  for (let k = 0; k < CAL_W; k++) fb.calendar[c0 + k] = cal[k];

  const ev = i * EV_W;
  fb.events[ev] = ctx.eventNow ? 1 : 0;
  fb.events[ev + 1] = ctx.eventSoon ? 1 : 0;

  const cx = i * CX_W;
  const meanAbs = abs / W;
  fb.context[cx] = stepFeature(stepMs);
  fb.context[cx + 1] = zeros / W;
  fb.context[cx + 2] = meanAbs > 0 ? Math.min(5, s / meanAbs) : 0;
  for (let r = 0; r < 5; r++) fb.context[cx + 3 + r] = ctx.resource === r ? 1 : 0;
  fb.context[cx + 8] = ctx.mobile ? 1 : 0;
  fb.context[cx + 9] = ctx.networkQuality ?? 1;
}

/** Reads a normalised model output back into units (clamped at 0 for series never negative). */
export function denormalise(fb: FeatureBatch, i: number, v: number): number {
  const x = fb.center[i] + fb.scale[i] * v;
  return fb.nonNegative[i] && x < 0 ? 0 : x;
}
