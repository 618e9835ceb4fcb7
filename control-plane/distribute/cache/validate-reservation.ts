/**
 * The boundary check for a reservation crossing the wire, shared by the cache (before publishing)
 * and the reference client (after decoding): a value that fails here never reaches a proxy's state.
 */
import { EXHAUSTED_ACTIONS, type Reservation } from '../../domain/reservation';

const UINT32_MAX = 0xffffffff;
/** Longest user id, instance id, tier, address or fallback accepted (bytes of UTF-16 code units). */
export const MAX_NAME_LENGTH = 256;

function badUint32(v: number, field: string): string | undefined {
  return Number.isInteger(v) && v >= 0 && v <= UINT32_MAX
    ? undefined
    : `${field} must be an integer in [0, 2^32-1], got ${v}`;
}

function badTime(v: number, field: string): string | undefined {
  return Number.isSafeInteger(v) && v >= 0
    ? undefined
    : `${field} must be a non-negative safe integer, got ${v}`;
}

function badString(v: unknown, field: string, required: boolean): string | undefined {
  if (typeof v !== 'string') return `${field} must be a string`;
  if (required && v.length === 0) return `${field} must not be empty`;
  if (v.length > MAX_NAME_LENGTH) return `${field} is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** undefined when `r` is a valid reservation for resource `name`, else a precise reason. */
export function reservationProblem(r: Reservation, name: string = r.user): string | undefined {
  if (r === null || typeof r !== 'object') return 'reservation must be an object';
  const s =
    badString(r.user, 'user', true) ??
    badString(r.instanceId, 'instanceId', true) ??
    badString(r.instanceAddress, 'instanceAddress', true) ??
    badString(r.tier, 'tier', false) ??
    badString(r.fallback, 'fallback', false);
  if (s) return s;
  if (r.user !== name) return `user "${r.user}" does not match resource name "${name}"`;
  // Field by field, not a loop over names: a publish checks 10^5 reservations, and keyed loads
  // by a variable name cost several times a named one.
  const n =
    badUint32(r.slots, 'slots') ??
    badUint32(r.ratePerMinute, 'ratePerMinute') ??
    badUint32(r.burst, 'burst') ??
    badUint32(r.cpuMillicores, 'cpuMillicores') ??
    badUint32(r.memoryMb, 'memoryMb') ??
    badUint32(r.bandwidthKbps, 'bandwidthKbps') ??
    badUint32(r.priority, 'priority') ??
    badUint32(r.maxQueueWaitMs, 'maxQueueWaitMs') ??
    badTime(r.notBeforeMs, 'notBeforeMs') ??
    badTime(r.expiresMs, 'expiresMs');
  if (n) return n;
  if (r.expiresMs <= r.notBeforeMs) {
    return `expiresMs ${r.expiresMs} is not after notBeforeMs ${r.notBeforeMs}`;
  }
  if (!EXHAUSTED_ACTIONS.includes(r.onExhausted))
    return `onExhausted "${String(r.onExhausted)}" is not a known action`;
  return undefined;
}
