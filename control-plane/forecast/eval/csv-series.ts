/**
 * Reads evaluation series from CSV files: `timestamp,value` files, or one named column of a
 * headered CSV (with or without a timestamp column). Files can be joined in order into one series.
 * Every malformed line is reported with its file and line number; nothing half-parsed is returned.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Series {
  name: string;
  values: Float64Array;
  /** Epoch ms of each value when the files carry timestamps; otherwise spaced by intervalMs from 0. */
  timesMs: Float64Array;
  intervalMs: number;
  files: string[];
}

export interface SeriesSource {
  files: string[];
  /** Column to read; default `value`, or the only non-timestamp column. */
  column?: string;
  /** Sampling interval; required when the file has no timestamp column. */
  intervalMs?: number;
  name?: string;
}

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const TIME_COLUMNS = ['timestamp', 'time', 'ts', 'date', 'datetime'];

/** Parses `YYYY-MM-DD[ T]HH:MM[:SS]` (UTC when no zone) or a number (seconds, or ms when > 1e11). */
export function parseTimestamp(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.abs(n) > 1e11 ? n : n * 1000;
  }
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return undefined;
  if (m[7]) {
    const ms = Date.parse(t.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : undefined;
  }
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
}

function splitLine(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

interface FileRows {
  values: number[];
  times: number[] | undefined;
}

function readFileRows(file: string, column: string | undefined): FileRows {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CsvError(file, 0, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new CsvError(file, 1, 'empty file');
  const header = splitLine(lines[0]).map((h) => h.toLowerCase());
  if (header.some((h) => h !== '' && !Number.isNaN(Number(h))))
    throw new CsvError(file, 1, `expected a header line (e.g. "timestamp,value"), got "${lines[0]}"`);
  const timeCol = header.findIndex((h) => TIME_COLUMNS.includes(h));
  let valueCol: number;
  if (column !== undefined) {
    valueCol = header.indexOf(column.toLowerCase());
    if (valueCol < 0) throw new CsvError(file, 1, `no column "${column}" (columns: ${header.join(', ')})`);
  } else {
    valueCol = header.indexOf('value');
    if (valueCol < 0) {
      const others = header.map((_, i) => i).filter((i) => i !== timeCol);
      if (others.length !== 1)
        throw new CsvError(
          file,
          1,
          `no "value" column; name one with column= (columns: ${header.join(', ')})`,
        );
      valueCol = others[0];
    }
  }
  const values: number[] = [];
  const times: number[] | undefined = timeCol >= 0 ? [] : undefined;
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const cells = splitLine(lines[i]);
    if (cells.length !== header.length)
      throw new CsvError(file, lineNo, `expected ${header.length} columns, got ${cells.length}`);
    const v = cells[valueCol] === '' ? NaN : Number(cells[valueCol]);
    if (!Number.isFinite(v))
      throw new CsvError(file, lineNo, `value "${cells[valueCol]}" is not a finite number`);
    values.push(v);
    if (times) {
      const t = parseTimestamp(cells[timeCol]);
      if (t === undefined)
        throw new CsvError(file, lineNo, `timestamp "${cells[timeCol]}" is not a date or a number`);
      if (times.length > 0 && t <= times[times.length - 1])
        throw new CsvError(file, lineNo, `timestamp "${cells[timeCol]}" is not after the previous row`);
      times.push(t);
    }
  }
  if (values.length === 0) throw new CsvError(file, 2, 'no data rows');
  return { values, times };
}

function medianStep(times: number[]): number {
  const d: number[] = [];
  for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  d.sort((a, b) => a - b);
  return d[d.length >> 1];
}

/** Reads and joins the files of one source into one series. */
export function readSeries(src: SeriesSource): Series {
  if (src.files.length === 0) throw new Error('a series needs at least one file');
  const values: number[] = [];
  const times: number[] = [];
  let timed: boolean | undefined;
  for (const file of src.files) {
    const rows = readFileRows(file, src.column);
    if (timed !== undefined && timed !== (rows.times !== undefined))
      throw new CsvError(file, 1, 'cannot join files with and without a timestamp column');
    timed = rows.times !== undefined;
    for (const v of rows.values) values.push(v);
    if (rows.times) {
      if (times.length > 0 && rows.times[0] <= times[times.length - 1])
        throw new CsvError(
          file,
          2,
          'first timestamp is not after the previous file’s last one (join order?)',
        );
      for (const t of rows.times) times.push(t);
    }
  }
  let intervalMs = src.intervalMs;
  if (timed && values.length > 1) intervalMs ??= medianStep(times);
  if (intervalMs === undefined || !(intervalMs > 0))
    throw new CsvError(src.files[0], 1, 'no timestamp column: give the sampling interval (interval=5m)');
  const timesMs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) timesMs[i] = timed ? times[i] : i * intervalMs;
  const name =
    src.name ??
    (src.files.length === 1
      ? path.basename(src.files[0]).replace(/\.csv$/i, '')
      : `${path.basename(path.dirname(src.files[0]))}/${path.basename(src.files[0]).replace(/\.csv$/i, '')}+${src.files.length - 1}`);
  return { name, values: Float64Array.from(values), timesMs, intervalMs, files: [...src.files] };
}

/** Parses "5m", "30s", "1h", "300000" (ms) into milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h|d)?$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  const ms = n * unit;
  return ms > 0 ? ms : undefined;
}
