/**
 * What happened to one request, in the terms every policy of the end-to-end benchmark is scored
 * in: its fate at admission (the fates partition all requests) and the parts of its added latency.
 */
import type { Ticket } from './sandbox-pool';

/**
 * reserved   — admitted at once on the user's reservation (the proxy's filter, or a baseline's
 *              own reservation: static, oracle)
 * queued     — waited in the proxy's queue, then admitted on the reservation
 * unreserved — admitted outside any reservation (the platform's on-demand path; keep-alive)
 * redirected — sent to the fallback target
 * throttled  — refused by the proxy (429 from the filter, 503 from a concurrency limiter)
 * failed     — no usable plan: fail-open (served) or fail-closed (refused)
 */
export const FATES = ['reserved', 'queued', 'unreserved', 'redirected', 'throttled', 'failed'] as const;
export type Fate = (typeof FATES)[number];

export interface RequestOutcome {
  user: number;
  /** Arrival at the proxy, simulated epoch ms. */
  atMs: number;
  fate: Fate;
  /** Served (false: a local reply from the proxy, 429 or 503, or the platform gave up waiting for capacity). */
  served: boolean;
  /** Started on a sandbox a reservation held, without a cold start, warm-up or capacity wait. */
  fromReservation: boolean;
  /** Started on a warm sandbox (reserved or kept alive), without a cold start, warm-up or capacity wait. */
  warm: boolean;
  queueWaitMs: number;
  capacityWaitMs: number;
  /** Cold start, or the rest of a warm-up, paid before the service began. */
  coldMs: number;
}

/** The outcome of a request the instance model served (`queueWaitMs` spent before, in the proxy). */
export function servedOutcome(t: Ticket, fate: Fate, atMs: number, queueWaitMs = 0): RequestOutcome {
  const waited = t.capacityWaitMs > 0;
  const warm = !waited && (t.kind === 'reserved' || t.kind === 'kept');
  return {
    user: t.user,
    atMs,
    fate,
    served: true,
    fromReservation: warm && t.kind === 'reserved',
    warm,
    queueWaitMs,
    capacityWaitMs: t.capacityWaitMs,
    coldMs: t.coldMs,
  };
}

/** A request the platform gave up on after waiting `maxCapacityWaitMs` for capacity (never served). */
export function timedOutOutcome(t: Ticket, fate: Fate, atMs: number, queueWaitMs = 0): RequestOutcome {
  return refusedOutcome(t.user, fate, atMs, queueWaitMs);
}

/** A request that was not served: refused by the proxy, or given up on by the platform. */
export function refusedOutcome(user: number, fate: Fate, atMs: number, queueWaitMs = 0): RequestOutcome {
  return {
    user,
    atMs,
    fate,
    served: false,
    fromReservation: false,
    warm: false,
    queueWaitMs,
    capacityWaitMs: 0,
    coldMs: 0,
  };
}
