/**
 * The Azure Functions 2019 trace (Shahrad et al., ATC 2020): per-function, per-minute invocation
 * counts, plus daily execution-time and allocated-memory summaries. Both layouts are read: the
 * original (HashOwner,HashApp,HashFunction,Trigger,1..1440) and the sampled one
 * (HashFunction,HashOwner,HashApp,minute_1..minute_1440; memory keyed by HashApp). Files are told
 * apart by their header, not their name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Point } from '../influx/line-protocol';
import { DEFAULT_RESOURCE_PROFILE, type ResourceProfile } from '../resource-profiles';
import { M } from '../schema';
import { column, fileSize, openCsv, TraceFormatError } from './csv';
import { IssueLog, SummaryBuilder, type TraceSummary, type UsageBatch, type UserNames } from './trace';

export interface AzureFiles {
  /** One per trace day, in day order. */
  invocations: string[];
  durations?: string;
  memory?: string;
}

export type AzureUserKey = 'function' | 'app' | 'owner';

export interface AzureImportOptions {
  files: AzureFiles;
  /** Epoch ms of minute 1 of the first day. */
  startMs: number;
  userKey: AzureUserKey;
  names: UserNames;
  /** Share of execution time on CPU for the profiles (the trace does not say). */
  cpuFraction: number;
  node: string;
  issues: IssueLog;
  /** Only the first N invocation rows (per file). */
  limit?: number;
  batchPoints?: number;
}

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

/** Expands folders to their CSVs and sorts every file into its role by header. */
export async function classifyAzureFiles(paths: readonly string[]): Promise<AzureFiles> {
  const files: string[] = [];
  for (const p of paths) {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort())
        if (f.toLowerCase().endsWith('.csv')) files.push(path.join(p, f));
    } else files.push(p);
  }
  const out: AzureFiles = { invocations: [] };
  for (const f of files) {
    const { header, rows } = await openCsv(f);
    await rows.return(undefined);
    if (minuteColumns(header).length > 0) out.invocations.push(f);
    else if (header.includes('AverageAllocatedMb')) out.memory = only(out.memory, f, 'memory');
    else if (header.includes('Average') && header.includes('HashFunction'))
      out.durations = only(out.durations, f, 'durations');
    else {
      throw new TraceFormatError(
        f,
        1,
        'not an Azure Functions 2019 file: expected per-minute counts (minute_1… or 1…), durations (Average) ' +
          `or memory (AverageAllocatedMb); header starts ${header.slice(0, 4).join(',')}`,
      );
    }
  }
  if (out.invocations.length === 0) {
    throw new TraceFormatError(
      paths.join(' '),
      0,
      'no invocation-count file (a header with minute_1… or 1…)',
    );
  }
  return out;
}

function only(prev: string | undefined, f: string, what: string): string {
  if (prev) throw new TraceFormatError(f, 0, `a second ${what} file (first: ${prev}); give one per import`);
  return f;
}

/** Indexes of the per-minute columns, in minute order; [] if the header has none. */
export function minuteColumns(header: readonly string[]): number[] {
  const found: [number, number][] = [];
  header.forEach((h, i) => {
    const m = /^(?:minute_)?(\d+)$/.exec(h);
    if (m) found.push([Number(m[1]), i]);
  });
  found.sort((a, b) => a[0] - b[0]);
  return found.every(([n], k) => n === k + 1) ? found.map(([, i]) => i) : [];
}

/** Day offset of each invocation file: from a `dNN` in its name when all have one, else their order. */
function dayOf(files: readonly string[]): number[] {
  const days = files.map((f) => /(?:^|[._-])d(\d{1,3})(?:[._-]|$)/.exec(path.basename(f))?.[1]);
  if (days.every((d) => d !== undefined)) {
    const n = days.map(Number);
    const min = Math.min(...n);
    return n.map((d) => d - min);
  }
  return files.map((_, i) => i);
}

function number(cell: string, file: string, line: number, col: string, issues: IssueLog): number | undefined {
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v) || v < 0) {
    issues.report(new TraceFormatError(file, line, `${col} = "${cell}" is not a non-negative number`));
    return undefined;
  }
  return v;
}

/** Reads a summary file into id → value; its rows are checked like the counts. */
async function readSummary(
  file: string,
  keyCols: string[],
  valueCol: string,
  issues: IssueLog,
): Promise<Map<string, number>> {
  const { header, rows } = await openCsv(file);
  const keys = keyCols
    .filter((k) => header.includes(k))
    .map((k) => column(file, header, k, 'an Azure summary'));
  if (keys.length === 0) column(file, header, keyCols[0], 'an Azure summary file');
  const vi = column(file, header, valueCol, `an Azure ${valueCol} file`);
  const out = new Map<string, number>();
  for await (const { line, cells } of rows) {
    if (cells.length !== header.length) {
      issues.report(
        new TraceFormatError(file, line, `${cells.length} columns, the header has ${header.length}`),
      );
      continue;
    }
    const v = number(cells[vi], file, line, valueCol, issues);
    if (v !== undefined) out.set(cells[keys[0]], v);
  }
  return out;
}

