/**
 * Online calibration of quantile spreads (adaptive conformal, multiplicative form). A quantile q_τ
 * is read as median + k·(raw_τ - median); after each observation y,
 *   k ← k · exp(sign(τ - ½) · η · (1{y > q_τ} - (1 - τ)) / min(τ, 1 - τ))
 * so k grows after a miss and shrinks slowly while covered. The long-run share of misses then
 * tends to 1 - τ whatever the model's own spread: it is what makes "q0.95" mean 95 %.
 */
export interface CalibrationOptions {
  /** Step size η (0.001: one miss at τ = 0.95 widens the spread by ~2 %, a covered step narrows it 0.1 %). */
  rate: number;
  minFactor: number;
  maxFactor: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { rate: 0.001, minFactor: 0.05, maxFactor: 50 };

/** The updated factor after observing y against a calibrated quantile q at level tau. */
export function updateFactor(o: CalibrationOptions, k: number, tau: number, y: number, q: number): number {
  if (tau === 0.5) return k;
  const g = (y > q ? 1 : 0) - (1 - tau);
  const step = (Math.sign(tau - 0.5) * o.rate * g) / Math.min(tau, 1 - tau);
  const next = k * Math.exp(step);
  return next < o.minFactor ? o.minFactor : next > o.maxFactor ? o.maxFactor : next;
}

export function calibrated(median: number, raw: number, k: number): number {
  return median + (raw - median) * k;
}
