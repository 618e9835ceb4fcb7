// Per-stream state of the filter, pooled: a worker reuses Stream objects (and their user-id
// buffers) request after request, so the request path allocates nothing once the pool has grown
// to the worker's peak concurrency.
import { MAX_USER_BYTES } from '../plan/keys';

/** What a stream holds in the shared live counters, to give back when it ends. */
/** Longest fallback target kept for a queued stream (the record stores at most 255 bytes). */
export const MAX_FALLBACK: usize = 255;

export const enum Holding {
  None = 0,
  UserSlot = 1,
  PoolSlot = 2,
}

export class Stream {
  readonly index: i32;
  contextId: u32 = 0;
  inUse: bool = false;
  /** User id bytes (empty when the request carried no identity). */
  readonly user: usize;
  userLen: usize = 0;
  userHash: u32 = 0;
  /** Usage-table entry for this user, valid while usageGen matches the table's generation. */
  usageEntry: i32 = -1;
  usageGen: u32 = 0;
  holding: Holding = Holding.None;
  reserved: bool = false;
  decided: bool = false;
  queued: bool = false;
  priority: u32 = 0;
  seq: u64 = 0;
  enqueuedMs: u64 = 0;
  deadlineMs: u64 = 0;
  bytesIn: u64 = 0;
  bytesOut: u64 = 0;
  /** The filter answered with a local reply: its body is not the service's response. */
  replied: bool = false;
  /** Fallback target captured when the stream was queued (used if it is evicted). */
  readonly fallback: usize;
  fallbackLen: usize = 0;

  constructor(index: i32) {
    this.index = index;
    this.user = heap.alloc(MAX_USER_BYTES);
    this.fallback = heap.alloc(MAX_FALLBACK);
  }

  reset(contextId: u32): void {
    this.contextId = contextId;
    this.inUse = true;
    this.userLen = 0;
    this.userHash = 0;
    this.usageEntry = -1;
    this.holding = Holding.None;
    this.reserved = false;
    this.decided = false;
    this.queued = false;
    this.priority = 0;
    this.seq = 0;
    this.enqueuedMs = 0;
    this.deadlineMs = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.fallbackLen = 0;
    this.replied = false;
  }
}

export class StreamPool {
  readonly all: Array<Stream> = [];
  private free: Array<i32> = [];

  acquire(contextId: u32): Stream {
    let s: Stream;
    if (this.free.length > 0) {
      s = this.all[this.free.pop()];
    } else {
      s = new Stream(this.all.length);
      this.all.push(s);
    }
    s.reset(contextId);
    return s;
  }

  get(index: i32): Stream | null {
    if (index < 0 || index >= this.all.length) return null;
    const s = unchecked(this.all[index]);
    return s.inUse ? s : null;
  }

  release(s: Stream): void {
    if (!s.inUse) return;
    s.inUse = false;
    s.contextId = 0;
    this.free.push(s.index);
  }

  get active(): i32 {
    return this.all.length - this.free.length;
  }
}
