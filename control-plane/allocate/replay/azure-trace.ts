/**
 * Reads the Azure Functions 2019 per-minute layout (Shahrad et al., ATC 2020; the sample-1000fn
 * files or the original daily files): invocations per function and minute, and average allocated
 * memory. Every malformed line is an error naming the file and line; nothing half-read is returned.
 */
import * as fs from 'node:fs';

export interface FunctionTrace {
  /** Function ids (HashFunction), one per user. */
  ids: string[];
  minutes: number;
  /** counts[f * minutes + t]: invocations of function f in minute t + 1. */
  counts: Uint32Array;
  /** Average allocated memory of each function, MB. */
  memoryMb: Float64Array;
  /** Functions dropped because the memory file has no row for them. */
  withoutMemory: string[];
}

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'TraceError';
  }
}

interface Table {
  file: string;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

function readTable(file: string): Table {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TraceError(file, 0, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new TraceError(file, 1, 'empty file');
  const header = lines[0].split(',').map((h) => h.trim());
  const rows: Table['rows'] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',');
    if (cells.length !== header.length)
      throw new TraceError(
        file,
        i + 1,
        `expected ${header.length} columns as in the header, got ${cells.length}`,
      );
    rows.push({ line: i + 1, cells });
  }
  return { file, header, rows };
}

function column(t: Table, name: string, required: true): number;
function column(t: Table, name: string, required: false): number | undefined;
function column(t: Table, name: string, required: boolean): number | undefined {
  const i = t.header.indexOf(name);
  if (i < 0 && required)
    throw new TraceError(t.file, 1, `missing column ${name} (header: ${t.header.slice(0, 5).join(',')}...)`);
  return i < 0 ? undefined : i;
}

/** Minute columns are "minute_1".."minute_N" (sample files) or "1".."N" (original files), in order. */
function minuteColumns(t: Table): number[] {
  const cols: number[] = [];
  t.header.forEach((h, i) => {
    const m = /^(?:minute_)?(\d+)$/.exec(h);
    if (m) {
      if (Number(m[1]) !== cols.length + 1)
        throw new TraceError(
          t.file,
          1,
          `minute column "${h}" out of order (expected minute ${cols.length + 1})`,
        );
      cols.push(i);
    }
  });
  if (cols.length === 0) throw new TraceError(t.file, 1, 'no minute columns (minute_1.. or 1..)');
  return cols;
}

export function readFunctionTrace(invocationsFile: string, memoryFile: string): FunctionTrace {
  const inv = readTable(invocationsFile);
  const mem = readTable(memoryFile);
  const fnCol = column(inv, 'HashFunction', true);
  const appCol = column(inv, 'HashApp', false);
  const memFn = column(mem, 'HashFunction', false);
  const memApp = memFn === undefined ? column(mem, 'HashApp', true) : undefined;
  const memAvg = column(mem, 'AverageAllocatedMb', true);
  const cols = minuteColumns(inv);

  // Join by function when the memory file has function ids, else by application (as in the trace).
  const byKey = new Map<string, number>();
  const keyCol = memFn ?? memApp!;
  for (const r of mem.rows) {
    const mb = Number(r.cells[memAvg]);
    if (!(Number.isFinite(mb) && mb >= 0))
      throw new TraceError(
        mem.file,
        r.line,
        `AverageAllocatedMb: expected a number >= 0, got "${r.cells[memAvg]}"`,
      );
    byKey.set(r.cells[keyCol].trim(), mb);
  }
  const invKeyCol = memFn !== undefined ? fnCol : appCol;
  if (invKeyCol === undefined)
    throw new TraceError(inv.file, 1, 'missing column HashApp to join memory by application');

  const ids: string[] = [];
  const mbs: number[] = [];
  const withoutMemory: string[] = [];
  const T = cols.length;
  const counts = new Uint32Array(inv.rows.length * T);
  for (const r of inv.rows) {
    const id = r.cells[fnCol].trim();
    const mb = byKey.get(r.cells[invKeyCol].trim());
    if (mb === undefined) {
      withoutMemory.push(id);
      continue;
    }
    const base = ids.length * T;
    for (let t = 0; t < T; t++) {
      const cell = r.cells[cols[t]].trim();
      if (!/^\d+$/.test(cell))
        throw new TraceError(
          inv.file,
          r.line,
          `${inv.header[cols[t]]}: expected a count >= 0, got "${cell}"`,
        );
      counts[base + t] = Number(cell);
    }
    ids.push(id);
    mbs.push(mb);
  }
  if (ids.length === 0) throw new TraceError(inv.file, 1, 'no function has a memory row to join with');
  return {
    ids,
    minutes: T,
    counts: counts.slice(0, ids.length * T),
    memoryMb: Float64Array.from(mbs),
    withoutMemory,
  };
}
