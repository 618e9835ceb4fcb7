/**
 * Per-user choice among forecasting models by recent cost, the Autopilot way: every model keeps
 * forecasting every user; each user's cost for each model decays exponentially; the user keeps
 * the model they have unless another one has been cheaper by more than the switching penalty.
 *
 * Two choices are made per user, because the best point forecaster is often not the best judge
 * of the tail (a day's empirical quantile bounds a noisy stationary series better than any level
 * model plus spread). Costs of one forecast at the scoring lead, in units of the series' noise
 * scale so that resources add up:
 *   reservation:  pinball_τ(y, q_τ) + underWeight × max(0, y - q_τ)    (τ = the user's tier level)
 *   median:       |y - median|                                        (the point forecast)
 * where q_τ is the model's quantile after its own per-series calibration (calibration.ts).
 * The reservation model supplies every quantile except the median, and is the one reported.
 */
export interface ChooserOptions {
  /** Per-step decay of past costs (0.99 ≈ the last 100 steps count). */
  decay: number;
  /** Switch only when the best model is cheaper than the current one by this fraction. */
  switchPenalty: number;
  underWeight: number;
}

export const DEFAULT_CHOOSER: ChooserOptions = {
  decay: 0.99,
  switchPenalty: 0.02,
  underWeight: 0.5,
};

export function pinball(y: number, q: number, tau: number): number {
  return y >= q ? tau * (y - q) : (1 - tau) * (q - y);
}

/** Cost of one reservation quantile (see the header), in noise scales. */
export function reserveCost(o: ChooserOptions, y: number, q: number, tau: number, scale: number): number {
  return (pinball(y, q, tau) + o.underWeight * (y > q ? y - q : 0)) / scale;
}

/**
 * Picks, for each user slot u in `slots`, the model to use: `cost[u * M + m]` is the decayed cost,
 * `current[u]` the model in use (0xffff = none yet). `usable[m]` masks models that cannot run now.
 */
export function choose(
  o: ChooserOptions,
  cost: Float64Array,
  M: number,
  current: Uint16Array,
  slots: Int32Array,
  usable: Uint8Array,
  preferred: number,
): void {
  for (const u of slots) {
    const base = u * M;
    let best = -1;
    for (let m = 0; m < M; m++) if (usable[m] && (best < 0 || cost[base + m] < cost[base + best])) best = m;
    if (best < 0) continue;
    const cur = current[u];
    // No evidence yet (all costs zero): start on the preferred model.
    if (cost[base + best] === 0 && usable[preferred]) best = preferred;
    if (cur !== 0xffff && usable[cur] && cost[base + best] >= cost[base + cur] * (1 - o.switchPenalty))
      continue;
    current[u] = best;
  }
}
