/**
 * The store's only way into InfluxDB: batches points (size and time triggers), retries with
 * backoff, and when InfluxDB stays unreachable spools batches to disk and replays them in order
 * once it answers again. Exactly-once in the data, at-least-once on the wire: every point has an
 * explicit timestamp, so a replayed batch overwrites itself instead of adding points.
 *
 * Durability: write() resolves once its points are acknowledged by InfluxDB (204) or fsynced to the
 * spool. Memory: at most maxBufferedLines wait; further writes wait for room (backpressure).
 * Order: up to `concurrency` bulk batches are in flight at once (InfluxDB parses them on separate
 * cores); a write with `now` (state: policies, plan headers) is a barrier that starts only after
 * everything before it is acknowledged, and nothing after it starts before it is. While the spool
 * holds anything, all batches queue behind it on disk and are replayed one at a time, in order.
 */
import { InfluxHttp } from '../influx/http-client';
import type { LineBlock } from '../influx/line-buffer';
import { formatPoint, lineTimestamp, type Point } from '../influx/line-protocol';
import { BatchAssembler } from './batch-assembler';
import { WriteLedger } from './ledger';
import { stderrLogger, type Logger } from './logger';
import { batchBody, Sender } from './sender';
import { DiskSpool, SpoolFullError } from './spool';
import type { Batch, PostResult, WriteOptions, WriterOptions, WriterStats } from './types';

export { PointsRejectedError } from './dead-letter';
export type { WriteOptions, WriterOptions, WriterState, WriterStats } from './types';

export class StoreWriter {
  private readonly o: Required<Omit<WriterOptions, 'log' | 'requestTimeoutMs'>>;
  private readonly log: Logger;
  private readonly ledger: WriteLedger;
  private readonly batches: BatchAssembler;
  private sealed: Batch[] = [];
  private inflight: { b: Batch; p: Promise<PostResult> }[] = [];
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private backoff = 0;
  private spoolMode = false;
  private spoolBlocked = false;
  private closing = false;
  private readonly sender: Sender;

  private constructor(
    opts: WriterOptions,
    private readonly spool: DiskSpool,
  ) {
    this.log = opts.log ?? stderrLogger;
    this.o = {
      url: opts.url,
      db: opts.db,
      spoolDir: opts.spoolDir,
      batchLines: opts.batchLines ?? 5000,
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      maxBufferedLines: opts.maxBufferedLines ?? 200_000,
      concurrency: Math.max(1, opts.concurrency ?? 2),
      attemptsBeforeSpool: opts.attemptsBeforeSpool ?? 3,
      backoffMinMs: opts.backoffMinMs ?? 100,
      backoffMaxMs: opts.backoffMaxMs ?? 5000,
      maxSpoolBytes: opts.maxSpoolBytes ?? 1 << 30,
      segmentBytes: opts.segmentBytes ?? 16 << 20,
    };
    this.ledger = new WriteLedger(this.o.maxBufferedLines);
    const http = new InfluxHttp({ url: opts.url, requestTimeoutMs: opts.requestTimeoutMs });
    this.sender = new Sender(http, this.o, this.log);
    this.batches = new BatchAssembler(this.ledger, this.o, (b) => {
      this.sealed.push(b);
      this.kick();
    });
  }

  private get s(): Sender['s'] {
    return this.sender.s;
  }

