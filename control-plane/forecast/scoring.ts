/**
 * Step 2-3 of a cycle: score the forecasts issued `lead` steps ago against the newest observation
 * (updating each user's decayed costs and each series' calibration), then remember this cycle's
 * candidates for scoring `lead` steps from now.
 */
import type { DemandWindows } from '../domain/demand';
import { calibrated, CalibrationOptions, updateFactor } from './calibration';
import { ChooserOptions, reserveCost } from './chooser';
import { noiseScale } from './model/features';
import type { PortfolioState } from './portfolio-state';

export interface CycleCandidates {
  /** Per series i and model m at [i * M + m]: median and uncalibrated reservation quantile. */
  med: Float32Array;
  q: Float32Array;
  usable: Uint8Array;
  /** Per user: the reservation level. */
  taus: Float32Array;
}

export function scoreAndRemember(
  st: PortfolioState,
  w: DemandWindows,
  slots: Int32Array,
  originStep: number,
  c: CycleCandidates,
  quantiles: readonly number[],
  chooser: ChooserOptions,
  calib: CalibrationOptions,
): void {
  const { models: M, resources: R, quantiles: Q, lead: L } = st;
  const slot = ((originStep % L) + L) % L;
  const scored = st.ringOrigin[slot] === originStep - L;
  const rMed = st.ringMed[slot];
  const rQ = st.ringQ[slot];
  const rFinal = st.ringFinal[slot];
  const costMed = new Float64Array(M);
  const costRes = new Float64Array(M);
  const hit = new Uint8Array(M);
  for (let u = 0; u < w.users.length; u++) {
    const su = slots[u];
    const tau = c.taus[u];
    costMed.fill(0);
    costRes.fill(0);
    hit.fill(0);
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      const s = su * R + r;
      if (scored) {
        const y = w.values[(i + 1) * w.steps - 1];
        const scale = noiseScale(w.values, i * w.steps, (i + 1) * w.steps, 48);
        for (let m = 0; m < M; m++) {
          const pm = rMed[s * M + m];
          if (Number.isNaN(pm)) continue;
          const pq = rQ[s * M + m];
          costMed[m] += Math.abs(y - pm) / scale;
          costRes[m] += reserveCost(chooser, y, pq, tau, scale);
          hit[m] = 1;
          st.k[s * M + m] = updateFactor(calib, st.k[s * M + m], tau, y, pq);
        }
        for (let q = 0; q < Q; q++) {
          const v = rFinal[s * Q + q];
          if (!Number.isNaN(v)) st.kf[s * Q + q] = updateFactor(calib, st.kf[s * Q + q], quantiles[q], y, v);
        }
      }
      for (let m = 0; m < M; m++) {
        const ci = i * M + m;
        rMed[s * M + m] = c.usable[m] ? c.med[ci] : NaN;
        rQ[s * M + m] = c.usable[m] ? calibrated(c.med[ci], c.q[ci], st.k[s * M + m]) : NaN;
      }
    }
    // A model not scored this time keeps its cost as it was (decaying it would flatter it).
    if (scored)
      for (let m = 0; m < M; m++)
        if (hit[m]) {
          const j = su * M + m;
          st.costMedian[j] = st.costMedian[j] * chooser.decay + costMed[m];
          st.costReserve[j] = st.costReserve[j] * chooser.decay + costRes[m];
        }
  }
  st.ringOrigin[slot] = originStep;
}
