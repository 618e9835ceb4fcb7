/**
 * The chooser's evidence: score the forecasts issued `lead` steps ago against the newest
 * observation (each user's decayed costs, each series' calibration), and remember this cycle's
 * candidates for scoring `lead` steps from now.
 */
import type { DemandWindows } from '../domain/demand';
import {
  calibrated as calibratedImport,
  CalibrationOptions,
  updateFactor as updateFactorImport,
} from './calibration';
import { ChooserOptions, reserveCost as reserveCostImport } from './chooser';
import type { PortfolioState } from './portfolio-state';
const reserveCost = reserveCostImport;
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const calibrated = calibratedImport;
const updateFactor = updateFactorImport;

export interface CycleCandidates {
  /** Per series i and model m at [i * M + m]: median and uncalibrated reservation quantile (NaN = not run). */
  med: Float32Array;
  q: Float32Array;
}

function ringSlot(st: PortfolioState, originStep: number): number {
  return ((originStep % st.lead) + st.lead) % st.lead;
}

/** Scores the forecasts issued `lead` steps before `originStep` against the newest observations. */
export function scoreIssued(
  st: PortfolioState,
  w: DemandWindows,
  slots: Int32Array,
  originStep: number,
  taus: Float32Array,
  scales: Float64Array,
  quantiles: readonly number[],
  chooser: ChooserOptions,
  calib: CalibrationOptions,
): void {
  const { models: M, resources: R, quantiles: Q, lead: L } = st;
  const slot = ringSlot(st, originStep);
  if (st.ringOrigin[slot] !== originStep - L) return;
  const rMed = st.ringMed[slot];
  const rQ = st.ringQ[slot];
  const rMask = st.ringMask[slot];
  const rFinal = st.ringFinal[slot];
  const costMed = new Float64Array(M);
  const costRes = new Float64Array(M);
  const hits = new Uint8Array(M);
  for (let u = 0; u < w.users.length; u++) {
    const su = slots[u];
    const tau = taus[u];
    const mask = rMask[su];
    costMed.fill(0);
    costRes.fill(0);
    hits.fill(0);
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      const s = su * R + r;
      const y = w.values[(i + 1) * w.steps - 1];
      const scale = scales[i];
      for (let m = 0; m < M; m++) {
        if (((mask >>> m) & 1) === 0) continue;
        const pm = rMed[s * M + m];
        if (Number.isNaN(pm)) continue;
        const pq = rQ[s * M + m];
        costMed[m] += Math.abs(y - pm) / scale;
        costRes[m] += reserveCost(chooser, y, pq, tau, scale);
        hits[m]++;
        st.k[s * M + m] = updateFactor(calib, st.k[s * M + m], tau, y, pq);
      }
      for (let q = 0; q < Q; q++) {
        const v = rFinal[s * Q + q];
        if (!Number.isNaN(v)) st.kf[s * Q + q] = updateFactor(calib, st.kf[s * Q + q], quantiles[q], y, v);
      }
    }
    // One scoring event per user and model: the mean over the resources it ran on. A model not
    // run this time (not explored, not applicable) keeps its mean cost as it was.
    if (mask !== 0)
      for (let m = 0; m < M; m++)
        if (hits[m]) {
          const j = su * M + m;
          st.costMedian[j] = st.costMedian[j] * chooser.decay + costMed[m] / hits[m];
          st.costReserve[j] = st.costReserve[j] * chooser.decay + costRes[m] / hits[m];
          st.evidence[j] = st.evidence[j] * chooser.decay + 1;
        }
  }
}

/** Remembers this cycle's candidates (reservation quantiles calibrated) for scoring `lead` steps on. */
export function rememberCandidates(
  st: PortfolioState,
  w: DemandWindows,
  slots: Int32Array,
  originStep: number,
  c: CycleCandidates,
): void {
  const { models: M, resources: R } = st;
  const slot = ringSlot(st, originStep);
  const rMed = st.ringMed[slot];
  const rQ = st.ringQ[slot];
  const rMask = st.ringMask[slot];
  for (let u = 0; u < w.users.length; u++) {
    let mask = 0;
    for (let r = 0; r < R; r++) {
      const i = u * R + r;
      const s = slots[u] * R + r;
      for (let m = 0; m < M; m++) {
        const ci = i * M + m;
        const pm = c.med[ci];
        // NaN (not run) is stored too: a model may have run for some of a user's series only.
        rMed[s * M + m] = pm;
        if (Number.isNaN(pm)) continue;
        mask |= 1 << m;
        rQ[s * M + m] = calibrated(pm, c.q[ci], st.k[s * M + m]);
      }
    }
    rMask[slots[u]] = mask;
  }
  st.ringOrigin[slot] = originStep;
}