  /** Opens the spool (replaying what an earlier run left there as soon as InfluxDB answers). */
  static async open(opts: WriterOptions): Promise<StoreWriter> {
    const spool = await DiskSpool.open({
      dir: opts.spoolDir,
      maxBytes: opts.maxSpoolBytes ?? 1 << 30,
      segmentBytes: opts.segmentBytes ?? 16 << 20,
      log: opts.log ?? stderrLogger,
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
      buffered: this.ledger.buffered,
      waitingWrites: this.ledger.waitingWrites,
      spooled: this.spool.lines,
    };
  }

  /** Queues points for retention policy `rp`; resolves when they are durable (see file comment). */
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
        const line = lines[i].slice(0, 200);
        throw new Error(`line ${i + 1} has no timestamp (replays need one to stay exactly-once): ${line}`);
      }
    }
    if (lines.length === 0) return;
    return this.enqueue(rp, lines.length, opts, () => this.batches.append(rp, lines));
  }

  /**
   * Pre-encoded blocks of whole lines (encodeUsage): the ingest path, without a string per line.
   * Not checked here: every line must end in an epoch-ms timestamp, as for writeLines.
   */
  async writeBlocks(rp: string, blocks: readonly LineBlock[], opts?: WriteOptions): Promise<void> {
    if (this.closing) throw new Error('store writer is closed');
    let n = 0;
    for (const b of blocks) n += b.lines;
    if (n === 0) return;
    return this.enqueue(rp, n, opts, () => {
      for (const b of blocks) if (b.lines > 0) this.batches.appendBlock(rp, b);
    });
  }

  private enqueue(rp: string, n: number, opts: WriteOptions | undefined, add: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Appending happens inside admission, synchronously, so writes keep their call order.
      this.ledger.admit(n, () => {
        if (opts?.now) this.batches.seal(); // a barrier batch holds only its own lines
        this.ledger.track(this.ledger.seq + 1, this.ledger.seq + n, resolve, reject);
        this.batches.ordered = !!opts?.now;
        add();
        if (opts?.now) this.batches.seal();
      });
    });
  }

  /**
   * Resolves once every write made before the call has been admitted: its lines are in the
   * writer's buffer (at most maxBufferedLines) rather than waiting, formatted, for room. A caller
   * that produces many chunks (queueChunks) awaits it before building the next, so that a slow
   * InfluxDB holds back the producer instead of millions of lines piling up in memory.
   */
  admitted(): Promise<void> {
    return new Promise((resolve) => this.ledger.admit(0, resolve));
  }

  /** Sends what is buffered now; resolves when everything written before the call is durable. */
  flush(): Promise<void> {
    return new Promise((resolve) =>
      // Through admission, so writes still waiting for room count as "written before".
      this.ledger.admit(0, () => {
        this.batches.seal();
        this.ledger.track(this.ledger.seq, this.ledger.seq, resolve, () => resolve());
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
    // Spool mode too: the spool reads empty as soon as its last record is acked, a moment before
    // the pump leaves spool mode (and logs that InfluxDB answers again).
    while (this.ledger.buffered > 0 || !this.spool.isEmpty() || this.spoolMode) {
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
    this.closing = this.sender.closing = true;
    this.wake?.();
    await this.pumping;
    await this.spool.close();
    this.sender.http.close();
  }

  // --- sending ----------------------------------------------------------------------------------

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
    if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  /** A nap of `ms` that kick() (a new batch) or close() ends early; cancel() when done waiting. */
  private sleep(ms: number): { done: Promise<void>; cancel: () => void } {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = (): void => {
        clearTimeout(t);
        if (this.wake === finish) this.wake = undefined;
        resolve();
      };
    });
    const t = setTimeout(finish, ms);
    this.wake = finish;
    return { done, cancel: finish };
  }

  private async pump(): Promise<void> {
    while (!this.closing) {
      if (this.spoolMode || !this.spool.isEmpty()) {
        if (this.inflight.length) await this.drainInflight();
        else await this.spoolStep();
        continue;
      }
      this.launch();
      const head = this.inflight[0];
      if (!head) return;
      // Wake for the head's answer, or for a new batch that may fill a free slot.
      const nap = this.sleep(60_000);
      const res = await Promise.race([head.p, nap.done.then(() => null)]);
      nap.cancel();
      if (res === null) continue;
      this.inflight.shift();
      if (res === 'retry') {
        this.sealed.unshift(head.b);
        this.enterSpoolMode();
        continue;
      }
      this.ledger.complete(head.b, res === 'ok' ? undefined : res);
    }
  }

  /** Starts sends while slots are free; an ordered batch runs alone. */
  private launch(): void {
    while (this.sealed.length && this.inflight.length < this.o.concurrency) {
      const next = this.sealed[0];
      if (this.inflight.length && (next.ordered || this.inflight.some((e) => e.b.ordered))) return;
      this.sealed.shift();
      this.inflight.push({ b: next, p: this.sender.send(next) });
    }
  }

  /** Entering spool mode: let the requests in flight finish; the failed ones go to the spool first, in order. */
  private async drainInflight(): Promise<void> {
    const entries = this.inflight.splice(0);
    const results = await Promise.all(entries.map((e) => e.p));
    entries.forEach((e, i) => {
      const r = results[i];
      if (r === 'retry') this.sealed.push(e.b);
      else this.ledger.complete(e.b, r === 'ok' ? undefined : r);
    });
    this.sealed.sort((a, b) => a.startSeq - b.startSeq);
  }

  /** Spool mode: new batches onto disk, then one replay attempt of the oldest spooled batch. */
  private async spoolStep(): Promise<void> {
    // If the spool is full, new batches wait in memory while replay frees room.
    if (this.sealed.length && (await this.spoolSealed())) return;
    const rec = await this.spool.peek();
    if (!rec) return this.leaveSpoolMode();
    const res = await this.sender.post(rec.db, rec.rp, rec.body, rec.lines);
    if (res === 'retry') {
      this.backoff = this.sender.nextBackoff(this.backoff);
      await this.sleep(this.backoff).done;
      return;
    }
    await this.spool.ack();
    this.s.replayed += rec.lines;
    this.backoff = 0;
  }

  /** Moves every batch waiting in memory to the spool; false if the spool cannot take them now. */
  private async spoolSealed(): Promise<boolean> {
    const waiting = this.sealed.slice();
    try {
      await this.spool.append(
        waiting.map((b) => ({ db: this.o.db, rp: b.rp, lines: b.count, body: batchBody(b) })),
      );
    } catch (e) {
      const msg = e instanceof SpoolFullError ? e.message : `cannot write spool ${this.o.spoolDir}: ${e}`;
      if (!this.spoolBlocked) this.log.error(`${msg}; holding batches in memory, writers wait`);
      this.spoolBlocked = true;
      this.s.lastError = msg;
      return false;
    }
    this.spoolBlocked = false;
    this.sealed.splice(0, waiting.length);
    for (const b of waiting) {
      this.s.spooledTotal += b.count;
      this.ledger.complete(b);
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
        `InfluxDB at ${this.sender.http.url} answers again; spool replayed (${this.s.replayed} points so far)`,
      );
    }
    this.spoolMode = false;
    this.s.state = 'ok';
  }
}
