/**
 * Forecasts -> what each user should hold: for every user, the tier's quantile of each resource,
 * at its largest over the steps this plan must cover (now until the next plan plus the lead time,
 * so every demand is reserved at least the lead time ahead), with headroom, floor and caps.
 * Also sums, per horizon step, what the reservations in force then would add up to (for scaling).
 * Columnar and allocation-free per user: this runs for 10^6 users per cycle.
 */
import type { ForecastBatch, ResourceKind } from '../domain/demand';
import type { RecentPeaks } from './peak-hold';
import type { Policy } from './policy';

import * as amounts from './amounts';
import { slotSize, type SlotSizeBound } from './slot-size';
import * as steps from '../domain/steps';
import type { Steps } from '../domain/steps';

export { A_BW, A_CPU, A_MEM, A_RATE, A_SLOTS, AMOUNTS, DIM_AMOUNT, DIMS } from './amounts';
export type { SlotSizeBound } from './slot-size';
// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { A_BW, A_CPU, A_MEM, A_RATE, A_SLOTS, AMOUNTS, DIMS } = amounts;
const { runToEnd, YIELD_MASK } = steps;
/** The amounts each slot brings along (what a sandbox occupies), cut with the slots by a slot cap. */
const PER_SLOT_AMOUNTS = Int32Array.from([A_CPU, A_MEM, A_BW]);

export interface Wants {
  users: string[];
  /** Index into policy.tiers (highest priority first). */
  tier: Uint16Array;
  amount: Float64Array;
  /**
   * room[u * AMOUNTS + k]: what the packer keeps free beside the reservation, not reserved (the
   * tier's overflowRoom share of what the slots cut by max.slots would occupy); 0 for most users.
   */
  room: Float64Array;
  /** Users whose per-slot size from the forecast was larger than any instance (slot-size.ts). */
  slotSizeBounded: number;
  /** Steps covered by one plan, and the first forecast step that is still in the future. */
  windowSteps: number;
  firstStep: number;
  /** stepTotals[h * DIMS + d]: what a plan issued at step h holds in total (largest sum over its window). */
  stepTotals: Float64Array;
  horizon: number;
}

interface QuantilePick {
  lo: number;
  hi: number;
  w: number;
}

/** The tier's quantile from the batch's levels: exact, interpolated, or the nearest end. */
export function pickQuantile(levels: readonly number[], q: number): QuantilePick {
  if (levels.length === 0) throw new Error('forecast batch has no quantiles');
  if (q <= levels[0]) return { lo: 0, hi: 0, w: 0 };
  for (let i = 0; i < levels.length - 1; i++) {
    if (q <= levels[i + 1]) {
      const w = (q - levels[i]) / (levels[i + 1] - levels[i]);
      return { lo: i, hi: i + 1, w };
    }
  }
  const last = levels.length - 1;
  return { lo: last, hi: last, w: 0 };
}

export interface DemandContext {
  nowMs: number;
  cycleMs: number;
  /** Tier index per user of the batch. */
  tier: Uint16Array;
  /** Largest recent concurrency and requests per user, for tiers with a peak hold (peak-hold.ts). */
  recentPeak?: RecentPeaks;
  /** What one slot can at most hold (the largest instance, per amount index; slot-size.ts). */
  slotLimit?: Float64Array;
  /** The largest size per request in flight each user's history showed (replaces one past the limit). */
  slotSizes?: SlotSizeBound;
}

/** Steps one plan must cover: until the next plan, plus the lead time (reservations come that early). */
export function windowSteps(stepMs: number, cycleMs: number, leadMs: number): number {
  return Math.max(1, Math.ceil((cycleMs + leadMs) / stepMs));
}

