/**
 * A workload's past as usage reports, as proxies would have sent them before Earmark reserved
 * anything (every request unreserved, one report per minute): the history the demo writes when the
 * store is empty, and the history tests write before starting the service.
 */
import { usageOf, type UsageReport, type UserUsage } from '../../control-plane/domain/usage';

const MINUTE = 60_000;

/** Per-minute request counts of each user (sim/workload/synthetic.ts's SyntheticWorkload fits). */
export interface CountSource {
  readonly users: readonly { id: string; serviceMs: number }[];
  /** Requests of user u in minute m (minutes of the source's own timeline). */
  count(u: number, m: number): number;
  minuteOf(ms: number): number;
}

export interface HistoryOptions {
  nodeId?: string;
  bytesIn?: number;
  bytesOut?: number;
}

/** One report per minute in [fromMs, toMs) that had any request. */
export function usageHistory(
  src: CountSource,
  fromMs: number,
  toMs: number,
  o: HistoryOptions = {},
): UsageReport[] {
  const out: UsageReport[] = [];
  for (let t = Math.floor(fromMs / MINUTE) * MINUTE; t < toMs; t += MINUTE) {
    const m = src.minuteOf(t);
    const users: UserUsage[] = [];
    src.users.forEach((u, i) => {
      const n = src.count(i, m);
      if (n > 0) users.push(unreservedUsage(u.id, n, u.serviceMs, o));
    });
    if (users.length > 0)
      out.push({
        nodeId: o.nodeId ?? 'history',
        sequence: t / MINUTE,
        intervalStartMs: t,
        intervalMs: MINUTE,
        planVersion: '',
        users,
      });
  }
  return out;
}

function unreservedUsage(user: string, n: number, serviceMs: number, o: HistoryOptions): UserUsage {
  return usageOf(user, {
    requests: n,
    // Little's law: the requests of a minute, each serviceMs long, overlap this much.
    peakInFlight: Math.max(1, Math.ceil((n * serviceMs) / MINUTE)),
    bytesIn: n * (o.bytesIn ?? 512),
    bytesOut: n * (o.bytesOut ?? 2048),
    unreserved: n,
  });
}
