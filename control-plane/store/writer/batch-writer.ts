/**
 * The store's only way into InfluxDB: batches points (size and time triggers), retries with
 * backoff, and when InfluxDB stays unreachable spools batches to disk and replays them in order
 * once it answers again. Exactly-once in the data, at-least-once on the wire: every point has an
 * explicit timestamp, so a replayed batch overwrites itself instead of adding points.
 *
 * Order: batches leave strictly in the order they were written (one request in flight; while the
 * spool holds anything, new batches queue behind it on disk). Durability: write() resolves once its
 * points are acknowledged by InfluxDB (204) or fsynced to the spool. Memory: at most
 * maxBufferedLines wait in memory; further writes wait for room (backpressure).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InfluxHttp, InfluxHttpError } from '../influx/http-client';
import { formatPoint, lineTimestamp, type Point } from '../influx/line-protocol';
import { stderrLogger, type Logger } from './logger';
import { DiskSpool, SpoolFullError } from './spool';

export interface WriterOptions {
  /** InfluxDB base URL, e.g. http://127.0.0.1:8086 */
  url: string;
  db: string;
  /** Folder for the disk spool (one writer per folder). */
  spoolDir: string;
  /** Lines per write request (size trigger). Default 5000. */
  batchLines?: number;
  /** A partial batch is sent this long after its first line (time trigger). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Lines held in memory before write() waits for room. Default 200,000. */
  maxBufferedLines?: number;
  /** Attempts per batch before it goes to the spool. Default 3. */
  attemptsBeforeSpool?: number;
  /** Backoff between attempts and replays: doubles from min to max. Defaults 100 ms, 5 s. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Spool size limit; past it batches stay in memory and writers wait. Default 1 GiB. */
  maxSpoolBytes?: number;
  segmentBytes?: number;
  requestTimeoutMs?: number;
  log?: Logger;
}

export interface WriteOptions {
  /** Seal the batch now instead of waiting for the size or time trigger. */
  now?: boolean;
}

export type WriterState = 'ok' | 'retrying' | 'spooling';

export interface WriterStats {
  state: WriterState;
  /** Lines acknowledged by InfluxDB, replays included. */
  written: number;
  /** Lines in memory: waiting, or in the request in flight. */
  buffered: number;
  /** Write calls waiting for room (backpressure). */
  waitingWrites: number;
  /** Lines waiting in the disk spool now, and ever sent to it. */
  spooled: number;
  spooledTotal: number;
  replayed: number;
  /** Lines InfluxDB refused (HTTP 400); kept in <spoolDir>/rejected/ with the reason. */
  rejected: number;
  retries: number;
  lastError?: string;
}

/** InfluxDB refused some of the points (HTTP 400: type conflict, beyond retention, ...). */
export class PointsRejectedError extends Error {}

interface Batch {
  rp: string;
  lines: string[];
  startSeq: number;
  endSeq: number;
}

interface Waiter {
  startSeq: number;
  endSeq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  failed?: Error;
}

type PostResult = 'ok' | 'retry' | Error;

export class StoreWriter {
  private readonly http: InfluxHttp;
  private readonly o: Required<Omit<WriterOptions, 'log' | 'requestTimeoutMs'>>;
  private readonly log: Logger;
  private open: Batch | undefined;
  private openTimer: NodeJS.Timeout | undefined;
  private sealed: Batch[] = [];
  private seq = 0;
  private durableSeq = 0;
  private bufferedLines = 0;
  private waiters: Waiter[] = [];
  private admitQueue: { n: number; go: () => void }[] = [];
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private backoff = 0;
  private spoolMode = false;
  private spoolBlocked = false;
  private closing = false;
  private deadLetters = 0;
  private readonly s: WriterStats = {
    state: 'ok',
    written: 0,
    buffered: 0,
    waitingWrites: 0,
    spooled: 0,
    spooledTotal: 0,
    replayed: 0,
    rejected: 0,
    retries: 0,
  };

  private constructor(
    opts: WriterOptions,
    private readonly spool: DiskSpool,
  ) {
    this.http = new InfluxHttp({ url: opts.url, requestTimeoutMs: opts.requestTimeoutMs });
    this.log = opts.log ?? stderrLogger;
    this.o = {
      url: opts.url,
      db: opts.db,
      spoolDir: opts.spoolDir,
      batchLines: opts.batchLines ?? 5000,
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      maxBufferedLines: opts.maxBufferedLines ?? 200_000,
      attemptsBeforeSpool: opts.attemptsBeforeSpool ?? 3,
      backoffMinMs: opts.backoffMinMs ?? 100,
      backoffMaxMs: opts.backoffMaxMs ?? 5000,
      maxSpoolBytes: opts.maxSpoolBytes ?? 1 << 30,
      segmentBytes: opts.segmentBytes ?? 16 << 20,
    };
  }

  /** Opens the spool (replaying what an earlier run left there as soon as InfluxDB answers). */
  static async open(opts: WriterOptions): Promise<StoreWriter> {
    const log = opts.log ?? stderrLogger;
    const spool = await DiskSpool.open({
      dir: opts.spoolDir,
      maxBytes: opts.maxSpoolBytes ?? 1 << 30,
      segmentBytes: opts.segmentBytes ?? 16 << 20,
      log,
    });
    const w = new StoreWriter(opts, spool);
    if (!spool.isEmpty()) w.kick();
    return w;
  }

