/**
 * Packing result -> reservations and squeezes. A reservation whose content has not changed keeps
 * its previous object (and validity window) until half its validity is used, so the distribution
 * cache sends only what changed rather than every user every cycle.
 */
import type { Capacity } from '../domain/instance';
import type { Squeeze } from '../domain/plan';
import type { Reservation } from '../domain/reservation';
import * as demand from './demand';
import type { Wants } from './demand';
import type { InstanceTable } from './instance-table';
import { PackResult, SQUEEZE_NO_INSTANCE, SQUEEZE_TOO_LARGE } from './pack';
import * as packer from './packer';
import type { Policy } from './policy';
import * as steps from '../domain/steps';
import type { Steps } from '../domain/steps';

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { A_BW, A_CPU, A_MEM, A_RATE, A_SLOTS, AMOUNTS } = demand;
const { grantedAmount } = packer;
const { runToEnd, YIELD_MASK } = steps;

export interface BuildContext {
  policy: Policy;
  nowMs: number;
  /** Each user's reservation in the current plan (by user index), if any. */
  before?: readonly (Reservation | undefined)[];
}

export interface BuildCounts {
  /** Users holding something. */
  reserved: number;
  /** Users whose instance changed. */
  moved: number;
  /** Reservations reused as they were. */
  unchanged: number;
}

function capacityOf(a: Float64Array, o: number, share: number): Capacity {
  return {
    slots: grantedAmount(a[o + A_SLOTS], share),
    cpuMillicores: grantedAmount(a[o + A_CPU], share),
    memoryMb: grantedAmount(a[o + A_MEM], share),
    bandwidthKbps: grantedAmount(a[o + A_BW], share),
  };
}

const REASONS: Record<number, string> = {
  [SQUEEZE_TOO_LARGE]: 'wants more than any instance holds',
  [SQUEEZE_NO_INSTANCE]: 'no usable instance',
};

/** The bucket for `burstMs` of the rate; 0 (the filter's default: as many tokens as slots) when not larger. */
export function burstOf(ratePerMinute: number, slots: number, burstMs: number): number {
  if (!(burstMs > 0) || !(ratePerMinute > 0)) return 0;
  const b = Math.ceil((ratePerMinute * burstMs) / 60_000 - 1e-9);
  return b > slots ? b : 0;
}

export interface Built {
  reservations: Map<string, Reservation>;
  squeezed: Squeeze[];
  counts: BuildCounts;
}

/** Packing result → reservations (runs buildSteps to the end). */
export function buildReservations(w: Wants, p: PackResult, t: InstanceTable, ctx: BuildContext): Built {
  return runToEnd(buildSteps(w, p, t, ctx));
}

/** buildReservations, yielding every USERS_PER_YIELD users (steps.ts). */
export function* buildSteps(w: Wants, p: PackResult, t: InstanceTable, ctx: BuildContext): Steps<Built> {
  const { policy, nowMs, before } = ctx;
  const reservations = new Map<string, Reservation>();
  const counts: BuildCounts = { reserved: 0, moved: 0, unchanged: 0 };
  const a = w.amount;
  const keepUntil = nowMs + policy.validityMs / 2;
  const fallbacks = policy.tiers.map((x) => x.fallback || policy.fallback);
  for (let u = 0; u < w.users.length; u++) {
    if ((u & YIELD_MASK) === YIELD_MASK) yield;
    const i = p.assign[u];
    if (i < 0) continue;
    const tier = policy.tiers[w.tier[u]];
    const inst = t.instances[i];
    const o = u * AMOUNTS;
    const sh = p.share[u];
    const slots = grantedAmount(a[o + A_SLOTS], sh);
    // A squeeze that leaves none of the wanted slots grants nothing: 0 slots with a rate would
    // mean unlimited concurrency to the filter, with nothing held on the instance.
    if (slots === 0 && a[o + A_SLOTS] > 0) continue;
    // Nothing forecast, nothing held: no reservation either. An all-zero one would route the
    // user to an instance holding nothing for it, with no limit ("0 = unlimited" to the filter).
    if (
      a[o + A_SLOTS] === 0 &&
      a[o + A_RATE] === 0 &&
      a[o + A_CPU] === 0 &&
      a[o + A_MEM] === 0 &&
      a[o + A_BW] === 0
    )
      continue;
    const rate = grantedAmount(a[o + A_RATE], sh);
    const cpu = grantedAmount(a[o + A_CPU], sh);
    const mem = grantedAmount(a[o + A_MEM], sh);
    const bw = grantedAmount(a[o + A_BW], sh);
    const fallback = fallbacks[w.tier[u]];
    const burst = burstOf(rate, slots, policy.rateBurstMs ?? 0);
    if (slots > 0 || rate > 0 || cpu > 0 || mem > 0 || bw > 0) counts.reserved++;
    const b = before?.[u];
    if (b && b.instanceId !== inst.id) counts.moved++;
    // Compared field by field before building anything: most users are unchanged most cycles.
    if (
      b &&
      b.instanceId === inst.id &&
      b.instanceAddress === inst.address &&
      b.slots === slots &&
      b.ratePerMinute === rate &&
      b.burst === burst &&
      b.cpuMillicores === cpu &&
      b.memoryMb === mem &&
      b.bandwidthKbps === bw &&
      b.tier === tier.name &&
      b.priority === tier.priority &&
      b.maxQueueWaitMs === tier.maxQueueWaitMs &&
      b.onExhausted === tier.onExhausted &&
      b.fallback === fallback &&
      b.expiresMs >= keepUntil &&
      b.notBeforeMs <= nowMs
    ) {
      reservations.set(b.user, b);
      counts.unchanged++;
      continue;
    }
    reservations.set(w.users[u], {
      user: w.users[u],
      instanceId: inst.id,
      instanceAddress: inst.address,
      slots,
      ratePerMinute: rate,
      burst,
      cpuMillicores: cpu,
      memoryMb: mem,
      bandwidthKbps: bw,
      tier: tier.name,
      priority: tier.priority,
      maxQueueWaitMs: tier.maxQueueWaitMs,
      onExhausted: tier.onExhausted,
      notBeforeMs: nowMs,
      expiresMs: nowMs + policy.validityMs,
      fallback,
    });
  }
  const squeezed: Squeeze[] = [];
  for (let k = 0; k < p.squeezed.length; k++) {
    const u = p.squeezed[k];
    const tier = policy.tiers[w.tier[u]];
    const o = u * AMOUNTS;
    const higher = policy.tiers.slice(0, w.tier[u]).map((x) => x.name);
    const reason =
      REASONS[p.squeezeReason[k]] ??
      (higher.length > 0
        ? `capacity exhausted; tiers ${higher.join(', ')} placed first`
        : 'capacity exhausted in the highest tier');
    squeezed.push({
      user: w.users[u],
      tier: tier.name,
      wanted: capacityOf(a, o, 1),
      granted: capacityOf(a, o, p.assign[u] < 0 ? 0 : p.share[u]),
      reason,
    });
  }
  return { reservations, squeezed, counts };
}
