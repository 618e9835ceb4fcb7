/**
 * The writer's bookkeeping: every line gets a sequence number; a write resolves when all of its
 * lines are durable, and durability advances as a watermark over batches completed in sequence
 * order (a later batch acknowledged early waits for the ones before it). Also admission: at most
 * maxBufferedLines wait in memory, further writes queue in call order (backpressure).
 */

import { PartlyRefusedError } from './dead-letter';

export interface BatchSpan {
  startSeq: number;
  endSeq: number;
  /** Lines in the batch. */
  count: number;
}

interface Waiter {
  startSeq: number;
  endSeq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  failed?: Error;
}

export class WriteLedger {
  /** Sequence number of the last line appended. */
  seq = 0;
  /** Every line up to here is durable (acknowledged, spooled, or dead-lettered). */
  durableSeq = 0;
  /** Lines admitted and not yet durable. */
  buffered = 0;
  private waiters: Waiter[] = [];
  private admitQueue: { n: number; go: () => void }[] = [];
  /** Completed batches that wait for an earlier one before the watermark can pass them. */
  private early = new Map<number, BatchSpan>();

  constructor(private readonly maxBuffered: number) {}

  get waitingWrites(): number {
    return this.admitQueue.length;
  }

  /** Runs `go` now if there is room (or nothing is buffered), else once there is, in call order. */
  admit(n: number, go: () => void): void {
    this.admitQueue.push({ n, go });
    this.admitWaiting();
  }

  /** A write of lines startSeq..endSeq: settles when they are all durable. */
  track(startSeq: number, endSeq: number, resolve: () => void, reject: (e: Error) => void): void {
    if (endSeq <= this.durableSeq) resolve();
    else this.waiters.push({ startSeq, endSeq, resolve, reject });
  }

  /**
   * A batch is durable, or dead-lettered with `failure` (its writes then reject with it); with a
   * PartlyRefusedError only the writes with lines in its refused ranges do.
   */
  complete(b: BatchSpan, failure?: Error): void {
    this.buffered -= b.count;
    if (failure) {
      const ranges =
        failure instanceof PartlyRefusedError
          ? failure.ranges
          : [{ startSeq: b.startSeq, endSeq: b.endSeq, error: failure }];
      for (const w of this.waiters)
        for (const r of ranges) if (w.startSeq <= r.endSeq && w.endSeq >= r.startSeq) w.failed ??= r.error;
    }
    this.early.set(b.startSeq, b);
    for (let next = this.early.get(this.durableSeq + 1); next; next = this.early.get(this.durableSeq + 1)) {
      this.early.delete(next.startSeq);
      this.durableSeq = next.endSeq;
    }
    while (this.waiters.length && this.waiters[0].endSeq <= this.durableSeq) {
      const w = this.waiters.shift()!;
      if (w.failed) w.reject(w.failed);
      else w.resolve();
    }
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.admitQueue.length) {
      const next = this.admitQueue[0];
      if (this.buffered > 0 && this.buffered + next.n > this.maxBuffered) return;
      this.admitQueue.shift();
      this.buffered += next.n;
      next.go();
    }
  }
}
