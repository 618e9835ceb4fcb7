// The reservation record: one fixed-layout binary value per user in shared data (key
// prefix + "r/" + user). The sync root writes the reservation part; filters update the live part
// (in-flight requests and the token bucket) with compare-and-swap, so a request reads its
// reservation and its counters with one get and takes a slot with one set.
// Layout v1 (little-endian; plugin/README.md "Record layout"):
//
//    0 u8[2] magic "EM"        8 u32 slots               32 u64 not_before_ms
//    2 u8    layout version 1 12 u32 rate_per_minute     40 u64 valid_until_ms (0 = none)
//    3 u8    kind: 1 reservation, 2 withdrawn            48 live: u32 in_flight, u32 0,
//    4 u8    on_exhausted 0-4 16 u32 burst                     u64 tokens, u64 updated_ms
//    5 u8    address length A 20 u32 priority            72 address bytes [A]
//    6 u8    fallback length F 24 u32 max_queue_wait_ms  72+A fallback bytes [F]
//    7 u8    0                28 u32 0
//
// A withdrawn record is the 8-byte header alone: shared data has no delete, so a removal
// shrinks the value in place and the key is reused if the user comes back.
import { ByteWriter } from '../lib/bytes';
import { LIVE_BYTES } from './live';

export const LIVE_OFFSET: usize = 48;
export const RECORD_HEADER: usize = LIVE_OFFSET + LIVE_BYTES;
export const TOMBSTONE_BYTES: usize = 8;
export const MAGIC0: u8 = 0x45; // 'E'
export const MAGIC1: u8 = 0x4d; // 'M'
export const LAYOUT_VERSION: u8 = 1;
export const KIND_RESERVATION: u8 = 1;
export const KIND_WITHDRAWN: u8 = 2;

export const enum RecordStatus {
  Valid = 0,
  Withdrawn = 1,
  Invalid = 2,
}

/**
 * The fields the sync root writes; strings as (ptr, len) into the decoded message. Unmanaged
 * (plain memory, made once per owner): decoding a record on the request path needs no GC frame.
 */
@unmanaged
export class RecordFields {
  slots: u32 = 0;
  ratePerMinute: u32 = 0;
  burst: u32 = 0;
  priority: u32 = 0;
  maxQueueWaitMs: u32 = 0;
  onExhausted: u32 = 0;
  notBeforeMs: u64 = 0;
  validUntilMs: u64 = 0;
  addressPtr: usize = 0;
  addressLen: usize = 0;
  fallbackPtr: usize = 0;
  fallbackLen: usize = 0;
}

/** A decoded record; pointers point into the bytes decoded (scratch: this callback only). */
@unmanaged
export class ReservationView extends RecordFields {
  /** The whole record, and its live part (writable: it is the module's own copy). */
  ptr: usize = 0;
  len: usize = 0;
  livePtr: usize = 0;

  /** Whether the reservation applies at `now` (Unix ms). */
  activeAt(now: u64): bool {
    return now >= this.notBeforeMs && (this.validUntilMs == 0 || now < this.validUntilMs);
  }
}

/** Decodes and validates a record; never reads outside [ptr, ptr + len). */
export function decodeRecord(ptr: usize, len: usize, out: ReservationView): RecordStatus {
  if (len < TOMBSTONE_BYTES) return RecordStatus.Invalid;
  if (load<u8>(ptr) != MAGIC0 || load<u8>(ptr, 1) != MAGIC1 || load<u8>(ptr, 2) != LAYOUT_VERSION) {
    return RecordStatus.Invalid;
  }
  const kind = load<u8>(ptr, 3);
  if (kind == KIND_WITHDRAWN) return len == TOMBSTONE_BYTES ? RecordStatus.Withdrawn : RecordStatus.Invalid;
  if (kind != KIND_RESERVATION || len < RECORD_HEADER) return RecordStatus.Invalid;
  const onExhausted = <u32>load<u8>(ptr, 4);
  const a = <usize>load<u8>(ptr, 5);
  const f = <usize>load<u8>(ptr, 6);
  if (onExhausted > 4 || a == 0 || len != RECORD_HEADER + a + f) return RecordStatus.Invalid;
  out.onExhausted = onExhausted;
  out.slots = load<u32>(ptr, 8);
  out.ratePerMinute = load<u32>(ptr, 12);
  out.burst = load<u32>(ptr, 16);
  out.priority = load<u32>(ptr, 20);
  out.maxQueueWaitMs = load<u32>(ptr, 24);
  out.notBeforeMs = load<u64>(ptr, 32);
  out.validUntilMs = load<u64>(ptr, 40);
  out.ptr = ptr;
  out.len = len;
  out.livePtr = ptr + LIVE_OFFSET;
  out.addressPtr = ptr + RECORD_HEADER;
  out.addressLen = a;
  out.fallbackPtr = ptr + RECORD_HEADER + a;
  out.fallbackLen = f;
  return RecordStatus.Valid;
}

/** Appends an encoded record with a zeroed live part (the writer fills it in before writing). */
export function encodeRecord(w: ByteWriter, r: RecordFields): void {
  w.u8(MAGIC0);
  w.u8(MAGIC1);
  w.u8(LAYOUT_VERSION);
  w.u8(KIND_RESERVATION);
  w.u8(r.onExhausted);
  w.u8(<u32>r.addressLen);
  w.u8(<u32>r.fallbackLen);
  w.u8(0);
  w.u32(r.slots);
  w.u32(r.ratePerMinute);
  w.u32(r.burst);
  w.u32(r.priority);
  w.u32(r.maxQueueWaitMs);
  w.u32(0);
  w.u64(r.notBeforeMs);
  w.u64(r.validUntilMs);
  w.ensure(LIVE_BYTES);
  memory.fill(w.ptr + w.len, 0, LIVE_BYTES);
  w.len += LIVE_BYTES;
  w.bytes(r.addressPtr, r.addressLen);
  w.bytes(r.fallbackPtr, r.fallbackLen);
}

export function encodeTombstone(w: ByteWriter): void {
  w.u8(MAGIC0);
  w.u8(MAGIC1);
  w.u8(LAYOUT_VERSION);
  w.u8(KIND_WITHDRAWN);
  w.u32(0);
}
