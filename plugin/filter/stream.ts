// Per-stream state of the filter, pooled: a worker reuses Stream objects (and their user-id
// buffers) request after request, so the request path allocates nothing once the pool has grown
// to the worker's peak concurrency. Streams and the pool are unmanaged (plain memory owned by the
// filter root): the request path then runs without GC shadow-stack frames.
import { MAX_KEY_BYTES } from '../plan/keys';

/** What a stream holds in the shared live counters, to give back when it ends. */
/** Longest fallback target kept for a queued stream (the record stores at most 255 bytes). */
export const MAX_FALLBACK: usize = 255;

export const enum Holding {
  None = 0,
  UserSlot = 1,
  PoolSlot = 2,
}

@unmanaged
export class Stream {
  readonly index: i32;
  contextId: u32 = 0;
  inUse: bool = false;
  /**
   * The user's record key, built once per request: prefix, 'r', '/', then the id read from the
   * request straight into place (admission and release use it without copying the id again).
   */
  readonly key: usize;
  /** Length of the key's head, and which UserKeys wrote it (0 = none yet). */
  keyHead: usize = 0;
  keysId: u32 = 0;
  /** User id bytes (empty when the request carried no identity): key + keyHead. */
  user: usize;
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
    this.key = heap.alloc(MAX_KEY_BYTES);
    this.user = this.key;
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

@unmanaged
export class StreamPool {
  /** Stream pointers by index, and a stack of free indexes; both grow by doubling. */
  private streams: usize = 0;
  private freeList: usize = 0;
  private cap: i32 = 0;
  private count: i32 = 0;
  private freeCount: i32 = 0;

  acquire(contextId: u32): Stream {
    let s: Stream;
    if (this.freeCount > 0) {
      this.freeCount--;
      s = this.at(load<i32>(this.freeList + ((<usize>this.freeCount) << 2)));
    } else {
      if (this.count == this.cap) this.grow();
      s = new Stream(this.count);
      store<usize>(this.streams + ((<usize>this.count) << alignof<usize>()), changetype<usize>(s));
      this.count++;
    }
    s.reset(contextId);
    return s;
  }

  get(index: i32): Stream | null {
    if (index < 0 || index >= this.count) return null;
    const s = this.at(index);
    return s.inUse ? s : null;
  }

  release(s: Stream): void {
    if (!s.inUse) return;
    s.inUse = false;
    s.contextId = 0;
    store<i32>(this.freeList + ((<usize>this.freeCount) << 2), s.index);
    this.freeCount++;
  }

  get active(): i32 {
    return this.count - this.freeCount;
  }

  @inline private at(index: i32): Stream {
    return changetype<Stream>(load<usize>(this.streams + ((<usize>index) << alignof<usize>())));
  }

  private grow(): void {
    const cap = this.cap == 0 ? 16 : this.cap << 1;
    const streamBytes = (<usize>cap) << alignof<usize>();
    const freeBytes = (<usize>cap) << 2;
    this.streams = this.streams == 0 ? heap.alloc(streamBytes) : heap.realloc(this.streams, streamBytes);
    this.freeList = this.freeList == 0 ? heap.alloc(freeBytes) : heap.realloc(this.freeList, freeBytes);
    this.cap = cap;
  }
}
