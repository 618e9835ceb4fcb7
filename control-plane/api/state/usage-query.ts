/**
 * Per-step sums of what proxies decided, straight from the `usage` measurement (one InfluxQL
 * query, summed over nodes and, for decisions(), over users). The store's readers give dense demand
 * for forecasting; this read serves the API's charts. reserved = admitted on a reservation.
 */
import { DECISION_COUNTERS, DependencyUnavailableError, type DecisionPoint, type TimeRange } from '../port';

export interface UsageQueryTarget {
  url: string;
  database: string;
  /** Retention policy holding raw usage, and the measurement (the store's schema names). */
  rp: string;
  measurement: string;
}

const FIELD: Record<(typeof DECISION_COUNTERS)[number], string> = {
  requests: 'requests',
  reserved: 'admitted',
  queued: 'queued',
  redirected: 'redirected',
  throttled: 'throttled',
  unreserved: 'unreserved',
  shortfall: 'shortfall',
};

const quoteIdent = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const quoteString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function decisionQuery(t: UsageQueryTarget, range: TimeRange, stepMs: number, user?: string): string {
  const sums = DECISION_COUNTERS.map((k) => `sum(${quoteIdent(FIELD[k])}) AS ${quoteIdent(k)}`);
  // Sum of per-node, per-user peaks: an upper bound of concurrent requests in the step.
  sums.push(`sum(${quoteIdent('peak_in_flight')}) AS ${quoteIdent('peakInFlight')}`);
  const conds = [`time >= ${range.fromMs}ms`, `time < ${range.toMs}ms`];
  if (user !== undefined) conds.push(`${quoteIdent('user')} = ${quoteString(user)}`);
  return (
    `SELECT ${sums.join(', ')} FROM ${quoteIdent(t.database)}.${quoteIdent(t.rp)}.${quoteIdent(t.measurement)} ` +
    `WHERE ${conds.join(' AND ')} GROUP BY time(${stepMs}ms) fill(0)`
  );
}

/** Dense points over the step-aligned range (zeros where nothing was reported). */
export async function readDecisions(
  t: UsageQueryTarget,
  range: TimeRange,
  stepMs: number,
  user?: string,
): Promise<DecisionPoint[]> {
  const start = Math.floor(range.fromMs / stepMs) * stepMs;
  const aligned = { fromMs: start, toMs: range.toMs };
  const q = decisionQuery(t, aligned, stepMs, user);
  const url = `${t.url}/query?db=${encodeURIComponent(t.database)}&epoch=ms&q=${encodeURIComponent(q)}`;
  let body: {
    results?: Array<{ error?: string; series?: Array<{ columns: string[]; values: unknown[][] }> }>;
    error?: string;
  };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    body = await res.json();
  } catch (err) {
    throw new DependencyUnavailableError(
      'store',
      `InfluxDB at ${t.url} is unreachable: ${(err as Error).message}`,
    );
  }
  const result = body.results?.[0];
  if (body.error || result?.error)
    throw new Error(`InfluxQL error: ${body.error ?? result?.error} (query: ${q})`);
  const byTime = new Map<number, Record<string, unknown>>();
  for (const s of result?.series ?? []) {
    for (const row of s.values)
      byTime.set(Number(row[0]), Object.fromEntries(s.columns.map((c, i) => [c, row[i]])));
  }
  const out: DecisionPoint[] = [];
  for (let at = start; at < range.toMs; at += stepMs) {
    const r = byTime.get(at) ?? {};
    const p = { atMs: at, peakInFlight: Number(r.peakInFlight ?? 0) } as DecisionPoint;
    for (const k of DECISION_COUNTERS) p[k] = Number(r[k] ?? 0);
    out.push(p);
  }
  return out;
}