/** Steps [firstStep, firstStep + windowSteps) of the batch that this plan must cover. */
export function planWindow(b: ForecastBatch, nowMs: number, cycleMs: number, leadMs: number) {
  const firstStep = Math.min(
    Math.max(0, Math.floor((nowMs - b.issuedAtMs) / b.stepMs)),
    Math.max(0, b.horizon - 1),
  );
  const steps = Math.min(b.horizon - firstStep, windowSteps(b.stepMs, cycleMs, leadMs));
  return { firstStep, windowSteps: Math.max(1, steps) };
}

/** What each user should hold (runs wantsSteps to the end). */
export function computeWants(b: ForecastBatch, policy: Policy, ctx: DemandContext): Wants {
  return runToEnd(wantsSteps(b, policy, ctx));
}

/** computeWants, yielding every USERS_PER_YIELD users (steps.ts). */
export function* wantsSteps(b: ForecastBatch, policy: Policy, ctx: DemandContext): Steps<Wants> {
  const U = b.users.length;
  const H = b.horizon;
  const R = b.resources.length;
  const { firstStep, windowSteps: window } = planWindow(b, ctx.nowMs, ctx.cycleMs, policy.leadTimeMs);
  const col = (k: ResourceKind): number => b.resources.indexOf(k);
  const rc = {
    conc: col('concurrency'),
    req: col('requests'),
    cpu: col('cpu'),
    mem: col('memory'),
    bw: col('bandwidth'),
  };
  if (rc.conc < 0 && rc.req < 0) throw new Error('forecast batch needs a concurrency or a requests series');
  // Per-tier constants in flat arrays, so the per-user loop touches no objects.
  const T = policy.tiers.length;
  const qLo = new Int32Array(T);
  const qHi = new Int32Array(T);
  const qW = new Float64Array(T);
  const headroom = new Float64Array(T);
  const minSlots = new Float64Array(T);
  const warmAbove = new Float64Array(T);
  const caps = new Float64Array(T * AMOUNTS);
  const overflowRoom = new Float64Array(T);
  policy.tiers.forEach((t, i) => {
    const p = pickQuantile(b.quantiles, t.quantile);
    [qLo[i], qHi[i], qW[i], headroom[i], minSlots[i]] = [p.lo, p.hi, p.w, t.headroom, t.minSlots];
    warmAbove[i] = t.warmAbove ?? 1;
    overflowRoom[i] = t.overflowRoom ?? 0;
    const m = t.max;
    caps.set([m.slots, m.ratePerMinute, m.cpuMillicores, m.memoryMb, m.bandwidthKbps], i * AMOUNTS);
  });
  // Series column of each amount (-1: derived from slots with the policy's per-slot figures).
  const series = Int32Array.from([rc.conc, rc.req, rc.cpu, rc.mem, rc.bw]);
  const ps = policy.perSlot;
  const perSlot = Float64Array.from([
    1,
    ps.requestsPerMinute,
    ps.cpuMillicores,
    ps.memoryMb,
    ps.bandwidthKbps,
  ]);
  const amount = new Float64Array(U * AMOUNTS);
  const room = new Float64Array(U * AMOUNTS);
  const packed = new Float64Array(AMOUNTS); // this user's reservation plus room, largest over the window
  const atStep = new Float64Array(H * AMOUNTS); // this user's tier-quantile amounts per step
  const positive = new Uint8Array(H); // some forecast of this user above zero at step h (before rounding)
  const Q = b.quantiles.length;
  const v = b.values;
  const act = b.activity;
  const raw = new Float64Array(H * AMOUNTS); // this user's tier-quantile values before rounding
  const perSlotOf = new Float64Array(AMOUNTS);
  let bounded = 0; // users whose slot size the history bounded

  // The requests series counts requests per forecast step; the reservation's rate is per minute
  // (what the filter's token bucket refills by), so other step lengths are converted.
  const ratePerMinute = 60_000 / b.stepMs;
  const derive = series.some((c) => c < 0);
  const stepSums = new Float64Array(H * DIMS);
  const end = Math.min(H, firstStep + window);

  for (let u = 0; u < U; u++) {
    if ((u & YIELD_MASK) === YIELD_MASK) yield;
    const ti = ctx.tier[u];
    const lo = qLo[ti];
    const hi = qHi[ti];
    const w = qW[ti];
    const g = headroom[ti];
    const capAt = ti * AMOUNTS;
    positive.fill(0);
    perSlotOf.fill(0);
    for (let k = 0; k < AMOUNTS; k++) {
      const r = series[k];
      if (r < 0) continue;
      const base = (u * R + r) * Q;
      const oLo = (base + lo) * H;
      const oHi = (base + hi) * H;
      // Slots are capped last (below), where what the cut slots would occupy is cut with them.
      const cap = k === A_SLOTS ? Infinity : caps[capAt + k];
      const unit = k === A_RATE ? ratePerMinute : 1;
      for (let h = firstStep; h < H; h++) {
        let x = v[oLo + h];
        if (w !== 0) x += w * (v[oHi + h] - x);
        x *= unit;
        // NaN, Infinity and negatives hold nothing: a forecast that is no number cannot size a
        // reservation (+Infinity became NaN amounts, which refused the whole plan's publish).
        // Slots count requests in flight: a calibrated quantile q of an integer series is covered
        // when y ≤ q, i.e. y ≤ floor(q), so floor(q) slots cover exactly as often (ceil holds 2 for
        // a q0.9 of 1.02 on a series of ones). Other amounts are rounded up (the rate too: 0 would
        // mean "no limit" to the filter).
        if (!(x > 0 && x < Infinity)) x = 0;
        let y = x === 0 ? 0 : k === A_SLOTS ? Math.floor(x * g + 1e-6) : Math.ceil(x * g - 1e-9);
        if (y > cap) y = cap;
        if (x > 0) positive[h] = 1;
        atStep[h * AMOUNTS + k] = y;
        raw[h * AMOUNTS + k] = x;
      }
    }
    const warm = act !== undefined && warmAbove[ti] < 1;
    const peak = ctx.recentPeak === undefined ? NaN : ctx.recentPeak.slots[u];
    const peakRate = ctx.recentPeak === undefined ? NaN : Math.ceil(ctx.recentPeak.requests[u] - 1e-9);
    if (derive || minSlots[ti] > 0 || warm || peak > 0 || peakRate > 0) {
      // What one slot of this user holds, from its own forecast (memory = concurrency × profile),
      // bounded by its history: slots raised to a floor must bring their memory along (slot-size.ts).
      const slotSeries = series[A_SLOTS] >= 0;
      if (slotSeries && slotSize(raw, firstStep, H, series, ctx.slotLimit, ctx.slotSizes, u, perSlotOf))
        bounded++;
      const floor = Math.max(1, minSlots[ti]);
      for (let h = firstStep; h < H; h++) {
        const o = h * AMOUNTS;
        let slots = atStep[o + A_SLOTS];
        const p = warm ? act![u * H + h] : NaN;
        if (series[A_SLOTS] < 0) slots = Math.ceil(atStep[o + A_RATE] / perSlot[A_RATE] - 1e-9);
        let any = slots > 0 || positive[h] === 1;
        for (let k = 1; k < AMOUNTS; k++) {
          if (series[k] < 0) atStep[o + k] = Math.min(caps[capAt + k], slots * perSlot[k]);
          if (atStep[o + k] > 0) any = true;
        }
        const raised = slots;
        if (any && slots < minSlots[ti]) slots = minSlots[ti];
        if (p > warmAbove[ti] && slots < floor) slots = floor;
        if (any && slots < peak) slots = peak;
        if (any && atStep[o + A_RATE] < peakRate)
          atStep[o + A_RATE] = Math.min(caps[capAt + A_RATE], peakRate);
        if (slotSeries && slots > raised)
          for (let k = 1; k < AMOUNTS; k++) {
            if (series[k] < 0 || k === A_RATE) continue;
            const per = perSlotOf[k] > 0 ? perSlotOf[k] : perSlot[k];
            const need = Math.min(caps[capAt + k], Math.ceil(slots * per * g - 1e-9));
            if (need > atStep[o + k]) atStep[o + k] = need;
          }
        atStep[o + A_SLOTS] = slots;
      }
    }
    // This plan holds the largest amount over its window; scaling needs the per-step sums.
    const slotCap = caps[capAt + A_SLOTS];
    const o0 = u * AMOUNTS;
    const roomShare = overflowRoom[ti];
    let roomy = false;
    for (let k = 0; k < AMOUNTS; k++) amount[o0 + k] = packed[k] = 0;
    for (let h = firstStep; h < H; h++) {
      const o = h * AMOUNTS;
      let sl = atStep[o + A_SLOTS];
      // Slots cut by the tier's slot cap are not held, so neither is what they would occupy: past the
      // cap requests go elsewhere, and memory reserved for sandboxes that never exist only hides room
      // from the packer. A share of it may be kept free beside the reservation for that overflow.
      if (sl > slotCap) {
        const cutSlots = sl - slotCap;
        sl = atStep[o + A_SLOTS] = slotCap;
        const rs = raw[o + A_SLOTS];
        for (let i = 0; i < PER_SLOT_AMOUNTS.length; i++) {
          const k = PER_SLOT_AMOUNTS[i];
          const per =
            series[k] >= 0 && rs > 0 ? raw[o + k] / rs : perSlotOf[k] > 0 ? perSlotOf[k] : perSlot[k];
          const uncut = atStep[o + k];
          atStep[o + k] = Math.min(uncut, Math.ceil(sl * per * g - 1e-9));
          if (h < end && roomShare > 0) {
            const x = atStep[o + k] + Math.ceil((uncut - atStep[o + k]) * roomShare - 1e-9);
            if (x > packed[k]) packed[k] = x;
          }
        }
        if (h < end && roomShare > 0) {
          packed[A_SLOTS] = Math.max(packed[A_SLOTS], sl + Math.ceil(cutSlots * roomShare - 1e-9));
          roomy = true;
        }
      }
      const cpu = atStep[o + A_CPU];
      const mem = atStep[o + A_MEM];
      const bw = atStep[o + A_BW];
      const t = h * DIMS;
      stepSums[t] += sl;
      stepSums[t + 1] += cpu;
      stepSums[t + 2] += mem;
      stepSums[t + 3] += bw;
      if (h < end) {
        if (sl > amount[o0 + A_SLOTS]) amount[o0 + A_SLOTS] = sl;
        if (atStep[o + A_RATE] > amount[o0 + A_RATE]) amount[o0 + A_RATE] = atStep[o + A_RATE];
        if (cpu > amount[o0 + A_CPU]) amount[o0 + A_CPU] = cpu;
        if (mem > amount[o0 + A_MEM]) amount[o0 + A_MEM] = mem;
        if (bw > amount[o0 + A_BW]) amount[o0 + A_BW] = bw;
      }
    }
    if (roomy)
      for (let k = 0; k < AMOUNTS; k++)
        if (k !== A_RATE) room[o0 + k] = Math.max(0, packed[k] - amount[o0 + k]);
  }
  // What the plan issued at step h must hold in total: the largest sum over its window.
  const stepTotals = new Float64Array(H * DIMS);
  for (let h = firstStep; h < H; h++)
    for (let d = 0; d < DIMS; d++) {
      let m = 0;
      for (let s = h; s < Math.min(H, h + window); s++) m = Math.max(m, stepSums[s * DIMS + d]);
      stepTotals[h * DIMS + d] = m;
    }
  return {
    users: b.users,
    tier: ctx.tier,
    amount,
    room,
    slotSizeBounded: bounded,
    windowSteps: window,
    firstStep,
    stepTotals,
    horizon: H,
  };
}
