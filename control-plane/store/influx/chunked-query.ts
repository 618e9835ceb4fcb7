/**
 * InfluxDB 1.x chunked query responses (`chunked=true&chunk_size=N`): one JSON document per line,
 * each holding at most N rows of one series (a series may span several). A large result is then
 * parsed a chunk at a time, with a turn of the event loop between chunks, instead of as one string:
 * a dense minute of 10^6 users is ~6·10^6 rows, hundreds of MB of JSON, whose single JSON.parse
 * would stall the service's one thread for seconds (~0.8 s per 400,000 rows measured here) or
 * exceed V8's string limit outright.
 */
import type { Series } from './http-client';

/** Splits the response bytes into lines (documents), whatever way the socket cuts them. */
export class ChunkLines {
  private pending: Buffer[] = [];

  /** The complete lines in `chunk` and what came before it. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const part = chunk.subarray(from, nl);
      const line = this.pending.length ? Buffer.concat([...this.pending, part]) : part;
      this.pending = [];
      if (line.length > 0) lines.push(line.toString('utf8'));
      from = nl + 1;
    }
    if (from < chunk.length) this.pending.push(chunk.subarray(from));
    return lines;
  }

  /** The unterminated rest at the end of the response ('' when it ended on a line break). */
  rest(): string {
    return Buffer.concat(this.pending).toString('utf8').trim();
  }
}

/** The series of one chunk document, or the error InfluxDB streamed instead (or why it is unreadable). */
export function seriesOfChunk(line: string): Series[] | { error: string } {
  let doc: { error?: string; results?: { error?: string; series?: Series[] }[] };
  try {
    doc = JSON.parse(line);
  } catch (e) {
    return { error: `unreadable chunk of the response (${(e as Error).message})` };
  }
  if (doc.error) return { error: doc.error };
  const out: Series[] = [];
  for (const r of doc.results ?? []) {
    if (r.error) return { error: r.error };
    for (const s of r.series ?? []) out.push({ ...s, values: s.values ?? [] });
  }
  return out;
}
