/**
 * Training samples in the contract's feature space, built by the same fillRow the engine serves
 * with: one row per (series, origin), its targets the next H values normalised like the inputs.
 */
import {
  CALENDAR_WIDTH,
  CLIP,
  CONTEXT_WIDTH,
  EVENTS_WIDTH,
} from '../../control-plane/forecast/model/contract';
import { FeatureBatch, fillRow, RowContext } from '../../control-plane/forecast/model/features';

export interface TrainingSeries {
  name: string;
  values: ArrayLike<number>;
  stepMs: number;
  /** Epoch ms of values[i] = timeOf(i); default startMs + i * stepMs. */
  timeOf?: (i: number) => number;
  startMs?: number;
  /** Origins t with from <= t and t + horizon <= to (targets stay inside [.., to)). */
  from: number;
  to: number;
  /** Total weight of this series' samples (default 1); spread evenly over its origins. */
  weight?: number;
  /** Use every stride-th origin (default 1). */
  stride?: number;
  context?: RowContext;
}

export interface TrainingSet {
  n: number;
  features: number;
  horizon: number;
  /** Row-major [n, features]: window, seasonal, calendar, events, context. */
  x: Float32Array;
  /** Row-major [n, horizon], normalised targets. */
  y: Float32Array;
  /** Sample weights, mean 1. */
  w: Float32Array;
}

export function featureCount(window: number, horizon: number): number {
  return (
    new FeatureBatch(window, horizon, 0).seasonalWidth +
    window +
    CALENDAR_WIDTH +
    EVENTS_WIDTH +
    CONTEXT_WIDTH
  );
}

function origins(s: TrainingSeries, window: number, horizon: number): number[] {
  const out: number[] = [];
  for (let t = Math.max(s.from, Math.min(window, s.to)); t + horizon <= s.to; t += s.stride ?? 1) out.push(t);
  return out;
}

export function buildTrainingSet(series: TrainingSeries[], window: number, horizon: number): TrainingSet {
  const plan = series.map((s) => origins(s, window, horizon));
  const n = plan.reduce((a, o) => a + o.length, 0);
  const F = featureCount(window, horizon);
  const fb = new FeatureBatch(window, horizon, 1);
  const x = new Float32Array(n * F);
  const y = new Float32Array(n * horizon);
  const w = new Float32Array(n);
  const totalWeight = series.reduce((a, s, i) => a + (plan[i].length ? (s.weight ?? 1) : 0), 0);
  let row = 0;
  series.forEach((s, si) => {
    const ts = plan[si];
    const per = ts.length ? ((s.weight ?? 1) / totalWeight) * (n / ts.length) : 0;
    const timeOf = s.timeOf ?? ((i: number) => (s.startMs ?? 0) + i * s.stepMs);
    for (const t of ts) {
      fillRow(fb, 0, s.values, 0, t, timeOf(t - 1) + s.stepMs, s.stepMs, s.context);
      let o = row * F;
      for (const part of [fb.window, fb.seasonal, fb.calendar, fb.events, fb.context]) {
        x.set(part, o);
        o += part.length;
      }
      const c = fb.center[0];
      const sc = fb.scale[0];
      for (let h = 0; h < horizon; h++) {
        const v = (s.values[t + h] - c) / sc;
        y[row * horizon + h] = v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
      }
      w[row] = per;
      row++;
    }
  });
  return { n, features: F, horizon, x, y, w };
}

/** Rows [a, b) of a set (views, no copy). */
export function sliceSet(s: TrainingSet, a: number, b: number): TrainingSet {
  return {
    n: b - a,
    features: s.features,
    horizon: s.horizon,
    x: s.x.subarray(a * s.features, b * s.features),
    y: s.y.subarray(a * s.horizon, b * s.horizon),
    w: s.w.subarray(a, b),
  };
}
