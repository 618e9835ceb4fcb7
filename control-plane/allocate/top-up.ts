/**
 * Top-up between cycles: when usage reports flag a shortfall for a user, grant more at once from
 * the free capacity of the user's instance, within its tier's caps, without waiting for the next
 * plan. The ledger keeps what is free per instance so each top-up costs O(1).
 */
import type { Instance, InstanceLoad } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { Reservation } from '../domain/reservation';
import type { UserUsage } from '../domain/usage';
import { DIMS } from './demand';
import { buildInstanceTable, DIM_NAMES, InstanceTable, reservedByInstance } from './instance-table';
import type { Amounts, Policy } from './policy';
import { tierByName } from './policy';

export interface TopUpRequest {
  user: string;
  /** Wanted on top of the current reservation; absent fields mean none. */
  extra: Partial<Amounts>;
}

export interface TopUpResult {
  user: string;
  /** The user's reservation after the top-up (already in the plan), or undefined if it has none. */
  reservation?: Reservation;
  /** What was added. */
  added: Amounts;
  /** True when everything asked for was granted. */
  complete: boolean;
  /** Why not everything was granted, e.g. "instance i-3 has no free memoryMb" or "tier cap". */
  reason: string;
}

const ZERO: Amounts = { slots: 0, ratePerMinute: 0, cpuMillicores: 0, memoryMb: 0, bandwidthKbps: 0 };
const DIM_FIELDS = DIM_NAMES;

export class CapacityLedger {
  /** free[i * DIMS + d]: what instance i can still hold. */
  constructor(
    readonly plan: Plan,
    private readonly table: InstanceTable,
    private readonly policy: Policy,
    private readonly freeRoom: Float64Array,
  ) {}

  /** A ledger for a plan loaded from storage: free = effective capacity less what the plan holds. */
  static fromPlan(
    plan: Plan,
    instances: readonly Instance[],
    policy: Policy,
    loads: readonly InstanceLoad[] | undefined,
    nowMs: number,
  ): CapacityLedger {
    const table = buildInstanceTable(instances, loads, policy, plan, nowMs);
    const held = reservedByInstance(plan, table.byId);
    const free = new Float64Array(table.cap.length);
    for (let k = 0; k < free.length; k++) free[k] = table.cap[k] - held[k];
    return new CapacityLedger(plan, table, policy, free);
  }

  free(instanceId: string): Record<(typeof DIM_NAMES)[number], number> | undefined {
    const i = this.table.byId.get(instanceId);
    if (i === undefined) return undefined;
    const f = this.freeRoom;
    return {
      slots: f[i * DIMS],
      cpuMillicores: f[i * DIMS + 1],
      memoryMb: f[i * DIMS + 2],
      bandwidthKbps: f[i * DIMS + 3],
    };
  }

  topUp(req: TopUpRequest): TopUpResult {
    const r = this.plan.reservations.get(req.user);
    if (!r) return { user: req.user, added: { ...ZERO }, complete: false, reason: 'user has no reservation' };
    const i = this.table.byId.get(r.instanceId);
    if (i === undefined || !this.table.usable[i])
      return {
        user: req.user,
        reservation: r,
        added: { ...ZERO },
        complete: false,
        reason: `instance ${r.instanceId} is not usable`,
      };
    const cap = tierByName(this.policy, r.tier).max;
    const added = { ...ZERO };
    const limits: string[] = [];
    const grant = (field: keyof Amounts, d: number): void => {
      const want = Math.max(0, Math.floor(req.extra[field] ?? 0));
      if (want === 0) return;
      const byCap = Math.max(0, cap[field] - r[field]);
      const byRoom = d >= 0 ? Math.max(0, Math.floor(this.freeRoom[i * DIMS + d])) : Infinity;
      const g = Math.min(want, byCap, byRoom);
      if (g < want)
        limits.push(
          byCap < byRoom
            ? `tier ${r.tier} caps ${field} at ${cap[field]}`
            : `instance ${r.instanceId} has no free ${field}`,
        );
      if (d >= 0) this.freeRoom[i * DIMS + d] -= g;
      added[field] = g;
    };
    DIM_FIELDS.forEach((f, d) => grant(f, d));
    grant('ratePerMinute', -1);
    const changed = Object.values(added).some((v) => v > 0);
    const next: Reservation = changed
      ? {
          ...r,
          slots: r.slots + added.slots,
          ratePerMinute: r.ratePerMinute + added.ratePerMinute,
          cpuMillicores: r.cpuMillicores + added.cpuMillicores,
          memoryMb: r.memoryMb + added.memoryMb,
          bandwidthKbps: r.bandwidthKbps + added.bandwidthKbps,
        }
      : r;
    if (changed) this.plan.reservations.set(req.user, next);
    return {
      user: req.user,
      reservation: next,
      added,
      complete: limits.length === 0,
      reason: limits.join('; ') || 'granted',
    };
  }
}

/**
 * What a usage report's shortfall asks for: the refused requests as extra rate, and extra slots
 * (with CPU, memory and bandwidth in the reservation's own proportions) when in-flight requests
 * reached the slots held.
 */
export function shortfallToExtra(
  u: UserUsage,
  intervalMs: number,
  r: Reservation,
  policy: Policy,
): Partial<Amounts> {
  if (!(u.shortfall > 0) || !(intervalMs > 0)) return {};
  const rate = Math.ceil((u.shortfall * 60_000) / intervalMs);
  const saturated = u.peakInFlight >= r.slots;
  const slots = saturated
    ? Math.max(1, Math.ceil((Math.max(1, r.slots) * u.shortfall) / Math.max(1, u.admitted)))
    : 0;
  const per = (held: number, fallback: number): number => (r.slots > 0 ? held / r.slots : fallback);
  return {
    ratePerMinute: rate,
    slots,
    cpuMillicores: Math.ceil(slots * per(r.cpuMillicores, policy.perSlot.cpuMillicores)),
    memoryMb: Math.ceil(slots * per(r.memoryMb, policy.perSlot.memoryMb)),
    bandwidthKbps: Math.ceil(slots * per(r.bandwidthKbps, policy.perSlot.bandwidthKbps)),
  };
}

/** One-off top-up on a plan (builds a ledger, O(users)); the service keeps the cycle's ledger instead. */
export function topUp(
  plan: Plan,
  req: TopUpRequest,
  ctx: { instances: readonly Instance[]; policy: Policy; loads?: readonly InstanceLoad[]; nowMs: number },
): TopUpResult {
  return CapacityLedger.fromPlan(plan, ctx.instances, ctx.policy, ctx.loads, ctx.nowMs).topUp(req);
}