  get database(): string {
    return this.o.db;
  }
  get spoolDir(): string {
    return this.o.spoolDir;
  }

  stats(): WriterStats {
    return {
      ...this.s,
      buffered: this.bufferedLines,
      waitingWrites: this.admitQueue.length,
      spooled: this.spool.lines,
    };
  }

  /**
   * Queues points for retention policy `rp`; resolves when they are durable (see file comment).
   * `now`: send without waiting for the time trigger (small writes someone waits on: a policy, a plan).
   */
  async write(rp: string, points: readonly Point[], opts?: WriteOptions): Promise<void> {
    const lines = new Array<string>(points.length);
    for (let i = 0; i < points.length; i++) lines[i] = formatPoint(points[i]);
    return this.writeLines(rp, lines, opts);
  }

  /** Pre-formatted line protocol; each line must end in an epoch-ms timestamp. */
  async writeLines(rp: string, lines: readonly string[], opts?: WriteOptions): Promise<void> {
    if (this.closing) throw new Error('store writer is closed');
    for (let i = 0; i < lines.length; i++) {
      if (Number.isNaN(lineTimestamp(lines[i]))) {
        throw new Error(
          `line ${i + 1} has no timestamp (replays need one to stay exactly-once): ${lines[i].slice(0, 200)}`,
        );
      }
    }
    if (lines.length === 0) return;
    return new Promise<void>((resolve, reject) => {
      // Appending happens inside admission, synchronously, so writes keep their call order.
      this.admit(lines.length, () => {
        this.waiters.push({ startSeq: this.seq + 1, endSeq: this.seq + lines.length, resolve, reject });
        this.append(rp, lines);
        if (opts?.now) this.seal();
      });
    });
  }

  /** Sends what is buffered now; resolves when everything written before the call is durable. */
  flush(): Promise<void> {
    return new Promise((resolve) =>
      // Through admission, so writes still waiting for room count as "written before".
      this.admit(0, () => {
        this.seal();
        if (this.durableSeq >= this.seq) resolve();
        else this.waiters.push({ startSeq: this.seq, endSeq: this.seq, resolve, reject: () => resolve() });
      }),
    );
  }

  /**
   * Resolves once everything written so far has reached InfluxDB, spool included (imports, tests,
   * shutdown drains). Rejects after timeoutMs, saying how much is still spooled and why.
   */
  async delivered(timeoutMs = Infinity): Promise<void> {
    await this.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.bufferedLines > 0 || !this.spool.isEmpty()) {
      if (Date.now() > deadline) {
        throw new Error(
          `not delivered within ${timeoutMs} ms: ${this.spool.lines} points wait in the spool ` +
            `${this.o.spoolDir} (${this.s.lastError ?? 'no error'})`,
        );
      }
      if (!this.pumping) this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Flushes (to InfluxDB or the spool), then stops. Spooled batches wait on disk for the next open(). */
  async close(): Promise<void> {
    if (this.closing) return;
    await this.flush();
    this.closing = true;
    this.wake?.();
    await this.pumping;
    await this.spool.close();
    this.http.close();
  }

  // --- buffering --------------------------------------------------------------------------------

  /** Runs `enqueue` now if the buffer has room (or is empty), else in FIFO order once it has. */
  private admit(n: number, enqueue: () => void): void {
    this.admitQueue.push({ n, go: enqueue });
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.admitQueue.length) {
      const next = this.admitQueue[0];
      if (this.bufferedLines > 0 && this.bufferedLines + next.n > this.o.maxBufferedLines) return;
      this.admitQueue.shift();
      this.bufferedLines += next.n;
      next.go();
    }
  }

  private append(rp: string, lines: readonly string[]): void {
    let i = 0;
    while (i < lines.length) {
      if (this.open && this.open.rp !== rp) this.seal();
      if (!this.open) {
        this.open = { rp, lines: [], startSeq: this.seq + 1, endSeq: this.seq };
        this.openTimer = setTimeout(() => this.seal(), this.o.flushIntervalMs);
      }
      const take = Math.min(lines.length - i, this.o.batchLines - this.open.lines.length);
      for (let k = 0; k < take; k++) this.open.lines.push(lines[i + k]);
      i += take;
      this.seq += take;
      this.open.endSeq = this.seq;
      if (this.open.lines.length >= this.o.batchLines) this.seal();
    }
  }

  private seal(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
    if (!this.open) return;
    this.sealed.push(this.open);
    this.open = undefined;
    this.kick();
  }

  /** A batch is durable (or dead-lettered): settle the writes it completes, let waiting writers in. */
  private complete(b: Batch, failure?: Error): void {
    this.durableSeq = b.endSeq;
    this.bufferedLines -= b.lines.length;
    // Waiters are in sequence order: mark the writes this batch carried, then settle the finished ones.
    if (failure) {
      for (const w of this.waiters) {
        if (w.startSeq > b.endSeq) break;
        if (w.endSeq >= b.startSeq) w.failed = failure;
      }
    }
    while (this.waiters.length && this.waiters[0].endSeq <= this.durableSeq) {
      const w = this.waiters.shift()!;
      if (w.failed) w.reject(w.failed);
      else w.resolve();
    }
    this.admitWaiting();
  }

