// Per-worker usage for the current interval, per user: counted in place on the request path
// (a hash probe in Wasm memory, no host call), then shipped as one binary batch on the shared
// queue the sync root registered (one enqueue per flush). Batch format "EMU1" (little-endian):
//
//   0 u32 magic 0x31554d45   4 u32 count   8 u64 interval_start_ms   16 u64 interval_end_ms
//   24 count x { u16 user length U, user bytes [U], counters [60 bytes, as ENTRY_* below] }
import { ByteWriter, bytesEqual } from '../lib/bytes';

export const BATCH_MAGIC: u32 = 0x31554d45;
export const BATCH_HEADER: usize = 24;
export const COUNTERS_BYTES: usize = 60;

// Entry layout in the table: 0 u32 hash, 4 u16 user length, 8..12 reserved, then the counters
// exactly as shipped (offsets 12..72), then the user id bytes.
export const F_REQUESTS: usize = 12;
export const F_ADMITTED: usize = 16;
export const F_QUEUED: usize = 20;
export const F_QUEUE_WAIT: usize = 24; // u64
export const F_QUEUE_WAIT_MAX: usize = 32;
export const F_THROTTLED: usize = 36;
export const F_REDIRECTED: usize = 40;
export const F_PEAK: usize = 44;
export const F_BYTES_IN: usize = 48; // u64
export const F_BYTES_OUT: usize = 56; // u64
export const F_SHORTFALL: usize = 64;
export const F_UNRESERVED: usize = 68;
const ENTRY_HEADER: usize = 72;

@unmanaged
export class UsageTable {
  readonly maxUsers: u32;
  readonly maxUserBytes: usize;
  private readonly stride: usize;
  private readonly mask: u32;
  private readonly index: usize; // open addressing: slot -> entry number + 1 (0 = empty)
  private readonly entries: usize;
  count: u32 = 0;
  /** Bumped on clear, so streams can tell their cached entry number went stale. */
  gen: u32 = 1;
  intervalStartMs: u64 = 0;

  constructor(maxUsers: u32, maxUserBytes: usize) {
    this.maxUsers = maxUsers;
    this.maxUserBytes = maxUserBytes;
    this.stride = (ENTRY_HEADER + maxUserBytes + 7) & ~(<usize>7);
    let cap: u32 = 16;
    while (cap < maxUsers * 2) cap <<= 1;
    this.mask = cap - 1;
    this.index = heap.alloc((<usize>cap) << 2);
    memory.fill(this.index, 0, (<usize>cap) << 2);
    this.entries = heap.alloc(<usize>maxUsers * this.stride);
  }

  entryPtr(entry: i32): usize {
    return this.entries + <usize>entry * this.stride;
  }

  /** The entry for a user, created if needed; -1 when the table is full (flush, then retry). */
  find(user: usize, len: usize, hash: u32): i32 {
    let i = hash & this.mask;
    while (true) {
      const v = load<u32>(this.index + ((<usize>i) << 2));
      if (v == 0) break;
      const e = this.entryPtr(<i32>v - 1);
      if (load<u32>(e) == hash && bytesEqual(e + ENTRY_HEADER, <usize>load<u16>(e, 4), user, len))
        return <i32>v - 1;
      i = (i + 1) & this.mask;
    }
    if (this.count >= this.maxUsers) return -1;
    const n = this.count++;
    const e = this.entryPtr(<i32>n);
    memory.fill(e, 0, ENTRY_HEADER);
    store<u32>(e, hash);
    store<u16>(e, <u16>len, 4);
    memory.copy(e + ENTRY_HEADER, user, len);
    store<u32>(this.index + ((<usize>i) << 2), n + 1);
    return <i32>n;
  }

  add32(entry: i32, field: usize, n: u32): void {
    const p = this.entryPtr(entry) + field;
    store<u32>(p, load<u32>(p) + n);
  }

  add64(entry: i32, field: usize, n: u64): void {
    const p = this.entryPtr(entry) + field;
    store<u64>(p, load<u64>(p) + n);
  }

  max32(entry: i32, field: usize, n: u32): void {
    const p = this.entryPtr(entry) + field;
    if (n > load<u32>(p)) store<u32>(p, n);
  }

  /** Encodes every entry as one batch into `w` (reset first). */
  encode(w: ByteWriter, nowMs: u64): void {
    w.reset();
    w.u32(BATCH_MAGIC);
    w.u32(this.count);
    w.u64(this.intervalStartMs);
    w.u64(nowMs);
    for (let n: u32 = 0; n < this.count; n++) {
      const e = this.entryPtr(<i32>n);
      const len = <usize>load<u16>(e, 4);
      w.u16(<u32>len);
      w.bytes(e + ENTRY_HEADER, len);
      w.bytes(e + F_REQUESTS, COUNTERS_BYTES);
    }
  }

  clear(nowMs: u64): void {
    memory.fill(this.index, 0, (<usize>(this.mask + 1)) << 2);
    this.count = 0;
    this.gen++;
    this.intervalStartMs = nowMs;
  }
}
