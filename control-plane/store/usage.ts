/**
 * Usage reports from proxies → the `usage` measurement (one point per user, node and interval)
 * plus one `usage_report` point per report. The store's UsageSink.
 */
import type { UsageReport, UsageSink, UserUsage } from '../domain/usage';
import type { StoreContext } from './context';
import { ident, literal, num, qualified, where } from './influx/influxql';
import { blockLines, LineBlockBuilder, type LineBlock } from './influx/line-buffer';
import { escapeKey, formatPoint, type FieldValue, type Point } from './influx/line-protocol';
import { M, RP } from './schema';

/** UserUsage keys → field names. Zero counters are left out (absent sums as 0) to cut ingest cost. */
const COUNTERS: readonly [keyof UserUsage, string][] = [
  ['admitted', 'admitted'],
  ['queued', 'queued'],
  ['queueWaitMs', 'queue_wait_ms'],
  ['queueWaitMaxMs', 'queue_wait_max_ms'],
  ['throttled', 'throttled'],
  ['redirected', 'redirected'],
  ['shortfall', 'shortfall'],
  ['unreserved', 'unreserved'],
];

/** A usage report that cannot be stored; says which user and field. */
export class InvalidUsageError extends Error {}

function checkCount(report: UsageReport, u: UserUsage, key: keyof UserUsage): number {
  const v = u[key] as number;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidUsageError(
      `usage report ${report.nodeId}#${report.sequence}: user ${JSON.stringify(u.user)} has ${key}=${v}; ` +
        'counts must be finite and ≥ 0',
    );
  }
  return v;
}

/** One per report: which sequence and plan version a proxy's interval carried. */
function reportPoint(report: UsageReport): Point {
  return {
    measurement: M.usageReport,
    tags: { node: report.nodeId },
    fields: {
      sequence: report.sequence,
      interval_ms: report.intervalMs,
      plan_version: report.planVersion,
      users: report.users.length,
    },
    timeMs: report.intervalStartMs,
  };
}

/**
 * Points for one report. requests, peak_in_flight, bytes_in and bytes_out are always written (they
 * are measured, even when 0); a missing peak_in_flight or bytes means "not measured" (imports) and
 * the demand reader derives it from the user's resource profile instead.
 */