export class AzureTrace {
  readonly totalBytes: number;
  private readonly sum = new SummaryBuilder();
  private profiles: ResourceProfile[] = [];

  constructor(private readonly o: AzureImportOptions) {
    this.totalBytes = o.files.invocations.reduce((n, f) => n + fileSize(f), 0);
  }

  get spanMs(): number {
    return this.o.files.invocations.length * DAY;
  }

  /** Streams usage points (only non-zero minutes; readers fill the zeros), then builds the profiles. */
  async *usage(): AsyncGenerator<UsageBatch> {
    const { files, issues } = this.o;
    const durations = files.durations
      ? await readSummary(files.durations, ['HashFunction'], 'Average', issues)
      : new Map();
    const memory = files.memory
      ? await readSummary(files.memory, ['HashFunction', 'HashApp'], 'AverageAllocatedMb', issues)
      : new Map();
    const keyCol = { function: 'HashFunction', app: 'HashApp', owner: 'HashOwner' }[this.o.userKey];
    // Per user: invocation-weighted execution time and memory, for the profile.
    const cost = new Map<string, { n: number; dur: number; durN: number; mem: number; memN: number }>();
    const batch = this.o.batchPoints ?? 5000;
    const days = dayOf(files.invocations);
    let points: Point[] = [];
    let bytesDone = 0;
    for (const [fi, file] of files.invocations.entries()) {
      const { header, rows } = await openCsv(file);
      const minutes = minuteColumns(header);
      const fnCol = column(file, header, 'HashFunction', 'an Azure invocations file');
      const appCol = column(file, header, 'HashApp', 'an Azure invocations file');
      const keyIdx = column(file, header, keyCol, 'an Azure invocations file');
      const dayStart = this.o.startMs + days[fi] * DAY;
      const seen = new Map<string, number>();
      let n = 0;
      for await (const { line, cells } of rows) {
        bytesDone += cells.reduce((b, c) => b + c.length + 1, 0);
        if (this.o.limit !== undefined && n >= this.o.limit) break;
        n++;
        if (cells.length !== header.length) {
          issues.report(
            new TraceFormatError(file, line, `${cells.length} columns, the header has ${header.length}`),
          );
          continue;
        }
        const fn = cells[fnCol];
        if (seen.has(fn)) {
          issues.report(
            new TraceFormatError(file, line, `function ${fn} again (first on line ${seen.get(fn)})`),
          );
          continue;
        }
        seen.set(fn, line);
        const counts = this.counts(cells, minutes, header, file, line, issues);
        if (!counts) continue;
        const user = this.o.names.name(cells[keyIdx]);
        if (user === undefined) continue;
        const c = cost.get(user) ?? { n: 0, dur: 0, durN: 0, mem: 0, memN: 0 };
        cost.set(user, c);
        const total = counts.reduce((a, b) => a + b, 0);
        const w = Math.max(total, 1e-9); // a function never invoked still shapes an otherwise empty profile
        c.n += total;
        const d = durations.get(fn);
        if (d !== undefined) {
          c.dur += d * w;
          c.durN += w;
        }
        const m = memory.get(fn) ?? memory.get(cells[appCol]);
        if (m !== undefined) {
          c.mem += m * w;
          c.memN += w;
        }
        for (let k = 0; k < counts.length; k++) {
          if (counts[k] === 0) continue;
          const t = dayStart + k * MINUTE;
          // Same user from several functions (app/owner keys): InfluxDB would overwrite, so tag the function.
          const tags: Record<string, string> = { user, node: this.o.node };
          if (this.o.userKey !== 'function') tags.function = fn;
          points.push({ measurement: M.usage, tags, fields: { requests: counts[k] }, timeMs: t });
          this.sum.add(user, t, counts[k]);
          if (points.length >= batch) {
            yield { points, bytesDone };
            points = [];
          }
        }
      }
    }
    if (points.length) yield { points, bytesDone };
    const now = Date.now();
    this.profiles = [...cost].map(([user, c]) => ({
      user,
      durationMs: c.durN > 0 ? c.dur / c.durN : DEFAULT_RESOURCE_PROFILE.durationMs,
      memoryMb: c.memN > 0 ? c.mem / c.memN : DEFAULT_RESOURCE_PROFILE.memoryMb,
      cpuFraction: this.o.cpuFraction,
      bytesPerRequest: 0,
      source: `azure-functions-2019${c.durN > 0 ? '' : ' (default duration)'}${c.memN > 0 ? '' : ' (default memory)'}`,
      updatedAtMs: now,
    }));
  }

  summary(): TraceSummary {
    return this.sum.build(this.profiles, this.o.issues);
  }

  private counts(
    cells: string[],
    minutes: number[],
    header: string[],
    file: string,
    line: number,
    issues: IssueLog,
  ): number[] | undefined {
    const out = new Array<number>(minutes.length);
    for (let k = 0; k < minutes.length; k++) {
      const cell = cells[minutes[k]];
      if (!/^\d+$/.test(cell)) {
        const problem = `${header[minutes[k]]} = "${cell}" is not a count (a non-negative integer)`;
        issues.report(new TraceFormatError(file, line, problem));
        return undefined;
      }
      out[k] = Number(cell);
    }
    return out;
  }
}
