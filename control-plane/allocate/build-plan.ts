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

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { A_BW, A_CPU, A_MEM, A_RATE, A_SLOTS, AMOUNTS } = demand;
const { grantedAmount } = packer;

export interface BuildContext {
  policy: Policy;
  nowMs: number;
  current?: ReadonlyMap<string, Reservation>;
}

function sameContent(a: Reservation, b: Reservation): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.instanceAddress === b.instanceAddress &&
    a.slots === b.slots &&
    a.ratePerMinute === b.ratePerMinute &&
    a.burst === b.burst &&
    a.cpuMillicores === b.cpuMillicores &&
    a.memoryMb === b.memoryMb &&
    a.bandwidthKbps === b.bandwidthKbps &&
    a.tier === b.tier &&
    a.priority === b.priority &&
    a.maxQueueWaitMs === b.maxQueueWaitMs &&
    a.onExhausted === b.onExhausted &&
    a.fallback === b.fallback
  );
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

export function buildReservations(
  w: Wants,
  p: PackResult,
  t: InstanceTable,
  ctx: BuildContext,
): { reservations: Map<string, Reservation>; squeezed: Squeeze[] } {
  const { policy, nowMs, current } = ctx;
  const reservations = new Map<string, Reservation>();
  const a = w.amount;
  const keepUntil = nowMs + policy.validityMs / 2;
  for (let u = 0; u < w.users.length; u++) {
    const i = p.assign[u];
    if (i < 0) continue;
    const tier = policy.tiers[w.tier[u]];
    const inst = t.instances[i];
    const o = u * AMOUNTS;
    const sh = p.share[u];
    const r: Reservation = {
      user: w.users[u],
      instanceId: inst.id,
      instanceAddress: inst.address,
      slots: grantedAmount(a[o + A_SLOTS], sh),
      ratePerMinute: grantedAmount(a[o + A_RATE], sh),
      burst: 0,
      cpuMillicores: grantedAmount(a[o + A_CPU], sh),
      memoryMb: grantedAmount(a[o + A_MEM], sh),
      bandwidthKbps: grantedAmount(a[o + A_BW], sh),
      tier: tier.name,
      priority: tier.priority,
      maxQueueWaitMs: tier.maxQueueWaitMs,
      onExhausted: tier.onExhausted,
      notBeforeMs: nowMs,
      expiresMs: nowMs + policy.validityMs,
      fallback: tier.fallback || policy.fallback,
    };
    const before = current?.get(r.user);
    const keep =
      before && sameContent(before, r) && before.expiresMs >= keepUntil && before.notBeforeMs <= nowMs;
    reservations.set(r.user, keep ? before : r);
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
  return { reservations, squeezed };
}
