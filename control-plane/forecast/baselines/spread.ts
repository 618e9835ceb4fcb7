/**
 * Turns a baseline's point path into quantiles: the median is the point forecast, the other levels
 * spread by the series' noise scale growing with √h (a random-walk spread). Crude on purpose: the
 * per-user calibration (calibration.ts) rescales every spread to the coverage actually observed.
 */
import type { SeriesForecastRequest } from '../../domain/forecaster';
import { noiseScale as noiseScaleImport } from '../model/features';
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const noiseScale = noiseScaleImport;

/** Steps used to measure a baseline's noise scale and sign. */
export const SCALE_STEPS = 48;

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

const zCache = new Map<number, number>();
export function z(q: number): number {
  let v = zCache.get(q);
  if (v === undefined) zCache.set(q, (v = normalQuantile(q)));
  return v;
}

/** True when none of the last SCALE_STEPS history values is negative (demand never is). */
export function recentlyNonNegative(h: ArrayLike<number>, from = 0, to = h.length): boolean {
  for (let i = Math.max(from, to - SCALE_STEPS); i < to; i++) if (h[i] < 0) return false;
  return true;
}

/** Per-step standard deviation of a random walk whose mean absolute step is s (σ = s·√(π/2)). */
export const MAD_TO_SD = Math.sqrt(Math.PI / 2);

/** The per-step spread σ of history values[from, to). */
export function spreadSigma(values: ArrayLike<number>, from: number, to: number): number {
  return noiseScale(values, from, to, SCALE_STEPS) * MAD_TO_SD;
}

/**
 * Writes out[q * horizon + h] from point[h], spreading by the noise scale. `point` may be shorter
 * than the horizon: its last value is held.
 */
export function writeSpread(req: SeriesForecastRequest, point: ArrayLike<number>, out: Float32Array): void {
  const h0 = req.history;
  const s = spreadSigma(h0, 0, h0.length);
  const nonNeg = recentlyNonNegative(h0);
  const H = req.horizon;
  const qs = req.quantiles;
  for (let q = 0; q < qs.length; q++) {
    const zq = z(qs[q]);
    for (let h = 0; h < H; h++) {
      const p = point[Math.min(h, point.length - 1)];
      let v = p + zq * s * Math.sqrt(h + 1);
      if (nonNeg && v < 0) v = 0;
      out[q * H + h] = v;
    }
  }
}

/** Writes a flat point forecast (every step the same) with the random-walk spread. */
export function writeFlat(req: SeriesForecastRequest, point: number, out: Float32Array): void {
  flat[0] = point;
  writeSpread(req, flat, out);
}
const flat = new Float64Array(1);
