/**
 * Azure Functions 2019 (Shahrad et al., ATC 2020) as replay demand: one user per function, the
 * per-minute invocation counts of every day file in day order, the average execution time
 * (durations file, by HashFunction) and average allocated memory (memory file, by HashFunction,
 * else by HashApp as in the original trace). Both layouts: original (HashOwner,HashApp,
 * HashFunction,Trigger,1..1440) and sampled (HashFunction,HashOwner,HashApp,minute_1..). Any bad
 * row stops the read with the file and line; nothing half-read is returned.
 */
import type { AzureFiles } from '../../control-plane/store/import/azure';
import { minuteColumns } from '../../control-plane/store/import/azure';
import { column, openCsv, TraceFormatError } from '../../control-plane/store/import/csv';
import { shortIds, type ReplayTrace, type TraceDefaults } from './trace';

interface Summary {
  byFunction: Map<string, number>;
  byApp: Map<string, number>;
}

async function readSummary(file: string, valueCol: string): Promise<Summary> {
  const { header, rows } = await openCsv(file);
  const vi = column(file, header, valueCol, `an Azure ${valueCol} file`);
  const fi = header.indexOf('HashFunction');
  const ai = header.indexOf('HashApp');
  if (fi < 0 && ai < 0) column(file, header, 'HashFunction', 'an Azure summary file');
  const out: Summary = { byFunction: new Map(), byApp: new Map() };
  for await (const { line, cells } of rows) {
    if (cells.length !== header.length)
      throw new TraceFormatError(file, line, `${cells.length} columns, the header has ${header.length}`);
    const v = Number(cells[vi]);
    if (cells[vi].trim() === '' || !Number.isFinite(v) || v < 0)
      throw new TraceFormatError(file, line, `${valueCol} = "${cells[vi]}" is not a non-negative number`);
    if (fi >= 0) out.byFunction.set(cells[fi].trim(), v);
    if (ai >= 0) out.byApp.set(cells[ai].trim(), v);
  }
  return out;
}

export async function readAzureTrace(
  files: AzureFiles,
  defaults: TraceDefaults,
  source: string,
): Promise<ReplayTrace> {
  const durations = files.durations ? await readSummary(files.durations, 'Average') : undefined;
  const memory = files.memory ? await readSummary(files.memory, 'AverageAllocatedMb') : undefined;
  const days = files.invocations.length;
  const rowsByFn = new Map<string, { app: string; counts: Uint32Array }>();
  for (const [day, file] of files.invocations.entries()) {
    const { header, rows } = await openCsv(file);
    const minutes = minuteColumns(header);
    if (minutes.length !== 1440)
      throw new TraceFormatError(file, 1, `expected 1440 minute columns (one day), found ${minutes.length}`);
    const fnCol = column(file, header, 'HashFunction', 'an Azure invocations file');
    const appCol = column(file, header, 'HashApp', 'an Azure invocations file');
    const seen = new Map<string, number>();
    for await (const { line, cells } of rows) {
      if (cells.length !== header.length)
        throw new TraceFormatError(file, line, `${cells.length} columns, the header has ${header.length}`);
      const fn = cells[fnCol].trim();
      if (fn === '') throw new TraceFormatError(file, line, 'empty HashFunction');
      if (seen.has(fn))
        throw new TraceFormatError(file, line, `function ${fn} again (first on line ${seen.get(fn)})`);
      seen.set(fn, line);
      let entry = rowsByFn.get(fn);
      if (!entry)
        rowsByFn.set(fn, (entry = { app: cells[appCol].trim(), counts: new Uint32Array(days * 1440) }));
      for (let k = 0; k < 1440; k++) {
        const cell = cells[minutes[k]].trim();
        if (!/^\d+$/.test(cell))
          throw new TraceFormatError(
            file,
            line,
            `minute ${k + 1} = "${cell}" is not a count (a non-negative integer)`,
          );
        entry.counts[day * 1440 + k] = Number(cell);
      }
    }
  }
  if (rowsByFn.size === 0) throw new TraceFormatError(files.invocations[0], 1, 'no function rows');
  const fns = [...rowsByFn.keys()];
  const ids = shortIds(fns, 'fn-');
  const T = days * 1440;
  const counts = new Float64Array(fns.length * T);
  let noDuration = 0;
  let noMemory = 0;
  const users = fns.map((fn, u) => {
    const r = rowsByFn.get(fn)!;
    counts.set(r.counts, u * T);
    const d = durations?.byFunction.get(fn);
    const m = memory?.byFunction.get(fn) ?? memory?.byApp.get(r.app);
    if (d === undefined) noDuration++;
    if (m === undefined) noMemory++;
    return {
      id: ids[u],
      durationMs: Math.max(1, Math.round(d ?? defaults.durationMs)),
      memoryMb: m && m > 0 ? m : defaults.memoryMb,
    };
  });
  const notes: string[] = [];
  if (noDuration)
    notes.push(`${noDuration} functions without a durations row: ${defaults.durationMs} ms assumed`);
  if (noMemory) notes.push(`${noMemory} functions without a memory row: ${defaults.memoryMb} MB assumed`);
  return { source, format: 'azure', users, minutes: T, counts, notes };
}
