/**
 * The writer's open batch: lines and pre-encoded blocks go in, in call order, and come out as
 * sealed batches by size (batchLines), by time (flushIntervalMs after the first line) or on demand
 * (a `now` barrier, flush, a change of retention policy). Sequence numbers are taken from the
 * ledger so every batch knows which writes it completes.
 */
import type { LineBlock } from '../influx/line-buffer';
import type { WriteLedger } from './ledger';
import type { Batch } from './types';

export class BatchAssembler {
  private open: Batch | undefined;
  private openTimer: NodeJS.Timeout | undefined;
  /** Whether the lines being appended are a `now` write (set by the writer before each add). */
  ordered = false;

  constructor(
    private readonly ledger: WriteLedger,
    private readonly o: { batchLines: number; flushIntervalMs: number },
    /** Receives each sealed batch, in order. */
    private readonly onSealed: (b: Batch) => void,
  ) {}

  append(rp: string, lines: readonly string[]): void {
    let i = 0;
    while (i < lines.length) {
      const b = this.openBatch(rp);
      const take = Math.min(lines.length - i, this.o.batchLines - b.count);
      for (let k = 0; k < take; k++) b.parts.push(lines[i + k]);
      i += take;
      this.added(b, take);
    }
  }

  /** A block stays whole: it starts a new batch when it would overfill the open one. */
  appendBlock(rp: string, block: LineBlock): void {
    if (this.open && this.open.count > 0 && this.open.count + block.lines > this.o.batchLines) this.seal();
    const b = this.openBatch(rp);
    b.parts.push(block);
    this.added(b, block.lines);
  }

  seal(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
    if (!this.open) return;
    const b = this.open;
    this.open = undefined;
    this.onSealed(b);
  }

  /** The batch lines for `rp` go into, opened (with its time trigger) if needed. */
  private openBatch(rp: string): Batch {
    if (this.open && this.open.rp !== rp) this.seal();
    if (!this.open) {
      const seq = this.ledger.seq;
      this.open = { rp, parts: [], count: 0, startSeq: seq + 1, endSeq: seq, ordered: this.ordered };
      this.openTimer = setTimeout(() => this.seal(), this.o.flushIntervalMs);
    }
    return this.open;
  }

  private added(b: Batch, n: number): void {
    b.count += n;
    this.ledger.seq += n;
    b.endSeq = this.ledger.seq;
    if (b.count >= this.o.batchLines) this.seal();
  }
}
