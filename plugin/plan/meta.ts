// The plan's metadata record (key prefix + "meta"), written by the sync root and read by every
// filter on tick: whether a plan was ever applied, when it was last known current, its version.
// Layout (little-endian):
//
//   0 u8[2] "EM"  2 u8 layout 1  3 u8 kind 3   4 u32 stream state   8 u64 generation
//  16 u64 applied_ms   24 u64 fresh_ms   32 u32 resources   36 u16 version length V   38 u16 0
//  40 version bytes [V]
//
// generation counts applied responses (0 = no plan yet); fresh_ms is the last time the sync root
// knew its plan to be current (a response applied, or a tick with the stream connected).
import { ByteWriter } from '../lib/bytes';
import { MAGIC0, MAGIC1, LAYOUT_VERSION } from './record';

export const META_HEADER: usize = 40;
export const KIND_META: u8 = 3;

export const enum StreamState {
  Idle = 0,
  Connecting = 1,
  Connected = 2,
  Backoff = 3,
}

/** A decoded meta record (unmanaged: plain memory, made once per owner). */
@unmanaged
export class PlanMeta {
  state: u32 = 0;
  generation: u64 = 0;
  appliedMs: u64 = 0;
  freshMs: u64 = 0;
  resources: u32 = 0;
  versionPtr: usize = 0;
  versionLen: usize = 0;
}

export function decodeMeta(ptr: usize, len: usize, out: PlanMeta): bool {
  if (len < META_HEADER) return false;
  if (load<u8>(ptr) != MAGIC0 || load<u8>(ptr, 1) != MAGIC1 || load<u8>(ptr, 2) != LAYOUT_VERSION)
    return false;
  if (load<u8>(ptr, 3) != KIND_META) return false;
  const v = <usize>load<u16>(ptr, 36);
  if (len != META_HEADER + v) return false;
  out.state = load<u32>(ptr, 4);
  out.generation = load<u64>(ptr, 8);
  out.appliedMs = load<u64>(ptr, 16);
  out.freshMs = load<u64>(ptr, 24);
  out.resources = load<u32>(ptr, 32);
  out.versionPtr = ptr + META_HEADER;
  out.versionLen = v;
  return true;
}

export function encodeMeta(w: ByteWriter, m: PlanMeta): void {
  w.u8(MAGIC0);
  w.u8(MAGIC1);
  w.u8(LAYOUT_VERSION);
  w.u8(KIND_META);
  w.u32(m.state);
  w.u64(m.generation);
  w.u64(m.appliedMs);
  w.u64(m.freshMs);
  w.u32(m.resources);
  const v: usize = m.versionLen > 65535 ? <usize>65535 : m.versionLen;
  w.u16(<u32>v);
  w.u16(0);
  w.bytes(m.versionPtr, v);
}
