/**
 * Instances as the packer sees them: what each may still hold this cycle. Effective capacity is
 * capacity x the policy's overcommit x its reservable share, less the load the instance reports
 * beyond what the current plan reserves there (traffic the plan does not know about still takes room).
 */
import type { Instance, InstanceLoad } from '../domain/instance';
import type { Plan } from '../domain/plan';
import { capacityDims } from './amounts';
import { DIMS } from './demand';
import type { Policy } from './policy';
import { instanceClassByName } from './policy';

export interface InstanceTable {
  instances: readonly Instance[];
  byId: Map<string, number>;
  /** 1 when the instance can take reservations now (ready, not draining). */
  usable: Uint8Array;
  /** cap[i * DIMS + d]: what reservations on instance i may add up to (slots, cpu, memory, bandwidth). */
  cap: Float64Array;
  /** Cost per hour of each instance (from its class; 1 when the class is unknown). */
  cost: Float64Array;
}

export const DIM_NAMES = ['slots', 'cpuMillicores', 'memoryMb', 'bandwidthKbps'] as const;

export function isUsable(inst: Instance, nowMs: number): boolean {
  if (inst.state === 'ready') return true;
  return inst.state === 'warming' && inst.readyAtMs !== undefined && inst.readyAtMs <= nowMs;
}

/**
 * What an instance of capacity c may hold per packing dimension under the policy's overcommit,
 * empty: before the reservable share and before any live load.
 */
export function overcommitted(c: Instance['capacity'], policy: Policy): number[] {
  const oc = policy.overcommit;
  const over = [oc.slots, oc.cpu, oc.memory, oc.bandwidth];
  return capacityDims(c).map((b, d) => Math.max(0, b) * over[d]);
}

/** What the plan holds on each instance, per packing dimension. */
export function reservedByInstance(plan: Plan | undefined, byId: Map<string, number>): Float64Array {
  const out = new Float64Array(byId.size * DIMS);
  if (!plan) return out;
  for (const r of plan.reservations.values()) {
    const i = byId.get(r.instanceId);
    if (i === undefined) continue;
    out[i * DIMS] += r.slots;
    out[i * DIMS + 1] += r.cpuMillicores;
    out[i * DIMS + 2] += r.memoryMb;
    out[i * DIMS + 3] += r.bandwidthKbps;
  }
  return out;
}

export function buildInstanceTable(
  instances: readonly Instance[],
  loads: readonly InstanceLoad[] | undefined,
  policy: Policy,
  current: Plan | undefined,
  nowMs: number,
  /** Room the packer keeps beside reservations (overflow-room.ts), by instance: expected load, not unplanned. */
  room?: ReadonlyMap<string, Float64Array>,
): InstanceTable {
  const I = instances.length;
  const byId = new Map<string, number>();
  instances.forEach((inst, i) => {
    if (byId.has(inst.id)) throw new Error(`instance "${inst.id}" is listed twice`);
    byId.set(inst.id, i);
  });
  const usable = new Uint8Array(I);
  const cap = new Float64Array(I * DIMS);
  const cost = new Float64Array(I);
  const share = policy.reservable ?? 1;
  const reserved = reservedByInstance(current, byId);
  const latest = new Map<number, InstanceLoad>();
  for (const l of loads ?? []) {
    const i = byId.get(l.instanceId);
    if (i === undefined || !(l.atMs >= nowMs - policy.loadMaxAgeMs)) continue;
    const prev = latest.get(i);
    if (!prev || l.atMs > prev.atMs) latest.set(i, l);
  }
  for (let i = 0; i < I; i++) {
    const inst = instances[i];
    usable[i] = isUsable(inst, nowMs) ? 1 : 0;
    cost[i] = instanceClassByName(policy, inst.instanceClass)?.costPerHour ?? 1;
    const whole = overcommitted(inst.capacity, policy);
    const load = latest.get(i);
    const expected = room?.get(inst.id);
    const used = load ? [load.inFlight, load.cpuMillicores, load.memoryMb, load.bandwidthKbps] : [0, 0, 0, 0];
    for (let d = 0; d < DIMS; d++) {
      const planned = reserved[i * DIMS + d] + (expected ? expected[d] : 0);
      const background = Math.max(0, (Number.isFinite(used[d]) ? used[d] : 0) - planned);
      // The share kept back from reservations is room for what no plan holds, so unplanned load
      // takes room from reservations only past that share (not twice: share and load).
      cap[i * DIMS + d] = Math.max(0, Math.floor(Math.min(whole[d] * share, whole[d] - background)));
    }
  }
  return { instances, byId, usable, cap, cost };
}
