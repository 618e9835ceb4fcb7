/**
 * Deterministic, plausible reservations for tests, the benchmark and demos: what the allocator
 * would emit for N users on a pool of companion instances (tiered slots, rates, resources, and one
 * validity window for the whole plan). Kept here, beside the server, so its figures are comparable.
 */
import type { Plan } from '../../domain/plan';
import type { ExhaustedAction, Reservation } from '../../domain/reservation';

export interface SyntheticOptions {
  users: number;
  seed?: number;
  instances?: number;
  /** Plan issue time (the validity window starts here and lasts windowMs). */
  issuedAtMs?: number;
  windowMs?: number;
  /** 'sequential' ids like the synthetic workload's (diurnal-000042); 'hashed' = 32 hex chars. */
  ids?: 'sequential' | 'hashed';
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), also for tests' random inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['diurnal', 'bursty', 'sparse'];
const TIERS: { name: string; priority: number; wait: number; action: ExhaustedAction }[] = [
  { name: 'gold', priority: 30, wait: 2000, action: 'top_up' },
  { name: 'silver', priority: 20, wait: 1000, action: 'queue' },
  { name: 'free', priority: 10, wait: 250, action: 'reject' },
];

export function userId(i: number, ids: 'sequential' | 'hashed' = 'sequential'): string {
  if (ids === 'hashed') {
    const r = rng(i * 7919 + 17);
    let s = '';
    for (let k = 0; k < 4; k++)
      s += Math.floor(r() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return s;
  }
  return `${KINDS[i % 3]}-${String(i).padStart(6, '0')}`;
}

/**
 * The pool's instance ids and addresses, one string each, as the allocator has them: it builds a
 * reservation from its instance objects (`instanceId: inst.id`, control-plane/allocate/build-plan.ts),
 * not from new strings per user and cycle. Fresh strings here would make the server's cache retain
 * a new copy for every changed user, which the real control plane does not (with 1k-user deltas,
 * ~0.8 MB promoted and a 6-16 ms scavenge pause every ~10 publishes in the bench's server).
 */
const instanceIds: string[] = [];
const instanceAddresses: string[] = [];
function instanceStrings(k: number): { id: string; address: string } {
  instanceIds[k] ??= `companion-${String(k).padStart(4, '0')}`;
  instanceAddresses[k] ??= `10.${16 + (k >> 8)}.${k & 255}.${10 + (k % 7)}:8080`;
  return { id: instanceIds[k], address: instanceAddresses[k] };
}

/** The i-th user's reservation; `salt` changes its figures (a plan delta) deterministically. */
export function syntheticReservation(i: number, opts: SyntheticOptions, salt = 0): Reservation {
  const r = rng((opts.seed ?? 1) * 1_000_003 + i * 31 + salt * 7_777_777);
  const instances = opts.instances ?? 1000;
  const inst = Math.floor(r() * instances);
  const instance = instanceStrings(inst);
  const tier = TIERS[r() < 0.1 ? 0 : r() < 0.4 ? 1 : 2];
  const slots = 1 + Math.floor(r() * (tier.priority / 2));
  const issued = opts.issuedAtMs ?? 1_767_225_600_000;
  return {
    user: userId(i, opts.ids),
    instanceId: instance.id,
    instanceAddress: instance.address,
    slots,
    ratePerMinute: slots * (30 + Math.floor(r() * 10) * 15),
    burst: 0,
    cpuMillicores: slots * 50 * (1 + Math.floor(r() * 4)),
    memoryMb: 64 * (1 + Math.floor(r() * 8)),
    bandwidthKbps: 256 * (1 + Math.floor(r() * 16)),
    tier: tier.name,
    priority: tier.priority,
    maxQueueWaitMs: tier.wait,
    onExhausted: tier.action,
    notBeforeMs: issued,
    expiresMs: issued + (opts.windowMs ?? 15 * 60_000),
    fallback: tier.action === 'reject' ? '' : 'overflow-pool',
  };
}

export function syntheticReservations(opts: SyntheticOptions, salt = 0): Map<string, Reservation> {
  const out = new Map<string, Reservation>();
  for (let i = 0; i < opts.users; i++) {
    const res = syntheticReservation(i, opts, salt);
    out.set(res.user, res);
  }
  return out;
}

export function syntheticPlan(version: string, opts: SyntheticOptions): Plan {
  return {
    version,
    issuedAtMs: opts.issuedAtMs ?? 1_767_225_600_000,
    reservations: syntheticReservations(opts),
    squeezed: [],
    scaling: [],
  };
}
