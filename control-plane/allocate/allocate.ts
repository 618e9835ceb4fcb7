/**
 * One allocation cycle: forecasts + policy + instances (+ live load) + the current plan -> the next
 * plan. Steps: wants per user (demand.ts), instance room (instance-table.ts), tiered sticky packing
 * (pack.ts), consolidation (consolidate.ts), reservations (build-plan.ts), scaling (scaling/).
 */
import type { DemandWindows, ForecastBatch } from '../domain/demand';
import type { Instance, InstanceLoad } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { Reservation } from '../domain/reservation';
import type { UserProfile } from '../domain/user';
import { buildSteps } from './build-plan';
import { consolidate } from './consolidate';
import { wantsSteps } from './demand';
import { buildInstanceTable } from './instance-table';
import { packSteps } from './pack';
import { keptRoom, packingWants, roomByInstance, roomThatFits } from './overflow-room';
import { recentPeaks } from './peak-hold';
import type { Policy } from './policy';
import { HistorySlotSizes, largestInstance } from './slot-size';
import { recommendScaling } from './scaling/recommend';
import { runToEnd, runYielding, YIELD_MASK, type Steps, type YieldingOptions } from '../domain/steps';
import { CapacityLedger } from './top-up';

export interface AllocationInput {
  /** Time the plan is issued (the service's clock). */
  nowMs: number;
  /** Time until the next plan (settings.cycleIntervalMs): a plan covers now .. next plan + lead time. */
  cycleMs: number;
  forecast: ForecastBatch;
  policy: Policy;
  instances: readonly Instance[];
  loads?: readonly InstanceLoad[];
  current?: Plan;
  /** Tier per user; users without a profile (or with an unknown tier) get the policy's default tier. */
  profiles?: ReadonlyMap<string, UserProfile>;
  /** The history the forecast was made from (for tiers with a peak hold). */
  history?: DemandWindows;
}

export interface AllocationStats {
  users: number;
  /** Users holding something. */
  reserved: number;
  squeezed: number;
  instancesUsed: number;
  /** Users whose instance changed since the current plan (forced or by consolidation). */
  moved: number;
  consolidationMoves: number;
  instancesEmptied: number;
  /** Users whose profile names a tier the policy does not have. */
  unknownTier: number;
  /** Reservations reused unchanged from the current plan. */
  unchanged: number;
  /** Users whose per-slot size the forecast put above the largest instance, an artefact (slot-size.ts). */
  slotSizeBounded: number;
  /** Wall time of each step, ms (run yielding, this includes what the event loop ran meanwhile). */
  ms: { wants: number; pack: number; build: number; scaling: number; total: number };
}

export interface AllocationResult {
  plan: Plan;
  /** Free capacity after this plan, for top-ups until the next cycle. */
  ledger: CapacityLedger;
  stats: AllocationStats;
}

function nextVersion(nowMs: number, current?: Plan): string {
  const v = String(nowMs);
  if (!current || !current.version.startsWith(v)) return v;
  const n = Number(current.version.slice(v.length + 1)) || 0;
  return `${v}.${n + 1}`;
}

/** One allocation, synchronously (tests, benchmark, replay). */
export function allocate(input: AllocationInput): AllocationResult {
  return runToEnd(allocationSteps(input));
}

/**
 * The same allocation, giving the event loop a turn every `sliceMs` or so (steps.ts): the service
 * uses this, so that a 10^6-user cycle does not stall the distribution server, the API and the
 * Lease renewals for seconds. The result is the same as allocate()'s for the same input; the input
 * must not change meanwhile (the service's cycle owns its forecast batch, and top-ups, which change
 * the current plan in place, wait until the new plan is in force: service/top-up.ts).
 */
export function allocateYielding(input: AllocationInput, o?: YieldingOptions): Promise<AllocationResult> {
  return runYielding(allocationSteps(input), o);
}

function* allocationSteps(input: AllocationInput): Steps<AllocationResult> {
  const t0 = performance.now();
  const { policy, forecast: b, nowMs, current } = input;
  const U = b.users.length;
  const tierIndex = new Map(policy.tiers.map((t, i) => [t.name, i]));
  const defaultTier = tierIndex.get(policy.defaultTier) ?? policy.tiers.length - 1;
  const tier = new Uint16Array(U);
  let unknownTier = 0;
  for (let u = 0; u < U; u++) {
    if ((u & YIELD_MASK) === YIELD_MASK) yield;
    const name = input.profiles?.get(b.users[u])?.tier;
    const t = name === undefined ? undefined : tierIndex.get(name);
    if (name !== undefined && t === undefined) unknownTier++;
    tier[u] = t ?? defaultTier;
  }
  const recentPeak = recentPeaks(b.users, tier, policy, input.history);
  yield;
  const wants = yield* wantsSteps(b, policy, {
    nowMs,
    cycleMs: input.cycleMs,
    tier,
    recentPeak,
    slotLimit: largestInstance(input.instances),
    slotSizes: input.history && new HistorySlotSizes(b.users, input.history),
  });
  const t1 = performance.now();
  roomThatFits(wants, input.instances, policy);
  yield; // ~0.14 s and ~0.18 s at 10^6 users: the instance table reads the whole current plan
  const table = buildInstanceTable(
    input.instances,
    input.loads,
    policy,
    current,
    nowMs,
    roomByInstance(current),
  );
  const prev = new Int32Array(U).fill(-1);
  const before = current ? new Array<Reservation | undefined>(U) : undefined;
  if (current && before) {
    for (let u = 0; u < U; u++) {
      if ((u & YIELD_MASK) === YIELD_MASK) yield;
      const r = current.reservations.get(b.users[u]);
      before[u] = r;
      const i = r === undefined ? undefined : table.byId.get(r.instanceId);
      if (i !== undefined && table.usable[i]) prev[u] = i;
    }
  }
  const packing = packingWants(wants);
  yield;
  const packed = yield* packSteps(packing, table, prev, policy.tiers.length);
  yield;
  const cons = consolidate(
    packed,
    table,
    packing.amount,
    policy.stickiness.consolidateBelow,
    policy.stickiness.maxMovesPerCycle,
  );
  const t2 = performance.now();
  yield;
  const { reservations, squeezed, counts } = yield* buildSteps(wants, packed, table, {
    policy,
    nowMs,
    before,
  });
  const t3 = performance.now();
  const scaling = recommendScaling({
    policy,
    table,
    stepTotals: wants.stepTotals,
    firstStep: wants.firstStep,
    horizon: wants.horizon,
    issuedAtMs: b.issuedAtMs,
    stepMs: b.stepMs,
    nowMs,
  });
  const t4 = performance.now();
  const plan: Plan = {
    version: nextVersion(nowMs, current),
    issuedAtMs: nowMs,
    reservations,
    squeezed,
    scaling,
  };
  if (packing !== wants) plan.overflowRoom = keptRoom(packing, reservations);

  const stats: AllocationStats = {
    users: U,
    reserved: counts.reserved,
    squeezed: squeezed.length,
    instancesUsed: packed.state.nUsed,
    moved: counts.moved,
    consolidationMoves: cons.moves,
    instancesEmptied: cons.emptied.length,
    unknownTier,
    unchanged: counts.unchanged,
    slotSizeBounded: wants.slotSizeBounded,
    ms: { wants: t1 - t0, pack: t2 - t1, build: t3 - t2, scaling: t4 - t3, total: performance.now() - t0 },
  };
  return { plan, ledger: new CapacityLedger(plan, table, policy, packed.state.free), stats };
}
