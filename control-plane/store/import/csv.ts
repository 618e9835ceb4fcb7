/**
 * Reading trace CSVs line by line with line numbers, so every complaint names the file and line.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';

/** A trace file that cannot be imported as it is: names the file, the line (1 = header) and the problem. */
export class TraceFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

/** Splits one CSV line (RFC 4180 quoting); throws a plain message on an unterminated quote. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(cur);
  return out;
}

export interface CsvRow {
  line: number;
  cells: string[];
}

/** The header (line 1) and a row iterator. Blank lines are skipped; a file without a header is an error. */
export async function openCsv(file: string): Promise<{ header: string[]; rows: AsyncGenerator<CsvRow> }> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new TraceFormatError(file, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!stat.isFile()) throw new TraceFormatError(file, 0, 'not a file');
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  let lineNo = 0;
  let first: IteratorResult<string>;
  do {
    first = await it.next();
    lineNo++;
  } while (!first.done && first.value.trim() === '');
  if (first.done) {
    rl.close();
    throw new TraceFormatError(file, 0, 'empty file (no header line)');
  }
  const headerLine = lineNo;
  const header = parse(file, headerLine, first.value.replace(/^\uFEFF/, '')).map((h) => h.trim());
  async function* rows(): AsyncGenerator<CsvRow> {
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        lineNo++;
        if (r.value.trim() === '') continue;
        yield { line: lineNo, cells: parse(file, lineNo, r.value) };
      }
    } finally {
      rl.close();
    }
  }
  return { header, rows: rows() };
}

function parse(file: string, line: number, text: string): string[] {
  try {
    return splitCsvLine(text);
  } catch (e) {
    throw new TraceFormatError(file, line, (e as Error).message);
  }
}

/** Column index by name, or a precise error naming what is missing and what the header has. */
export function column(file: string, header: string[], name: string, what: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    const shown = header.slice(0, 6).join(',') + (header.length > 6 ? ',…' : '');
    throw new TraceFormatError(file, 1, `not ${what}: the header has no "${name}" column (header: ${shown})`);
  }
  return i;
}

/** Bytes in a file, for progress. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
