/**
 * Champion and challenger scored on the same recent holdout: mean pinball loss over every
 * forecast step and quantile level, in the contract's normalised units (so users of every size
 * weigh alike), computed with onnxruntime exactly as the engine would run the model.
 */
import { CLIP } from '../model/contract';
import { fillRow } from '../model/features';
import type { OnnxQuantileModel } from '../model/onnx-model';

export interface HoldoutSeries {
  values: ArrayLike<number>;
  stepMs: number;
  startMs: number;
  /** Origins scored: from <= t, t + horizon <= to. */
  from: number;
  to: number;
  resource?: number;
}

export async function holdoutLoss(
  model: OnnxQuantileModel,
  series: HoldoutSeries[],
  maxRows = 20000,
): Promise<{ loss: number; rows: number }> {
  const { horizon: H, quantiles } = model.signature;
  const Q = quantiles.length;
  const plan: [number, number][] = [];
  series.forEach((s, si) => {
    for (let t = s.from; t + H <= s.to; t++) plan.push([si, t]);
  });
  // Evenly thinned when large: the decision needs a representative sample, not every row.
  const stride = Math.max(1, Math.ceil(plan.length / maxRows));
  const rows = plan.filter((_, i) => i % stride === 0);
  if (rows.length === 0) return { loss: NaN, rows: 0 };
  const fb = model.newBatch(rows.length);
  rows.forEach(([si, t], i) => {
    const s = series[si];
    fillRow(fb, i, s.values, 0, t, s.startMs + t * s.stepMs, s.stepMs, { resource: s.resource ?? -1 });
  });
  const out = await model.run(fb, rows.length);
  let sum = 0;
  rows.forEach(([si, t], i) => {
    const s = series[si];
    for (let h = 0; h < H; h++) {
      let y = (s.values[t + h] - fb.center[i]) / fb.scale[i];
      y = y > CLIP ? CLIP : y < -CLIP ? -CLIP : y;
      for (let q = 0; q < Q; q++) {
        const e = y - out[(i * H + h) * Q + q];
        sum += e >= 0 ? quantiles[q] * e : (quantiles[q] - 1) * e;
      }
    }
  });
  return { loss: sum / (rows.length * H * Q), rows: rows.length };
}
