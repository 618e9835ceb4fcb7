/**
 * Plain `timestamp,value` series (the Numenta Anomaly Benchmark layout): one user per file, values
 * written at their own timestamps (5 or 30 minutes apart in NAB; read them back with that stepMs).
 * Timestamps are `YYYY-MM-DD HH:MM:SS` (UTC assumed), ISO-8601, or epoch seconds or milliseconds
 * (told apart by size); values are non-negative.
 */
import type { ResourceKind } from '../../domain/demand';
import type { Point } from '../influx/line-protocol';
import { M } from '../schema';
import { fileSize, openCsv, TraceFormatError } from './csv';
import { IssueLog, SummaryBuilder, type TraceSummary, type UsageBatch } from './trace';

/** Which usage field a series' value lands in: what the demand reader reads for that resource. */
export const NAB_FIELD: Record<ResourceKind, string> = {
  requests: 'requests',
  concurrency: 'peak_in_flight',
  cpu: 'cpu_millicores',
  memory: 'memory_mb',
  bandwidth: 'bandwidth_kbps',
};

export interface NabImportOptions {
  file: string;
  user: string;
  resource: ResourceKind;
  /** Multiplies every value (units: e.g. CPU % × 10 = millicores of one core). */
  scale: number;
  node: string;
  issues: IssueLog;
  batchPoints?: number;
}

/**
 * Below this, an all-digit timestamp is epoch seconds (up to the year 5138), from it epoch
 * milliseconds (from March 1973): read as milliseconds, a file of epoch seconds would collapse a
 * week of data into ten minutes of January 1970, silently.
 */
const EPOCH_SECONDS_BELOW = 1e11;

/** Epoch ms, or NaN when `s` is not a timestamp (an impossible date such as 2026-04-31 included). */
export function parseTimestamp(s: string): number {
  const t = s.trim();
  if (/^\d{10,}$/.test(t)) {
    const n = Number(t);
    return n < EPOCH_SECONDS_BELOW ? n * 1000 : n;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return NaN;
  // Date.parse rolls impossible fields over (2026-04-31 is May 1): check them first.
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return NaN;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${m[8] ?? 'Z'}`;
  return Date.parse(iso);
}

/** Past this a value is no usage figure (requests, millicores, MB, kbps per interval). */
const MAX_VALUE = 1e15;

interface Row {
  t: number;
  v: number;
}

export class NabSeries {
  readonly totalBytes: number;
  /** First and last timestamps as in the file (before shifting). */
  firstMs = NaN;
  lastMs = NaN;
  private readonly sum = new SummaryBuilder();

  constructor(private readonly o: NabImportOptions) {
    this.totalBytes = fileSize(o.file);
  }

  /** Reads the whole file once: checks every row and finds the time span (needed to place it in time). */
  async scan(): Promise<void> {
    for await (const r of this.rows(this.o.issues)) {
      if (Number.isNaN(this.firstMs)) this.firstMs = r.t;
      this.lastMs = r.t;
    }
  }

  /** Points shifted by shiftMs, in file order. Call scan() first. */
  async *usage(shiftMs: number): AsyncGenerator<UsageBatch> {
    const field = NAB_FIELD[this.o.resource];
    const batch = this.o.batchPoints ?? 5000;
    let points: Point[] = [];
    let bytesDone = 0;
    // scan() already reported the bad rows; skip them quietly here so none is counted twice.
    for await (const r of this.rows(new IssueLog('skip'), (b) => (bytesDone += b))) {
      const v = r.v * this.o.scale;
      const t = r.t + shiftMs;
      points.push({
        measurement: M.usage,
        tags: { user: this.o.user, node: this.o.node },
        fields: { [field]: v },
        timeMs: t,
      });
      this.sum.add(this.o.user, t, v);
      if (points.length >= batch) {
        yield { points, bytesDone };
        points = [];
      }
    }
    if (points.length) yield { points, bytesDone };
  }

  summary(): TraceSummary {
    return this.sum.build([], this.o.issues);
  }

  private async *rows(issues: IssueLog, onBytes?: (n: number) => void): AsyncGenerator<Row> {
    const { file } = this.o;
    const { header, rows } = await openCsv(file);
    if (
      header.length !== 2 ||
      header[0].toLowerCase() !== 'timestamp' ||
      header[1].toLowerCase() !== 'value'
    ) {
      throw new TraceFormatError(file, 1, `not a timestamp,value series: header is "${header.join(',')}"`);
    }
    let prev: { t: number; line: number } | undefined;
    for await (const { line, cells } of rows) {
      onBytes?.(cells.reduce((b, c) => b + c.length + 1, 0));
      if (cells.length !== 2) {
        issues.report(
          new TraceFormatError(file, line, `${cells.length} columns, expected 2 (timestamp,value)`),
        );
        continue;
      }
      const t = parseTimestamp(cells[0]);
      if (Number.isNaN(t)) {
        issues.report(
          new TraceFormatError(
            file,
            line,
            `timestamp "${cells[0]}" is not a real YYYY-MM-DD HH:MM:SS, ISO-8601, epoch s or epoch ms time`,
          ),
        );
        continue;
      }
      const v = Number(cells[1]);
      if (cells[1].trim() === '' || !Number.isFinite(v)) {
        issues.report(new TraceFormatError(file, line, `value "${cells[1]}" is not a number`));
        continue;
      }
      if (v < 0 || v > MAX_VALUE) {
        const why =
          v < 0 ? 'is negative: usage cannot be' : `is beyond any usage figure (above ${MAX_VALUE})`;
        issues.report(new TraceFormatError(file, line, `value ${cells[1].trim()} ${why}`));
        continue;
      }
      if (prev && t <= prev.t) {
        // A repeated timestamp would silently overwrite the earlier value in InfluxDB.
        issues.report(
          new TraceFormatError(file, line, `timestamp ${cells[0]} is not after the one on line ${prev.line}`),
        );
        continue;
      }
      prev = { t, line };
      yield { t, v };
    }
  }
}
