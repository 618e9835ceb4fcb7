// Header-map serialization used by proxy_get/set_header_map_pairs, send_local_response,
// grpc_call/stream metadata (cpp-host src/pairs_util.cc; spec v0.2.1 "Serialization"):
//   u32 count | count × (u32 key_len, u32 value_len) | count × (key \0 value \0), little-endian.
// Parsing is strict like PairsUtil::toPairs: any malformation yields an EMPTY list, not an error.

import { PAIRS_MAX_BYTES, PAIRS_MAX_COUNT } from './abi';
import { VmMemory } from './memory';
// Local copies: module exports are getters under tsx, too slow on the per-call path.

export interface Pairs {
  keys: string[];
  values: string[];
}

// The writers take a flat [k0, v0, k1, v1, …] array of latin1 strings: a HeaderMap's own storage
// (HeaderMap.kv), so serializing a map copies nothing first.

export const pairsSize = (kv: readonly string[]): number => {
  let size = 4;
  for (let i = 0; i < kv.length; i++) size += 4 + kv[i].length + 1;
  return size;
};

/** Write serialized pairs at ptr; the caller allocated pairsSize() bytes. */
export const marshalPairs = (mem: VmMemory, ptr: number, kv: readonly string[]): void => {
  const dv = mem.dv;
  dv.setUint32(ptr, kv.length >>> 1, true);
  let p = ptr + 4;
  for (let i = 0; i < kv.length; i++) {
    dv.setUint32(p, kv[i].length, true); // key size, value size, key size, …
    p += 4;
  }
  const u8 = mem.u8;
  for (let i = 0; i < kv.length; i++) {
    mem.writeLatin1(p, kv[i]);
    p += kv[i].length;
    u8[p++] = 0;
  }
};

/** PairsUtil::toPairs over a byte range already checked to be inside memory. */
export const parsePairs = (mem: VmMemory, ptr: number, size: number): Pairs => {
  const empty: Pairs = { keys: [], values: [] };
  ptr >>>= 0;
  size >>>= 0;
  if (size > PAIRS_MAX_BYTES || size < 4) return empty;
  const dv = mem.dv;
  const u8 = mem.u8;
  const end = ptr + size;
  const n = dv.getUint32(ptr, true);
  let p = ptr + 4;
  if (n > PAIRS_MAX_COUNT || p + n * 8 > end) return empty;
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    sizes.push(dv.getUint32(p, true), dv.getUint32(p + 4, true));
    p += 8;
  }
  const out: Pairs = { keys: [], values: [] };
  for (let i = 0; i < n; i++) {
    const ks = sizes[2 * i];
    const vs = sizes[2 * i + 1];
    if (p + ks + 1 > end) return empty;
    const k = mem.latin1(p, ks)!;
    p += ks;
    if (u8[p++] !== 0) return empty;
    if (p + vs + 1 > end) return empty;
    const v = mem.latin1(p, vs)!;
    p += vs;
    if (u8[p++] !== 0) return empty;
    out.keys.push(k);
    out.values.push(v);
  }
  return p === end ? out : empty;
};

/** Serialize UTF-8 pairs into a standalone byte array (tests and fixtures). */
export const encodePairs = (entries: ReadonlyArray<readonly [string, string]>): Uint8Array =>
  encodePairsLatin1(entries.flatMap((e) => e.map((x) => Buffer.from(x, 'utf8').toString('latin1'))));

/** Serialize a flat latin1 [k, v, …] array into a standalone byte array (map-valued properties). */
export const encodePairsLatin1 = (kv: readonly string[]): Uint8Array => {
  const out = Buffer.alloc(pairsSize(kv));
  out.writeUInt32LE(kv.length >>> 1, 0);
  let p = 4;
  for (let i = 0; i < kv.length; i++) p = out.writeUInt32LE(kv[i].length, p);
  for (let i = 0; i < kv.length; i++) p += out.write(kv[i], p, 'latin1') + 1;
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
};
