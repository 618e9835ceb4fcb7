/**
 * Sends one batch to InfluxDB: retries retriable failures with doubling backoff, dead-letters what
 * InfluxDB refuses for good, and keeps the counters the writer reports.
 */
import { InfluxHttp, InfluxHttpError } from '../influx/http-client';
import { deadLetter, PartlyRefusedError, PointsRejectedError, type RefusedRange } from './dead-letter';
import type { Logger } from './logger';
import type { Batch, PostResult, WriterStats } from './types';

const NEWLINE = Buffer.from('\n');

/** The request body of a batch: its parts, '\n'-separated, as one Buffer. */
export function batchBody(b: Batch): Buffer {
  const bufs: Buffer[] = [];
  let text: string[] = [];
  const flushText = (): void => {
    if (text.length) bufs.push(Buffer.from(text.join('\n')));
    text = [];
  };
  for (const p of b.parts) {
    if (typeof p === 'string') text.push(p);
    else {
      flushText();
      bufs.push(p.buf);
    }
  }
  flushText();
  const joined: Buffer[] = [];
  for (const buf of bufs) {
    if (joined.length) joined.push(NEWLINE);
    joined.push(buf);
  }
  return joined.length === 1 ? joined[0] : Buffer.concat(joined);
}

/**
 * A refusal of some points (400: beyond retention, a field type conflict, a line that does not
 * parse), worth splitting the batch for; any other (401, 403, 413) refuses every request alike.
 */
const pointLevel = (e: InfluxHttpError): boolean => e.status === 400;

export type SenderStats = Omit<WriterStats, 'buffered' | 'waitingWrites' | 'spooled'>;

export class Sender {
  readonly s: SenderStats = {
    state: 'ok',
    written: 0,
    spooledTotal: 0,
    replayed: 0,
    rejected: 0,
    retries: 0,
  };
  closing = false;

  constructor(
    readonly http: InfluxHttp,
    private readonly o: {
      db: string;
      spoolDir: string;
      attemptsBeforeSpool: number;
      backoffMinMs: number;
      backoffMaxMs: number;
    },
    private readonly log: Logger,
  ) {}

  nextBackoff(prev: number): number {
    return Math.min(this.o.backoffMaxMs, Math.max(this.o.backoffMinMs, prev * 2));
  }

  /** One batch, with retries and backoff; 'retry' means it should go to the spool. */
  async send(b: Batch): Promise<PostResult> {
    const res = await this.attempts(b);
    if (!(res instanceof InfluxHttpError)) return res;
    if (b.parts.length <= 1 || !pointLevel(res)) return this.refuse(b, res);
    // InfluxDB refuses a whole request for some of its points (a "partial write": it stored the
    // others), and a batch holds many writers' lines: a point of one must not fail the others. So
    // the batch is split until the refused lines are found; only those are dead-lettered and only
    // their writes fail. Sending a line again is harmless: every point has its own timestamp.
    // Nothing is dead-lettered until the split is over: if InfluxDB stops answering meanwhile the
    // batch is retried (spooled) whole, as any batch, with nothing counted twice.
    const refused: { half: Batch; err: InfluxHttpError }[] = [];
    if ((await this.split(b, refused)) === 'retry') return 'retry';
    if (refused.length === 0) return 'ok';
    const ranges: RefusedRange[] = [];
    for (const { half, err } of refused)
      ranges.push({ startSeq: half.startSeq, endSeq: half.endSeq, error: await this.refuse(half, err) });
    return new PartlyRefusedError(ranges);
  }

  /** Posts `b` with retries; a refusal is returned, not dead-lettered. */
  private async attempts(b: Batch): Promise<'ok' | 'retry' | InfluxHttpError> {
    const body = batchBody(b);
    let res = await this.attempt(this.o.db, b.rp, body, b.count);
    let wait = 0;
    for (
      let attempt = 1;
      res === 'retry' && attempt < this.o.attemptsBeforeSpool && !this.closing;
      attempt++
    ) {
      this.s.retries++;
      this.s.state = 'retrying';
      wait = this.nextBackoff(wait);
      await new Promise((r) => setTimeout(r, wait));
      res = await this.attempt(this.o.db, b.rp, body, b.count);
    }
    return res;
  }

  /** Halves of `b`, each sent (and split again when refused for some points) in order. */
  private async split(b: Batch, refused: { half: Batch; err: InfluxHttpError }[]): Promise<'ok' | 'retry'> {
    const mid = b.parts.length >> 1;
    let seq = b.startSeq;
    for (const parts of [b.parts.slice(0, mid), b.parts.slice(mid)]) {
      const count = parts.reduce((n, p) => n + (typeof p === 'string' ? 1 : p.lines), 0);
      const half: Batch = { ...b, parts, count, startSeq: seq, endSeq: seq + count - 1 };
      seq += count;
      const res = await this.attempts(half);
      if (res === 'retry') return 'retry';
      if (res === 'ok') continue;
      if (parts.length > 1 && pointLevel(res)) {
        if ((await this.split(half, refused)) === 'retry') return 'retry';
      } else refused.push({ half, err: res });
    }
    return 'ok';
  }

  /** Dead-letters what InfluxDB refused for good; the error its writes reject with. */
  private refuse(b: Batch, err: Error): Promise<PointsRejectedError> {
    this.s.rejected += b.count;
    return deadLetter(this.o.spoolDir, { db: this.o.db, rp: b.rp }, batchBody(b), b.count, err, this.log);
  }

  /** One request: 'ok', 'retry' (unreachable, 5xx), or the refusal (4xx). */
  private async attempt(
    db: string,
    rp: string,
    body: string | Buffer,
    lines: number,
  ): Promise<'ok' | 'retry' | InfluxHttpError> {
    try {
      await this.http.write(db, rp, body);
      this.s.written += lines;
      if (this.s.state === 'retrying') this.s.state = 'ok';
      return 'ok';
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.s.lastError = err.message;
      if (e instanceof InfluxHttpError && !e.retriable) return e;
      if (this.s.state === 'ok') this.log.warn(`${err.message}; retrying`);
      return 'retry';
    }
  }

  /** A spooled record's replay: a refusal is dead-lettered whole (its writes were settled when spooled). */
  async post(db: string, rp: string, body: string | Buffer, lines: number): Promise<PostResult> {
    const res = await this.attempt(db, rp, body, lines);
    if (!(res instanceof InfluxHttpError)) return res;
    this.s.rejected += lines;
    return deadLetter(this.o.spoolDir, { db, rp }, body, lines, res, this.log);
  }
}