export function usagePoints(report: UsageReport): Point[] {
  if (!report.nodeId) throw new InvalidUsageError('usage report without a node id');
  if (!Number.isSafeInteger(report.intervalStartMs) || report.intervalStartMs <= 0) {
    throw new InvalidUsageError(`usage report ${report.nodeId}#${report.sequence}: bad intervalStartMs`);
  }
  const out: Point[] = [];
  for (const u of report.users) {
    if (!u.user)
      throw new InvalidUsageError(`usage report ${report.nodeId}#${report.sequence}: empty user id`);
    const fields: Record<string, FieldValue> = {
      requests: checkCount(report, u, 'requests'),
      peak_in_flight: checkCount(report, u, 'peakInFlight'),
      bytes_in: checkCount(report, u, 'bytesIn'),
      bytes_out: checkCount(report, u, 'bytesOut'),
    };
    for (const [key, field] of COUNTERS) {
      const v = checkCount(report, u, key);
      if (v !== 0) fields[field] = v;
    }
    out.push({
      measurement: M.usage,
      tags: { user: u.user, node: report.nodeId },
      fields,
      timeMs: report.intervalStartMs,
    });
  }
  out.push(reportPoint(report));
  return out;
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const USAGE_FIELDS = {
  requests: ascii(' requests='),
  peak: ascii(',peak_in_flight='),
  bytesIn: ascii(',bytes_in='),
  bytesOut: ascii(',bytes_out='),
};
type CounterKey = (typeof COUNTERS)[number][0];
/** COUNTERS as pre-encoded ",field=" prefixes (written in COUNTERS' order, as formatPoint does). */
const COUNTER_PREFIX = Object.fromEntries(
  COUNTERS.map(([key, field]) => [key, ascii(`,${field}=`)]),
) as Record<CounterKey, Buffer>;
// A user id that needs neither escaping nor refusing (escapeKey otherwise).
const PLAIN_KEY = /[, =\n\r\\]/;
// Per line, besides the user id: the prefix, the field names and up to 12 numbers of ≤ 25 chars.
const LINE_BYTES = 640;

/** Lines per block handed to the writer: a 5,000-line batch takes whole blocks. */
export const USAGE_BLOCK_LINES = 500;

/**
 * The lines of formatPoint(usagePoints(report)), encoded straight into Buffers (blocks of
 * USAGE_BLOCK_LINES). This is the ingest hot path: no per-line strings or objects (see line-buffer.ts).
 * Validates everything before returning, so a bad report writes nothing.
 */
export function encodeUsage(report: UsageReport, blockLines = USAGE_BLOCK_LINES): LineBlock[] {
  if (!report.nodeId) throw new InvalidUsageError('usage report without a node id');
  if (!Number.isSafeInteger(report.intervalStartMs) || report.intervalStartMs <= 0) {
    throw new InvalidUsageError(`usage report ${report.nodeId}#${report.sequence}: bad intervalStartMs`);
  }
  const prefix = Buffer.from(`${M.usage},node=${escapeKey(report.nodeId)},user=`);
  const ts = ascii(' ' + report.intervalStartMs);
  const users = report.users;
  const out = new LineBlockBuilder(Math.min(1 << 20, (users.length + 1) * 160));
  const count = (u: UserUsage, v: number, key: keyof UserUsage): void => {
    if (typeof v === 'number' && v >= 0 && v !== Infinity) out.number(v);
    else checkCount(report, u, key); // throws: NaN, negative, infinite or not a number
  };
  const counter = (u: UserUsage, v: number, key: CounterKey): void => {
    out.bytes(COUNTER_PREFIX[key]);
    count(u, v, key);
  };
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    let id = u.user;
    if (!id) throw new InvalidUsageError(`usage report ${report.nodeId}#${report.sequence}: empty user id`);
    if (PLAIN_KEY.test(id)) id = escapeKey(id);
    out.reserve(prefix.length + 3 * id.length + LINE_BYTES);
    out.bytes(prefix);
    out.text(id);
    out.bytes(USAGE_FIELDS.requests);
    count(u, u.requests, 'requests');
    out.bytes(USAGE_FIELDS.peak);
    count(u, u.peakInFlight, 'peakInFlight');
    out.bytes(USAGE_FIELDS.bytesIn);
    count(u, u.bytesIn, 'bytesIn');
    out.bytes(USAGE_FIELDS.bytesOut);
    count(u, u.bytesOut, 'bytesOut');
    // Zero counters are left out. Read by name, not through COUNTERS: keyed loads cost ~40% here.
    if (u.admitted !== 0) counter(u, u.admitted, 'admitted');
    if (u.queued !== 0) counter(u, u.queued, 'queued');
    if (u.queueWaitMs !== 0) counter(u, u.queueWaitMs, 'queueWaitMs');
    if (u.queueWaitMaxMs !== 0) counter(u, u.queueWaitMaxMs, 'queueWaitMaxMs');
    if (u.throttled !== 0) counter(u, u.throttled, 'throttled');
    if (u.redirected !== 0) counter(u, u.redirected, 'redirected');
    if (u.shortfall !== 0) counter(u, u.shortfall, 'shortfall');
    if (u.unreserved !== 0) counter(u, u.unreserved, 'unreserved');
    out.bytes(ts);
    out.endLine();
    if (out.linesInBlock >= blockLines) out.cut();
  }
  const rp = Buffer.from(formatPoint(reportPoint(report)));
  out.reserve(rp.length + 1);
  out.bytes(rp);
  out.endLine();
  return out.finish();
}

/** The same lines as text (tests, tools): what encodeUsage sends, one string per line. */
export function usageLines(report: UsageReport): string[] {
  return blockLines(encodeUsage(report));
}

/** UsageSink: resolves once the report is durable (in InfluxDB or the spool), so it can be acked. */
export class StoreUsageSink implements UsageSink {
  constructor(private readonly ctx: StoreContext) {}
  async writeUsage(report: UsageReport): Promise<void> {
    await this.ctx.writer.writeBlocks(RP.raw.name, encodeUsage(report));
  }
}

/**
 * The highest report sequence stored for a node since `sinceMs` (0 when none): lets the usage
 * stream answer a reconnecting proxy with what is already durable, after a restart too.
 */
export async function readLastUsageSequence(
  ctx: StoreContext,
  nodeId: string,
  sinceMs: number,
): Promise<number> {
  const q =
    `SELECT max(sequence) FROM ${qualified(ctx.db, RP.raw.name, M.usageReport)}` +
    where(`${ident('node')} = ${literal(nodeId)}`, `time >= ${Math.trunc(sinceMs)}ms`);
  const [res] = await ctx.http.query(q, ctx.db);
  return num(res.series[0]?.values[0]?.[1]);
}
