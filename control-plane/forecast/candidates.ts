/**
 * One cycle's candidate forecasts: every model's median and reservation quantile at the scoring
 * lead for every series (what the chooser scores), plus the ONNX model's full output (what a user
 * on that model receives). Baselines run series by series; the ONNX model runs as one batch.
 */
import type { DemandWindows } from '../domain/demand';
import type { SeriesForecaster, SeriesForecastRequest } from '../domain/forecaster';
import { fillRow, FeatureBatch, RowContext } from './model/features';
import type { OnnxQuantileModel } from './model/onnx-model';

/** Reads a level tau from an ascending quantile row, interpolating linearly between levels. */
export function interpolateLevel(
  levels: readonly number[],
  row: ArrayLike<number>,
  offset: number,
  stride: number,
  tau: number,
): number {
  const Q = levels.length;
  if (tau <= levels[0]) return row[offset];
  if (tau >= levels[Q - 1]) return row[offset + (Q - 1) * stride];
  let j = 1;
  while (levels[j] < tau) j++;
  const a = row[offset + (j - 1) * stride];
  const b = row[offset + j * stride];
  const w = (tau - levels[j - 1]) / (levels[j] - levels[j - 1]);
  return a + (b - a) * w;
}

export interface OnnxOutput {
  model: OnnxQuantileModel;
  batch: FeatureBatch;
  /** Normalised, out[(row * H + h) * Q + q]. */
  out: Float32Array;
}

/** Builds features for every series of the windows and runs the model. */
export async function runOnnx(
  model: OnnxQuantileModel,
  w: DemandWindows,
  originMs: number,
  rowContext: (u: number, r: number) => RowContext,
  reuse?: FeatureBatch,
): Promise<OnnxOutput> {
  const S = w.users.length * w.resources.length;
  const batch =
    reuse && reuse.capacity >= S && reuse.windowSteps === model.signature.window ? reuse : model.newBatch(S);
  const R = w.resources.length;
  for (let u = 0; u < w.users.length; u++)
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      fillRow(batch, i, w.values, i * w.steps, (i + 1) * w.steps, originMs, w.stepMs, rowContext(u, r));
    }
  return { model, batch, out: await model.run(batch, S) };
}

/**
 * Fills med[i * M + m] and q[i * M + m] (uncalibrated) for every series i and baseline m at lead
 * `lead` (1-based), at the user's reservation level taus[u].
 */
export function baselinesAtLead(
  baselines: readonly SeriesForecaster[],
  usable: Uint8Array,
  M: number,
  w: DemandWindows,
  originMs: number,
  lead: number,
  taus: Float32Array,
  med: Float32Array,
  q: Float32Array,
): void {
  const R = w.resources.length;
  const out = new Float32Array(2 * lead);
  const levels = [0.5, 0.95];
  const req: SeriesForecastRequest = {
    history: w.values,
    originMs,
    stepMs: w.stepMs,
    horizon: lead,
    quantiles: levels,
  };
  for (let u = 0; u < w.users.length; u++) {
    levels[1] = taus[u];
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      req.history = w.values.subarray(i * w.steps, (i + 1) * w.steps);
      for (let m = 0; m < baselines.length; m++) {
        if (!usable[m]) continue;
        baselines[m].forecast(req, out);
        med[i * M + m] = out[lead - 1];
        q[i * M + m] = out[2 * lead - 1];
      }
    }
  }
}

/** The ONNX model's median and level-tau values at `lead`, in units, into column m. */
export function onnxAtLead(
  o: OnnxOutput,
  S: number,
  R: number,
  M: number,
  m: number,
  lead: number,
  taus: Float32Array,
  med: Float32Array,
  q: Float32Array,
): void {
  const { horizon: H, quantiles: levels } = o.model.signature;
  const Q = levels.length;
  const h = Math.min(lead, H) - 1;
  const qMed = levels.indexOf(0.5);
  const nonNeg = o.batch.nonNegative;
  for (let i = 0; i < S; i++) {
    const base = (i * H + h) * Q;
    const c = o.batch.center[i];
    const s = o.batch.scale[i];
    let vm = c + s * o.out[base + qMed];
    let vq = c + s * interpolateLevel(levels, o.out, base, 1, taus[(i / R) | 0]);
    if (nonNeg[i]) {
      if (vm < 0) vm = 0;
      if (vq < 0) vq = 0;
    }
    med[i * M + m] = vm;
    q[i * M + m] = vq;
  }
}
