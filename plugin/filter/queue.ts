// The per-worker wait queue: paused streams ordered by priority (higher first), then arrival.
// Only the worker that paused a stream can resume it (its context lives in this VM), so each
// worker has its own queue. Fixed capacity (queue.max_depth), no allocation after creation.
import { Stream } from './stream';

export class WaitQueue {
  readonly capacity: i32;
  private readonly items: StaticArray<Stream | null>;
  count: i32 = 0;
  private nextSeq: u64 = 1;

  constructor(capacity: i32) {
    this.capacity = capacity;
    this.items = new StaticArray<Stream | null>(capacity);
  }

  at(i: i32): Stream {
    return this.items[i]!;
  }

  /** The entry that would be evicted for a more important one: the last. */
  last(): Stream | null {
    return this.count > 0 ? this.items[this.count - 1] : null;
  }

  get full(): bool {
    return this.count >= this.capacity;
  }

  /** Inserts after every entry of equal or higher priority. The caller checked `full`. */
  push(s: Stream, priority: u32): void {
    s.priority = priority;
    s.seq = this.nextSeq++;
    s.queued = true;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.priority >= priority) lo = mid + 1;
      else hi = mid;
    }
    for (let i = this.count; i > lo; i--) this.items[i] = this.items[i - 1];
    this.items[lo] = s;
    this.count++;
  }

  removeAt(i: i32): Stream {
    const s = this.items[i]!;
    for (let k = i; k < this.count - 1; k++) this.items[k] = this.items[k + 1];
    this.count--;
    this.items[this.count] = null;
    s.queued = false;
    return s;
  }

  /** Removes a stream wherever it is (a reset while queued). */
  remove(s: Stream): bool {
    for (let i = 0; i < this.count; i++) {
      if (this.items[i] === s) {
        this.removeAt(i);
        return true;
      }
    }
    return false;
  }
}
