/**
 * Step 5 of a cycle: each user's issued forecast. The median comes from the user's median model,
 * every other quantile from their reservation model, calibrated by that model's per-series factor
 * and the per-series, per-quantile factor of the issued forecast; quantiles never cross, demand
 * is never negative, and planned events scale the steps they cover.
 */
import type { DemandWindows } from '../domain/demand';
import { calibrated as calibratedImport } from './calibration';
import { interpolateLevel, OnnxOutput } from './candidates';
import type { UserEvents } from './events';
import type { IntermittentOutput } from './intermittent-candidate';
import type { PortfolioState } from './portfolio-state';
import type { CandidateRunner } from './runner';
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const calibrated = calibratedImport;

export interface IssueInput {
  w: DemandWindows;
  slots: Int32Array;
  originMs: number;
  horizon: number;
  quantiles: readonly number[];
  runner: CandidateRunner;
  /** Index of the ONNX model among the candidates, and its output this cycle (if it ran). */
  onnxIndex: number;
  onnx?: OnnxOutput;
  /** Index of the intermittent method, and its batch this cycle (if it ran). */
  intermittentIndex: number;
  intermittent?: IntermittentOutput;
  events: (UserEvents | undefined)[];
  /** This cycle's candidate medians, [series * models + model] (NaN = not run). */
  candidateMedians: Float32Array;
  /** Per user u, at [u * blendWidth, (u + 1) * blendWidth): models whose medians are averaged (-1 = none). */
  medianBlend: Int16Array;
  blendWidth: number;
}

/** The model's output for series i in units, as raw[q * H + h] at the given levels. */
function readOnnx(
  o: OnnxOutput,
  i: number,
  H: number,
  levels: readonly number[],
  same: boolean,
  raw: Float32Array,
): void {
  const { horizon: MH, quantiles: ml } = o.model.signature;
  const MQ = ml.length;
  const row = o.rowOf[i];
  const c = o.batch.center[row];
  const s = o.batch.scale[row];
  const nonNeg = o.batch.nonNegative[row] === 1;
  for (let q = 0; q < levels.length; q++)
    for (let h = 0; h < H; h++) {
      const base = (row * MH + h) * MQ;
      const v = c + s * (same ? o.out[base + q] : interpolateLevel(ml, o.out, base, 1, levels[q]));
      raw[q * H + h] = nonNeg && v < 0 ? 0 : v;
    }
}

/** Where issue() writes: a caller's array, user u's block at `index[u]` (the sharded engine's shared output). */
export interface IssueTarget {
  values: Float32Array;
  modelOf: Uint16Array;
  /** User u's block (default u). */
  index?: Int32Array;
  /** ForecastBatch.activity, at the same index (users × horizon). */
  activity?: Float32Array;
}

export function issue(
  st: PortfolioState,
  x: IssueInput,
  into?: IssueTarget,
): { values: Float32Array; modelOf: Uint16Array } {
  const { w, horizon: H, quantiles } = x;
  const { models: M, resources: R, quantiles: Q, lead: L } = st;
  const U = w.users.length;
  const values = into ? into.values : new Float32Array(U * R * Q * H);
  const modelOf = into ? into.modelOf : new Uint16Array(U);
  const rawRes = new Float32Array(Q * H);
  const rawMed = new Float32Array(H);
  const medianOnly = [0.5];
  const mid = new Float64Array(H);
  const qMed = quantiles.indexOf(0.5);
  const K = x.blendWidth;
  const kf = st.kf;
  const kq = new Float64Array(Q);
  const slot = ((Math.round(x.originMs / w.stepMs) % L) + L) % L;
  const rFinal = st.ringFinal[slot];
  const ml = x.onnx?.model.signature.quantiles ?? [];
  const sameLevels = ml.length === Q && ml.every((v, q) => v === quantiles[q]);
  const cand = x.candidateMedians;
  const onnx = x.onnx;
  const runner = x.runner;
  const sparse = x.intermittent;
  const nonNegOf = runner.nonNeg;
  // Per model: its median is one value over the horizon (flat point and level forecasters), so
  // this cycle's candidate median is the whole path and need not be recomputed.
  const flatPoint = Uint8Array.from({ length: M }, (_, m) => (runner.isFlat(m) ? 1 : 0));
  const flatMedian = Uint8Array.from({ length: M }, (_, m) => (runner.medianIsFlat(m) ? 1 : 0));
  const run = (m: number, i: number, levels: readonly number[], out: Float32Array): void => {
    if (m === x.onnxIndex && onnx && onnx.rowOf[i] >= 0)
      readOnnx(onnx, i, H, levels, levels === quantiles && sameLevels, out);
    else if (m === x.intermittentIndex && sparse && sparse.read(i, levels, out)) return;
    else if (flatPoint[m] && !Number.isNaN(cand[i * M + m]))
      runner.fullFlat(i, cand[i * M + m], H, levels, out);
    else runner.full(m, i, H, levels, out);
  };
  for (let u = 0; u < U; u++) {
    const su = x.slots[u];
    const mRes = st.reserveModel[su];
    const ev = x.events[u];
    const at = into?.index ? into.index[u] : u;
    modelOf[at] = mRes;
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      const s = su * R + r;
      const nonNeg = nonNegOf[i] === 1;
      run(mRes, i, quantiles, rawRes);
      // The median: the mean of the blended models' medians.
      let nBlend = 0;
      let flat = 0;
      let paths = 0;
      for (let j = u * K; j < (u + 1) * K; j++) {
        const m = x.medianBlend[j];
        if (m < 0) continue;
        nBlend++;
        const c = cand[i * M + m];
        if (m !== mRes && flatMedian[m] && !Number.isNaN(c)) {
          flat += nonNeg && c < 0 ? 0 : c;
          continue;
        }
        if (paths++ === 0) mid.fill(0);
        if (m === mRes) for (let h = 0; h < H; h++) mid[h] += rawRes[qMed * H + h];
        else {
          run(m, i, medianOnly, rawMed);
          for (let h = 0; h < H; h++) mid[h] += rawMed[h];
        }
      }
      if (paths === 0) mid.fill(0);
      for (let h = 0; h < H; h++) mid[h] = (mid[h] + flat) / nBlend;
      const k = st.k[s * M + mRes];
      for (let q = 0; q < Q; q++) kq[q] = k * kf[s * Q + q];
      const base = (at * R + r) * Q * H;
      for (let h = 0; h < H; h++) {
        const ownMid = rawRes[qMed * H + h];
        // Outward from the median, so quantiles never cross it or each other.
        let v = nonNeg && mid[h] < 0 ? 0 : mid[h];
        values[base + qMed * H + h] = v;
        for (let q = qMed + 1; q < Q; q++) {
          const c = calibrated(ownMid, rawRes[q * H + h], kq[q]);
          v = c > v ? c : v;
          values[base + q * H + h] = v;
        }
        v = values[base + qMed * H + h];
        for (let q = qMed - 1; q >= 0; q--) {
          const c = calibrated(ownMid, rawRes[q * H + h], kq[q]);
          v = c < v ? c : v;
          values[base + q * H + h] = nonNeg && v < 0 ? 0 : v;
        }
        if (ev) for (let q = 0; q < Q; q++) values[base + q * H + h] *= ev.factor[h];
      }
      for (let q = 0; q < Q; q++) rFinal[s * Q + q] = values[base + q * H + L - 1];
    }
  }
  return { values, modelOf };
}
