/**
 * Peak hold: for tiers with `holdPeakMs`, the largest concurrency (peak requests in flight per
 * step) each user showed over that much recent history. computeWants raises a user's slots to it
 * wherever the forecast is above zero.
 *
 * Why: the tier quantile of each step's peak, floored, under-reserves bursty users; the excess pays
 * cold starts on the on-demand path. A platform keep-alive covers such bursts by keeping the last
 * minutes' peak warm for every user; holding it only where the forecast still expects demand keeps
 * that cover without paying for users the forecast has seen go quiet.
 */
import type { DemandWindows } from '../domain/demand';
import type { Policy } from './policy';

/** Per user of the batch (NaN: the tier holds no peak, or the user has no history). */
export interface RecentPeaks {
  /** Largest concurrency (peak in flight per step). */
  slots: Float64Array;
  /** Largest requests per step, as a rate per minute (the reservation's unit) at the history's step. */
  requests: Float64Array;
}

/** Columnar, one pass over the last steps of the concurrency and requests series. */
export function recentPeaks(
  users: readonly string[],
  tier: Uint16Array,
  policy: Policy,
  history: DemandWindows | undefined,
): RecentPeaks | undefined {
  if (history === undefined) return undefined;
  const steps = policy.tiers.map((t) => Math.ceil((t.holdPeakMs ?? 0) / history.stepMs - 1e-9));
  if (steps.every((s) => s <= 0)) return undefined;
  const rc = history.resources.indexOf('concurrency');
  const rq = history.resources.indexOf('requests');
  if (rc < 0 && rq < 0) return undefined;
  const R = history.resources.length;
  const T = history.steps;
  const row = historyRow(users, history);
  const out: RecentPeaks = {
    slots: new Float64Array(users.length).fill(NaN),
    requests: new Float64Array(users.length).fill(NaN),
  };
  const v = history.values;
  const peak = (o: number, w: number) => {
    let m = 0;
    for (let t = T - w; t < T; t++) if (v[o + t] > m) m = v[o + t]; // NaN (no data) is skipped
    return m;
  };
  for (let u = 0; u < users.length; u++) {
    const w = Math.min(steps[tier[u]], T);
    if (w <= 0) continue;
    const i = row(u);
    if (i === undefined) continue;
    if (rc >= 0) out.slots[u] = peak((i * R + rc) * T, w);
    // The series counts requests per step; a step other than a minute must not pass as a minute.
    if (rq >= 0) out.requests[u] = (peak((i * R + rq) * T, w) * 60_000) / history.stepMs;
  }
  return out;
}

/** The history row of each user of the batch (undefined: not in the history). */
export function historyRow(
  users: readonly string[],
  history: DemandWindows,
): (u: number) => number | undefined {
  // The forecast is made from these windows, so the users usually line up; map by name otherwise.
  if (history.users === users || sameOrder(history.users, users)) return (u) => u;
  const row = new Map(history.users.map((id, i) => [id, i]));
  return (u) => row.get(users[u]);
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
