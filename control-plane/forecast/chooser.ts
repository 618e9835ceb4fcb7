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
  /** Per-step decay of past costs (0.995: the last ~200 steps count). */
  decay: number;
  /** Switch only when the best model is cheaper than the current one by this fraction. */
  switchPenalty: number;
  underWeight: number;
  /** The issued median averages the medians of this many models of lowest median cost (1 = the chosen one). */
  blend: number;
}

export const DEFAULT_CHOOSER: ChooserOptions = {
  decay: 0.995,
  switchPenalty: 0.02,
  underWeight: 0.5,
  blend: 2,
};

export function pinball(y: number, q: number, tau: number): number {
  return y >= q ? tau * (y - q) : (1 - tau) * (q - y);
}

/** Cost of one reservation quantile (see the header), in noise scales. */
export function reserveCost(o: ChooserOptions, y: number, q: number, tau: number, scale: number): number {
  return (pinball(y, q, tau) + o.underWeight * (y > q ? y - q : 0)) / scale;
}

/**
 * Picks, for each user slot u in `slots`, the model to use: `cost[u * M + m] / evidence[u * M + m]`
 * is model m's decayed mean cost (a model never scored for u is not eligible), `current[u]` the
 * model in use (0xffff = none yet). `usable[m]` masks models that cannot run this cycle.
 */
export function choose(
  o: ChooserOptions,
  cost: Float64Array,
  evidence: Float64Array,
  M: number,
  current: Uint16Array,
  slots: Int32Array,
  usable: Uint8Array,
  preferred: number,
): void {
  for (const u of slots) {
    const base = u * M;
    let best = -1;
    let bestCost = Infinity;
    for (let m = 0; m < M; m++) {
      const e = evidence[base + m];
      if (!usable[m] || !(e > 0)) continue;
      const c = cost[base + m] / e;
      if (c < bestCost) {
        best = m;
        bestCost = c;
      }
    }
    const cur = current[u];
    if (best < 0) {
      // No evidence yet: start on the preferred model.
      if (cur === 0xffff || !usable[cur]) current[u] = usable[preferred] ? preferred : current[u];
      continue;
    }
    const curCost =
      cur !== 0xffff && usable[cur] && evidence[base + cur] > 0
        ? cost[base + cur] / evidence[base + cur]
        : Infinity;
    if (bestCost >= curCost * (1 - o.switchPenalty)) continue;
    current[u] = best;
  }
}

/**
 * Writes into out[0, k) the `k` eligible models of lowest mean cost for user slot u (the current
 * one among them), -1 where there are fewer. No allocation: it runs for every user every cycle.
 */
export function lowestCost(
  cost: Float64Array,
  evidence: Float64Array,
  M: number,
  u: number,
  usable: Uint8Array,
  k: number,
  current: number,
  out: Int16Array,
  at: number,
): void {
  for (let j = 0; j < k; j++) out[at + j] = -1;
  const base = u * M;
  // Insertion into a k-long sorted list (k is 1-3); means recomputed inline (no closure per call).
  for (let m = 0; m < M; m++) {
    const e = evidence[base + m];
    if (!usable[m] || !(e > 0)) continue;
    const c = cost[base + m] / e;
    let j = k - 1;
    const last = out[at + j];
    if (last >= 0 && cost[base + last] / evidence[base + last] <= c) continue;
    while (j > 0) {
      const prev = out[at + j - 1];
      if (prev >= 0 && cost[base + prev] / evidence[base + prev] <= c) break;
      out[at + j] = prev;
      j--;
    }
    out[at + j] = m;
  }
  if (current === 0xffff || !usable[current]) {
    if (out[at] < 0) out[at] = current;
    return;
  }
  for (let j = 0; j < k; j++) if (out[at + j] === current) return;
  let last = k - 1;
  while (last > 0 && out[at + last] < 0) last--;
  out[at + last] = current;
}
