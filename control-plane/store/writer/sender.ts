/**
 * Sends one batch to InfluxDB: retries retriable failures with doubling backoff, dead-letters what
 * InfluxDB refuses for good, and keeps the counters the writer reports.
 */
import { InfluxHttp, InfluxHttpError } from '../influx/http-client';
import { deadLetter } from './dead-letter';
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
    const body = batchBody(b);
    let res = await this.post(this.o.db, b.rp, body, b.count);
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
      res = await this.post(this.o.db, b.rp, body, b.count);
    }
    return res;
  }

  async post(db: string, rp: string, body: string | Buffer, lines: number): Promise<PostResult> {
    try {
      await this.http.write(db, rp, body);
      this.s.written += lines;
      if (this.s.state === 'retrying') this.s.state = 'ok';
      return 'ok';
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.s.lastError = err.message;
      if (e instanceof InfluxHttpError && !e.retriable) {
        this.s.rejected += lines;
        return deadLetter(this.o.spoolDir, { db, rp }, body, lines, err, this.log);
      }
      if (this.s.state === 'ok') this.log.warn(`${err.message}; retrying`);
      return 'retry';
    }
  }
}
