// Serialization formats of the ABI itself: header "pairs" (cpp-host src/pairs_util.cc) and
// property paths. Little-endian, as Wasm memory is.
import { Blob, ByteWriter } from '../lib/bytes';

/**
 * Encodes header pairs: u32 count, then u32 key size and u32 value size per pair, then every key
 * and value each followed by a NUL. `kv` holds key, value, key, value...
 */
export function encodePairs(w: ByteWriter, kv: Array<Blob>): void {
  const n = kv.length >> 1;
  w.u32(<u32>n);
  for (let i = 0; i < n; i++) {
    w.u32(<u32>kv[i << 1].len);
    w.u32(<u32>kv[(i << 1) + 1].len);
  }
  for (let i = 0; i < n; i++) {
    w.blob(kv[i << 1]);
    w.u8(0);
    w.blob(kv[(i << 1) + 1]);
    w.u8(0);
  }
}

/** A property path (e.g. node.id) as the host expects it: segments separated by NUL bytes. */
export function encodePropertyPath(segments: Array<string>): Blob {
  const w = new ByteWriter(64);
  for (let i = 0; i < segments.length; i++) {
    if (i > 0) w.u8(0);
    w.utf8(segments[i]);
  }
  return Blob.copyOf(w.ptr, w.len);
}
