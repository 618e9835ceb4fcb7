/**
 * A user's reservation as the control plane handles it: the in-memory twin of earmark.v1.Reservation
 * (proto/earmark/v1/reservation.proto). Times are Unix epoch milliseconds on the service's clock.
 */
export type ExhaustedAction = 'queue' | 'top_up' | 'redirect' | 'reject';

export const EXHAUSTED_ACTIONS: readonly ExhaustedAction[] = ['queue', 'top_up', 'redirect', 'reject'];

export interface Reservation {
  user: string;
  instanceId: string;
  /** host:port the filter routes the user's requests to. */
  instanceAddress: string;
  /** Concurrent in-flight requests held. */
  slots: number;
  /** Admission rate (requests per minute) and token-bucket burst (0 = slots). */
  ratePerMinute: number;
  burst: number;
  cpuMillicores: number;
  memoryMb: number;
  bandwidthKbps: number;
  tier: string;
  priority: number;
  maxQueueWaitMs: number;
  onExhausted: ExhaustedAction;
  notBeforeMs: number;
  expiresMs: number;
  /** Fallback target for redirect (host:port or cluster name); empty = the filter's configured default. */
  fallback: string;
}

/** Field-by-field equality: the distribution cache bumps a user's version only when this is false. */
export function sameReservation(a: Reservation, b: Reservation): boolean {
  return (
    a.user === b.user &&
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
    a.notBeforeMs === b.notBeforeMs &&
    a.expiresMs === b.expiresMs &&
    a.fallback === b.fallback
  );
}
