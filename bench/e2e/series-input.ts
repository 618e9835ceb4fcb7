/**
 * `timestamp,value` series (the NAB layout) as replay demand: each file is one user; a row's value
 * is that user's demand over the row's interval (up to the next timestamp), spread evenly over
 * the minutes it covers. Series are aligned on their first row (minute 0 of each is the replay's
 * minute 0): they come from different dates, and the rate option rescales their sum anyway.
 */
import * as path from 'node:path';
import { column, openCsv, TraceFormatError } from '../../control-plane/store/import/csv';
import { parseTimestamp } from '../../control-plane/store/import/nab';
import { shortIds, type ReplayTrace, type TraceDefaults } from './trace';

const MINUTE = 60_000;

interface Series {
  file: string;
  times: number[];
  values: number[];
}

async function readOne(file: string): Promise<Series> {
  const { header, rows } = await openCsv(file);
  const lower = header.map((h) => h.toLowerCase());
  const ti = column(file, lower, 'timestamp', 'a timestamp,value series');
  const vi = column(file, lower, 'value', 'a timestamp,value series');
  const s: Series = { file, times: [], values: [] };
  for await (const { line, cells } of rows) {
    if (cells.length !== header.length)
      throw new TraceFormatError(file, line, `${cells.length} columns, the header has ${header.length}`);
    const t = parseTimestamp(cells[ti]);
    if (!Number.isFinite(t))
      throw new TraceFormatError(file, line, `timestamp "${cells[ti]}" is not a date or epoch ms`);
    const v = Number(cells[vi]);
    if (cells[vi].trim() === '' || !Number.isFinite(v) || v < 0)
      throw new TraceFormatError(file, line, `value "${cells[vi]}" is not a non-negative number`);
    const prev = s.times[s.times.length - 1];
    if (prev !== undefined && t <= prev)
      throw new TraceFormatError(file, line, `timestamp ${cells[ti].trim()} is not after the previous row's`);
    s.times.push(t);
    s.values.push(v);
  }
  if (s.times.length < 2)
    throw new TraceFormatError(file, 0, 'needs at least two rows (the interval comes from them)');
  return s;
}

/** Minute demand of one series from its own first minute: each value spread over its interval. */
function perMinute(s: Series): Float64Array {
  const t0 = Math.floor(s.times[0] / MINUTE) * MINUTE;
  const n = s.times.length;
  const lastInterval = s.times[n - 1] - s.times[n - 2];
  const end = s.times[n - 1] + lastInterval;
  const out = new Float64Array(Math.ceil((end - t0) / MINUTE));
  for (let i = 0; i < n; i++) {
    const a = s.times[i];
    const b = i + 1 < n ? s.times[i + 1] : end;
    const rate = s.values[i] / (b - a);
    for (let m = Math.floor((a - t0) / MINUTE); t0 + m * MINUTE < b; m++) {
      const lo = Math.max(a, t0 + m * MINUTE);
      const hi = Math.min(b, t0 + (m + 1) * MINUTE);
      if (hi > lo) out[m] += rate * (hi - lo);
    }
  }
  return out;
}

export async function readSeriesTrace(
  files: string[],
  defaults: TraceDefaults,
  source: string,
): Promise<ReplayTrace> {
  const series = [];
  for (const f of files) series.push(perMinute(await readOne(f)));
  const minutes = Math.max(...series.map((s) => s.length));
  const counts = new Float64Array(files.length * minutes);
  series.forEach((s, u) => counts.set(s, u * minutes));
  const ids = shortIds(
    files.map((f) => path.basename(f).replace(/\.csv$/i, '')),
    'series-',
    64,
  );
  return {
    source,
    format: 'series',
    users: ids.map((id) => ({ id, durationMs: defaults.durationMs, memoryMb: defaults.memoryMb })),
    minutes,
    counts,
    notes: [
      `${files.length} series aligned on their first row; every request takes ${defaults.durationMs} ms and ` +
        `${defaults.memoryMb} MB (a series gives neither)`,
    ],
  };
}
