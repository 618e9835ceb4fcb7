/**
 * The demand the end-to-end benchmark replays, whatever file it came from: users (each with the
 * service time and memory of one request) and a per-minute count of their requests.
 *   - Azure Functions 2019 layout (a folder): each function is a user; durations and memory from
 *     the trace's summary files (azure-input.ts).
 *   - `timestamp,value` series (one csv, or a folder of them): each series is a user; values are
 *     relative demand per row, spread over the row's interval (series-input.ts).
 */
import * as fs from 'node:fs';
import { TraceFormatError } from '../../control-plane/store/import/csv';
import { classifyAzureFiles } from '../../control-plane/store/import/azure';
import { readAzureTrace } from './azure-input';
import { readSeriesTrace } from './series-input';

export interface TraceUser {
  id: string;
  /** Service time of one request, ms (the trace's average execution time). */
  durationMs: number;
  /** Memory one sandbox of this user holds, MB (the trace's average allocated memory). */
  memoryMb: number;
}

export interface ReplayTrace {
  source: string;
  format: 'azure' | 'series';
  users: TraceUser[];
  minutes: number;
  /** counts[u * minutes + m]: requests of user u in minute m (fractional for series). */
  counts: Float64Array;
  /** What the reader filled in because the trace does not say (default duration, memory, ...). */
  notes: string[];
}

export interface TraceDefaults {
  /** For users the trace gives no duration (series; Azure functions without a durations row). */
  durationMs: number;
  memoryMb: number;
}

export const TRACE_DEFAULTS: TraceDefaults = { durationMs: 100, memoryMb: 128 };

export { TraceFormatError };

/**
 * A folder in the Azure layout (a file with per-minute columns), a folder of `timestamp,value`
 * csvs, or one such csv. Every malformed row is an error naming the file and line.
 */
export async function loadTrace(
  path: string,
  defaults: TraceDefaults = TRACE_DEFAULTS,
): Promise<ReplayTrace> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (e) {
    throw new TraceFormatError(path, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!stat.isDirectory()) return readSeriesTrace([path], defaults, path);
  const csvs = fs
    .readdirSync(path)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort()
    .map((f) => `${path.replace(/\/+$/, '')}/${f}`);
  if (csvs.length === 0) throw new TraceFormatError(path, 0, 'no .csv files in this folder');
  if (await isAzureFolder(csvs)) return readAzureTrace(await classifyAzureFiles([path]), defaults, path);
  return readSeriesTrace(csvs, defaults, path);
}

/** A folder is in the Azure layout when one of its csvs has per-minute count columns. */
async function isAzureFolder(csvs: string[]): Promise<boolean> {
  for (const f of csvs) {
    const first = firstLine(f);
    if (/(^|,)\s*(minute_)?1\s*(,|$)/.test(first) && /HashFunction/.test(first)) return true;
  }
  return false;
}

function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n).split(/\r?\n/)[0] ?? '';
  } finally {
    fs.closeSync(fd);
  }
}

/** Short, unique user ids from long trace hashes (the filter's identity header carries them). */
export function shortIds(ids: readonly string[], prefix: string, length = 12): string[] {
  for (let len = length; ; len += 4) {
    const out = ids.map((id) => prefix + id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, len));
    if (new Set(out).size === out.length || len >= 256) return out;
  }
}

/** Total requests of minutes [from, to) over all users. */
export function totalRequests(t: ReplayTrace, from = 0, to = t.minutes): number {
  let s = 0;
  for (let u = 0; u < t.users.length; u++) for (let m = from; m < to; m++) s += t.counts[u * t.minutes + m];
  return s;
}
