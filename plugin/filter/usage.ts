// Per-worker usage for the current interval, per user: counted in place on the request path
// (a hash probe in Wasm memory, no host call), then shipped as one binary batch on the shared
// queue the sync root registered (one enqueue per flush). Batch format "EMU1" (little-endian):
//
//   0 u32 magic 0x31554d45   4 u32 count   8 u64 interval_start_ms   16 u64 interval_end_ms
//   24 count x { u16 user length U, user bytes [U], counters [60 bytes, as C_* below] }
//
// The table's storage IS that batch: entries are appended in wire format behind a 24-byte header,
// so a flush writes the header and enqueues the buffer as it stands (no encoding pass, no second
// copy), and a full table costs one enqueue per `max_users` new users, nothing per request.
// Counters therefore sit at whatever alignment the user id leaves them (Wasm loads allow it).
import { copyShort, equalShort } from '../lib/bytes';

export const BATCH_MAGIC: u32 = 0x31554d45;
export const BATCH_HEADER: usize = 24;
export const COUNTERS_BYTES: usize = 60;

// Counter offsets from the start of an entry's counters (the wire layout of one user's usage).
export const C_REQUESTS: usize = 0;
export const C_ADMITTED: usize = 4;
export const C_QUEUED: usize = 8;
export const C_QUEUE_WAIT: usize = 12; // u64
export const C_QUEUE_WAIT_MAX: usize = 20;
export const C_THROTTLED: usize = 24;
export const C_REDIRECTED: usize = 28;
export const C_PEAK: usize = 32;
export const C_BYTES_IN: usize = 36; // u64
export const C_BYTES_OUT: usize = 44; // u64
export const C_SHORTFALL: usize = 52;
export const C_UNRESERVED: usize = 56;

/**
 * Table generations are unique across every table of this VM, not per table: a stream carried
 * over an in-place reconfiguration keeps its cached entry offset, and a new table that started
 * at the same generation number would accept that offset into a different batch.
 */
let nextGen: u32 = 1;

@unmanaged
export class UsageTable {
  readonly maxUsers: u32;
  readonly maxUserBytes: usize;
  private readonly mask: u32;
  /** Open addressing, u64 per slot: user hash (low half), entry offset in the batch (high; 0 = empty). */
  private readonly index: usize;
  /** The batch being built: header, then `count` entries up to `tail`. */
  readonly batch: usize;
  private readonly capacity: usize;
  private tail: usize = BATCH_HEADER;
  count: u32 = 0;
  /** Changed on clear (from nextGen), so streams can tell their cached entry went stale. */
  gen: u32 = nextGen++;
  intervalStartMs: u64 = 0;

  constructor(maxUsers: u32, maxUserBytes: usize) {
    this.maxUsers = maxUsers;
    this.maxUserBytes = maxUserBytes;
    let cap: u32 = 16;
    while (cap < maxUsers * 2) cap <<= 1;
    this.mask = cap - 1;
    this.index = heap.alloc((<usize>cap) << 3);
    memory.fill(this.index, 0, (<usize>cap) << 3);
    // Room for max_users entries of the longest configured id. Full is checked by bytes too: a
    // stream carried over from a reconfiguration may hold a longer id (it flushes sooner, safely).
    this.capacity = BATCH_HEADER + <usize>maxUsers * (2 + maxUserBytes + COUNTERS_BYTES);
    this.batch = heap.alloc(this.capacity);
  }

  /**
   * The offset of a user's counters in the batch (created zeroed if needed); -1 when the table is
   * full (flush, then retry: an empty table takes any id of up to 256 bytes).
   */
  find(user: usize, len: usize, hash: u32): i32 {
    const mask = this.mask;
    const batch = this.batch;
    let i = hash & mask;
    while (true) {
      const slotPtr = this.index + ((<usize>i) << 3);
      const v = load<u64>(slotPtr);
      if (v == 0) break;
      if (<u32>v == hash) {
        const e = <usize>(v >>> 32);
        if (<usize>load<u16>(batch + e) == len && equalShort(batch + e + 2, user, len))
          return <i32>(e + 2 + len);
      }
      i = (i + 1) & mask;
    }
    const e = this.tail;
    if (this.count >= this.maxUsers || e + 2 + len + COUNTERS_BYTES > this.capacity) return -1;
    const p = batch + e;
    store<u16>(p, <u16>len);
    copyShort(p + 2, user, len);
    const c = p + 2 + len;
    // 60 bytes of zeroed counters, as plain stores (a bulk fill is a runtime call in V8).
    store<u64>(c, 0);
    store<u64>(c, 0, 8);
    store<u64>(c, 0, 16);
    store<u64>(c, 0, 24);
    store<u64>(c, 0, 32);
    store<u64>(c, 0, 40);
    store<u64>(c, 0, 48);
    store<u32>(c, 0, 56);
    this.tail = e + 2 + len + COUNTERS_BYTES;
    this.count++;
    store<u64>(this.index + ((<usize>i) << 3), ((<u64>e) << 32) | (<u64>hash));
    return <i32>(e + 2 + len);
  }

  add32(entry: i32, field: usize, n: u32): void {
    const p = this.batch + <usize>entry + field;
    store<u32>(p, load<u32>(p) + n);
  }

  add64(entry: i32, field: usize, n: u64): void {
    const p = this.batch + <usize>entry + field;
    store<u64>(p, load<u64>(p) + n);
  }

  max32(entry: i32, field: usize, n: u32): void {
    const p = this.batch + <usize>entry + field;
    if (n > load<u32>(p)) store<u32>(p, n);
  }

  /** Closes the batch at `nowMs` (writes its header); it is then `batchBytes` long at `batch`. */
  seal(nowMs: u64): void {
    const b = this.batch;
    store<u32>(b, BATCH_MAGIC);
    store<u32>(b, this.count, 4);
    store<u64>(b, this.intervalStartMs, 8);
    store<u64>(b, nowMs, 16);
  }

  get batchBytes(): usize {
    return this.tail;
  }

  /** Gives the index and batch back to the heap (a table replaced by an in-place reconfiguration). */
  release(): void {
    heap.free(this.index);
    heap.free(this.batch);
  }

  clear(nowMs: u64): void {
    memory.fill(this.index, 0, (<usize>(this.mask + 1)) << 3);
    this.tail = BATCH_HEADER;
    this.count = 0;
    this.gen = nextGen++;
    this.intervalStartMs = nowMs;
  }
}
