/**
 * A UsageReport as proto-loader decodes it (64-bit fields as decimal strings), parsed into the
 * domain UsageReport or a precise reason to drop it. Checks types and ranges only: the counters of
 * one interval need not add up (a request queued in one interval may be admitted in the next).
 */
import type { UsageReport, UserUsage } from '../../domain/usage';

export interface RawUserUsage {
  user?: string;
  requests?: number;
  admitted?: number;
  queued?: number;
  queueWaitMs?: string | number;
  queueWaitMaxMs?: number;
  throttled?: number;
  redirected?: number;
  peakInFlight?: number;
  bytesIn?: string | number;
  bytesOut?: string | number;
  shortfall?: number;
  unreserved?: number;
}

export interface RawUsageReport {
  nodeId?: string;
  sequence?: string | number;
  intervalStartMs?: string | number;
  intervalMs?: number;
  planVersion?: string;
  users?: RawUserUsage[];
}

export interface UsageLimits {
  maxUsersPerReport: number;
  /** Longest interval accepted (ms). */
  maxIntervalMs: number;
  /** How far in the future an interval may start (clock skew allowance, ms). */
  maxFutureSkewMs: number;
}

export const DEFAULT_USAGE_LIMITS: UsageLimits = {
  maxUsersPerReport: 1_000_000,
  maxIntervalMs: 86_400_000,
  maxFutureSkewMs: 300_000,
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_TEXT = 256;
const UINT32_FIELDS = [
  'requests',
  'admitted',
  'queued',
  'queueWaitMaxMs',
  'throttled',
  'redirected',
  'peakInFlight',
  'shortfall',
  'unreserved',
] as const;
const UINT64_FIELDS = ['queueWaitMs', 'bytesIn', 'bytesOut'] as const;

/** A uint64 decoded as a string: a safe integer, or undefined when it is not one. */
function safeUint(v: string | number | undefined): number | undefined {
  if (v === undefined) return 0;
  const n = typeof v === 'number' ? v : /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function parseUser(raw: RawUserUsage, i: number): Parsed<UserUsage> {
  const at = `users[${i}]`;
  if (typeof raw.user !== 'string' || raw.user.length === 0)
    return { ok: false, error: `${at}.user is empty` };
  if (raw.user.length > MAX_TEXT)
    return { ok: false, error: `${at}.user is longer than ${MAX_TEXT} characters` };
  const u = { user: raw.user } as UserUsage;
  for (const f of UINT32_FIELDS) {
    const v = raw[f] ?? 0;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      return { ok: false, error: `${at}.${f} is not a uint32: ${v}` };
    u[f] = v;
  }
  for (const f of UINT64_FIELDS) {
    const v = safeUint(raw[f]);
    if (v === undefined) return { ok: false, error: `${at}.${f} is beyond 2^53: ${raw[f]}` };
    u[f] = v;
  }
  return { ok: true, value: u };
}

/** `streamNode`: the node this stream already speaks for (its first valid report), if any. */
export function parseUsageReport(
  raw: RawUsageReport,
  nowMs: number,
  streamNode?: string,
  limits = DEFAULT_USAGE_LIMITS,
): Parsed<UsageReport> {
  const nodeId = raw.nodeId ?? '';
  if (nodeId.length === 0) return { ok: false, error: 'node_id is empty' };
  if (nodeId.length > MAX_TEXT) return { ok: false, error: `node_id is longer than ${MAX_TEXT} characters` };
  if (streamNode !== undefined && nodeId !== streamNode) {
    return { ok: false, error: `node_id "${nodeId}" differs from this stream's node "${streamNode}"` };
  }
  const sequence = safeUint(raw.sequence);
  if (sequence === undefined || sequence < 1)
    return { ok: false, error: `sequence must be an integer in [1, 2^53): ${raw.sequence}` };
  const start = safeUint(raw.intervalStartMs);
  if (start === undefined || start === 0)
    return { ok: false, error: `interval_start_ms is missing or invalid: ${raw.intervalStartMs}` };
  if (start > nowMs + limits.maxFutureSkewMs)
    return { ok: false, error: `interval_start_ms ${start} is in the future` };
  const intervalMs = raw.intervalMs ?? 0;
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > limits.maxIntervalMs) {
    return { ok: false, error: `interval_ms must be in [1, ${limits.maxIntervalMs}]: ${intervalMs}` };
  }
  const planVersion = raw.planVersion ?? '';
  if (planVersion.length > MAX_TEXT)
    return { ok: false, error: `plan_version is longer than ${MAX_TEXT} characters` };
  const rawUsers = raw.users ?? [];
  if (rawUsers.length > limits.maxUsersPerReport) {
    return {
      ok: false,
      error: `${rawUsers.length} user rows exceed the limit of ${limits.maxUsersPerReport}`,
    };
  }
  const users: UserUsage[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < rawUsers.length; i++) {
    const p = parseUser(rawUsers[i], i);
    if (!p.ok) return p;
    if (seen.has(p.value.user))
      return { ok: false, error: `users[${i}].user "${p.value.user}" appears twice` };
    seen.add(p.value.user);
    users.push(p.value);
  }
  return { ok: true, value: { nodeId, sequence, intervalStartMs: start, intervalMs, planVersion, users } };
}
