/**
 * Step 5 of a cycle: each user's issued forecast. The median comes from the user's median model,
 * every other quantile from their reservation model, calibrated by that model's per-series factor
 * and the per-series, per-quantile factor of the issued forecast; quantiles never cross, demand
 * is never negative, and planned events scale the steps they cover.
 */
import type { DemandWindows } from '../domain/demand';
import type { SeriesForecaster, SeriesForecastRequest } from '../domain/forecaster';
import { recentlyNonNegative } from './baselines/spread';
import { calibrated } from './calibration';
import { interpolateLevel, OnnxOutput } from './candidates';
import type { UserEvents } from './events';
import type { PortfolioState } from './portfolio-state';

export interface IssueInput {
  w: DemandWindows;
  slots: Int32Array;
  originMs: number;
  horizon: number;
  quantiles: readonly number[];
  baselines: readonly SeriesForecaster[];
  /** Index of the ONNX model among the candidates, and its output this cycle (if it ran). */
  onnxIndex: number;
  onnx?: OnnxOutput;
  events: (UserEvents | undefined)[];
}

/** The model's output for series i in units, as raw[q * H + h] at the given levels. */
function readOnnx(o: OnnxOutput, i: number, H: number, levels: readonly number[], raw: Float32Array): void {
  const { horizon: MH, quantiles: ml } = o.model.signature;
  const MQ = ml.length;
  const c = o.batch.center[i];
  const s = o.batch.scale[i];
  const nonNeg = o.batch.nonNegative[i] === 1;
  for (let q = 0; q < levels.length; q++)
    for (let h = 0; h < H; h++) {
      const v = c + s * interpolateLevel(ml, o.out, (i * MH + h) * MQ, 1, levels[q]);
      raw[q * H + h] = nonNeg && v < 0 ? 0 : v;
    }
}

export function issue(st: PortfolioState, x: IssueInput): { values: Float32Array; modelOf: Uint16Array } {
  const { w, horizon: H, quantiles } = x;
  const { models: M, resources: R, quantiles: Q, lead: L } = st;
  const U = w.users.length;
  const values = new Float32Array(U * R * Q * H);
  const modelOf = new Uint16Array(U);
  const rawRes = new Float32Array(Q * H);
  const rawMed = new Float32Array(Q * H);
  const req: SeriesForecastRequest = {
    history: w.values,
    originMs: x.originMs,
    stepMs: w.stepMs,
    horizon: H,
    quantiles,
  };
  const qMed = quantiles.indexOf(0.5);
  const slot = ((Math.round(x.originMs / w.stepMs) % L) + L) % L;
  const rFinal = st.ringFinal[slot];
  const run = (m: number, i: number, out: Float32Array) => {
    if (m === x.onnxIndex && x.onnx) readOnnx(x.onnx, i, H, quantiles, out);
    else x.baselines[m].forecast(req, out);
  };
  for (let u = 0; u < U; u++) {
    const su = x.slots[u];
    const mRes = st.reserveModel[su];
    const mMed = st.medianModel[su];
    modelOf[u] = mRes;
    const ev = x.events[u];
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      const s = su * R + r;
      const hist = w.values.subarray(i * w.steps, (i + 1) * w.steps);
      req.history = hist;
      run(mRes, i, rawRes);
      const medSrc = mMed === mRes ? rawRes : (run(mMed, i, rawMed), rawMed);
      const nonNeg = recentlyNonNegative(hist);
      const k = st.k[s * M + mRes];
      const base = i * Q * H;
      for (let h = 0; h < H; h++) {
        const ownMid = rawRes[qMed * H + h];
        const mid = medSrc[qMed * H + h];
        // Outward from the median, so quantiles never cross it or each other.
        let v = nonNeg && mid < 0 ? 0 : mid;
        values[base + qMed * H + h] = v;
        for (let q = qMed + 1; q < Q; q++) {
          const c = calibrated(ownMid, rawRes[q * H + h], k * st.kf[s * Q + q]);
          v = c > v ? c : v;
          values[base + q * H + h] = v;
        }
        v = values[base + qMed * H + h];
        for (let q = qMed - 1; q >= 0; q--) {
          const c = calibrated(ownMid, rawRes[q * H + h], k * st.kf[s * Q + q]);
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
