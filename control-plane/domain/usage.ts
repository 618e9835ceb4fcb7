/** What proxies saw, per interval and per user: the in-memory twin of earmark.v1.UsageReport. */
export interface UserUsage {
  user: string;
  requests: number;
  admitted: number;
  queued: number;
  queueWaitMs: number;
  queueWaitMaxMs: number;
  throttled: number;
  redirected: number;
  peakInFlight: number;
  bytesIn: number;
  bytesOut: number;
  shortfall: number;
  unreserved: number;
}

export interface UsageReport {
  nodeId: string;
  sequence: number;
  intervalStartMs: number;
  intervalMs: number;
  planVersion: string;
  users: UserUsage[];
}

/** Where validated usage reports go (the store implements it; tests may use a recorder). */
export interface UsageSink {
  writeUsage(report: UsageReport): void | Promise<void>;
}

/** A user's usage with every count zero except those given (tests, benchmarks, imports). */
export function usageOf(user: string, counts: Partial<Omit<UserUsage, 'user'>> = {}): UserUsage {
  return {
    user,
    requests: 0,
    admitted: 0,
    queued: 0,
    queueWaitMs: 0,
    queueWaitMaxMs: 0,
    throttled: 0,
    redirected: 0,
    peakInFlight: 0,
    bytesIn: 0,
    bytesOut: 0,
    shortfall: 0,
    unreserved: 0,
    ...counts,
  };
}