  // --- sending ----------------------------------------------------------------------------------

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
    if (!this.pumping) {
      this.pumping = this.pump().finally(() => (this.pumping = undefined));
    }
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      if (wakeable) this.wake = done;
    });
  }

  private nextBackoff(): number {
    this.backoff = Math.min(this.o.backoffMaxMs, Math.max(this.o.backoffMinMs, this.backoff * 2));
    return this.backoff;
  }

  private async pump(): Promise<void> {
    while (!this.closing) {
      if (this.spoolMode || !this.spool.isEmpty()) {
        // New batches queue behind the spool on disk; if it is full they wait in memory while replay frees room.
        if (this.sealed.length && (await this.spoolSealed())) continue;
        const rec = await this.spool.peek();
        if (!rec) {
          this.leaveSpoolMode();
          continue;
        }
        const res = await this.post(rec.db, rec.rp, rec.body, rec.lines);
        if (res === 'retry') {
          await this.sleep(this.nextBackoff(), true);
          continue;
        }
        await this.spool.ack();
        this.s.replayed += rec.lines;
        this.backoff = 0;
        continue;
      }
      const b = this.sealed[0];
      if (!b) return;
      let res = await this.post(this.o.db, b.rp, b.lines.join('\n'), b.lines.length);
      for (let attempt = 1; res === 'retry' && attempt < this.o.attemptsBeforeSpool; attempt++) {
        this.s.retries++;
        this.s.state = 'retrying';
        await this.sleep(this.nextBackoff(), false);
        res = await this.post(this.o.db, b.rp, b.lines.join('\n'), b.lines.length);
      }
      if (res === 'retry') {
        this.enterSpoolMode();
        continue;
      }
      this.sealed.shift();
      this.backoff = 0;
      this.complete(b, res === 'ok' ? undefined : res);
    }
  }

  private async post(db: string, rp: string, body: string, lines: number): Promise<PostResult> {
    try {
      await this.http.write(db, rp, body);
      this.s.written += lines;
      if (this.s.state === 'retrying') this.s.state = 'ok';
      return 'ok';
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.s.lastError = err.message;
      if (e instanceof InfluxHttpError && !e.retriable) return this.deadLetter(db, rp, body, lines, err);
      if (this.s.state === 'ok') this.log.warn(`${err.message}; retrying`);
      return 'retry';
    }
  }

  /** Moves every batch waiting in memory to the spool; false if the spool cannot take them now. */
  private async spoolSealed(): Promise<boolean> {
    const batches = this.sealed.slice();
    try {
      await this.spool.append(
        batches.map((b) => ({ db: this.o.db, rp: b.rp, lines: b.lines.length, body: b.lines.join('\n') })),
      );
    } catch (e) {
      const msg = e instanceof SpoolFullError ? e.message : `cannot write spool ${this.o.spoolDir}: ${e}`;
      if (!this.spoolBlocked) this.log.error(`${msg}; holding batches in memory, writers wait`);
      this.spoolBlocked = true;
      this.s.lastError = msg;
      return false;
    }
    this.spoolBlocked = false;
    this.sealed.splice(0, batches.length);
    for (const b of batches) {
      this.s.spooledTotal += b.lines.length;
      this.complete(b);
    }
    return true;
  }

  private enterSpoolMode(): void {
    if (this.spoolMode) return;
    this.spoolMode = true;
    this.s.state = 'spooling';
    this.log.error(
      `${this.s.lastError}. Spooling writes to ${this.o.spoolDir}; nothing is lost, ` +
        `they are replayed in order when InfluxDB answers again`,
    );
  }

  private leaveSpoolMode(): void {
    if (this.spoolMode || this.s.replayed > 0) {
      this.log.info(
        `InfluxDB at ${this.http.url} answers again; spool replayed (${this.s.replayed} points so far)`,
      );
    }
    this.spoolMode = false;
    this.s.state = 'ok';
  }

  /** A batch InfluxDB refuses will never succeed: keep it on disk with the reason, and say so. */
  private async deadLetter(db: string, rp: string, body: string, lines: number, err: Error): Promise<Error> {
    const dir = path.join(this.o.spoolDir, 'rejected');
    const file = path.join(dir, `${Date.now()}-${++this.deadLetters}.lp`);
    const reason = err.message.replace(/\n/g, ' ');
    try {
      await fsp.mkdir(dir, { recursive: true });
      await fsp.writeFile(file, `# ${reason}\n# db=${db} rp=${rp} lines=${lines}\n${body}\n`);
    } catch (e) {
      this.log.error(`could not keep rejected points in ${file}: ${e}`);
    }
    this.s.rejected += lines;
    this.log.error(`${reason}; the batch (${lines} lines) is kept in ${file}`);
    return new PointsRejectedError(`${reason} (batch kept in ${file})`);
  }
}
