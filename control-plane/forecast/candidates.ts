/**
 * One cycle's candidate forecasts: the median and reservation quantile at the scoring lead of
 * every model a user needs this cycle (what the chooser scores), plus the ONNX model's full output
 * for the rows it ran on (what a user on that model receives). Baselines run series by series
 * through the CandidateRunner; the ONNX model runs as one batch over the rows that need it.
 */
import type { DemandWindows } from '../domain/demand';
import { FeatureBatch, fillRow as fillRowImport, RowContext } from './model/features';
import type { OnnxQuantileModel } from './model/onnx-model';
import type { CandidateRunner } from './runner';
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const fillRow = fillRowImport;

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
  /** Per series: its row in the batch, or -1 when the model did not run for it. */
  rowOf: Int32Array;
}

/** Builds the model's input rows for the series of `users` (all resources): rowOf[series] (-1 = none), n rows. */
export function onnxFeatures(
  model: OnnxQuantileModel,
  w: DemandWindows,
  originMs: number,
  users: Uint8Array,
  rowContext: (u: number, r: number) => RowContext,
  reuse?: FeatureBatch,
  /** Per series: noiseScale over the last 48 steps (CandidateRunner.scale), saving fillRow a pass. */
  scale48?: Float64Array,
): { batch: FeatureBatch; rowOf: Int32Array; n: number } {
  const R = w.resources.length;
  const S = w.users.length * R;
  const rowOf = new Int32Array(S).fill(-1);
  let n = 0;
  for (let u = 0; u < w.users.length; u++) if (users[u]) for (let r = 0; r < R; r++) rowOf[u * R + r] = n++;
  const batch =
    reuse && reuse.capacity >= n && reuse.windowSteps === model.signature.window
      ? reuse
      : model.newBatch(Math.max(n, 1));
  for (let u = 0; u < w.users.length; u++) {
    if (!users[u]) continue;
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      fillRow(
        batch,
        rowOf[i],
        w.values,
        i * w.steps,
        (i + 1) * w.steps,
        originMs,
        w.stepMs,
        rowContext(u, r),
        scale48?.[i],
      );
    }
  }
  return { batch, rowOf, n };
}

/**
 * Fills med[i * M + m] and q[i * M + m] (uncalibrated) at lead `lead` (1-based) for every series i
 * and baseline m with needs(u, m), at the user's reservation level taus[u].
 */
export function baselinesAtLead(
  run: CandidateRunner,
  M: number,
  lead: number,
  taus: Float32Array,
  needs: (u: number, m: number) => boolean,
  med: Float32Array,
  q: Float32Array,
): void {
  const w = run.w;
  const R = w.resources.length;
  const nb = run.baselines.length;
  const todo: number[] = [];
  for (let u = 0; u < w.users.length; u++) {
    todo.length = 0;
    for (let m = 0; m < nb; m++) if (needs(u, m)) todo.push(m);
    const tau = taus[u];
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      for (const m of todo) run.atLead(m, i, lead, tau, med, q, i * M + m);
    }
  }
}

/** Users whose first resource (requests) was idle in at least `share` of the window's steps. */
export function sparseUsers(w: DemandWindows, share: number): Uint8Array {
  const R = w.resources.length;
  const out = new Uint8Array(w.users.length);
  for (let u = 0; u < w.users.length; u++) {
    const a = u * R * w.steps;
    let zeros = 0;
    for (let t = a; t < a + w.steps; t++) if (w.values[t] === 0) zeros++;
    out[u] = zeros >= share * w.steps ? 1 : 0;
  }
  return out;
}

/** The ONNX model's median and level-tau values at `lead`, in units, into column m of its rows. */
export function onnxAtLead(
  o: OnnxOutput,
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
  for (let i = 0; i < o.rowOf.length; i++) {
    const row = o.rowOf[i];
    if (row < 0) continue;
    const base = (row * H + h) * Q;
    const c = o.batch.center[row];
    const s = o.batch.scale[row];
    let vm = c + s * o.out[base + qMed];
    let vq = c + s * interpolateLevel(levels, o.out, base, 1, taus[(i / R) | 0]);
    if (nonNeg[row]) {
      if (vm < 0) vm = 0;
      if (vq < 0) vq = 0;
    }
    med[i * M + m] = vm;
    q[i * M + m] = vq;
  }
}
