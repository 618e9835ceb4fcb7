/**
 * The hash of a resource name's UTF-8 bytes, read four bytes at a time: the response reader
 * computes it while scanning each name (and learns whether the name is ASCII in the same pass),
 * and the client's record store looks records up by it. JS byte loops cost a few ns per byte on
 * this machine, and a proxy hashes 10^3 to 10^5 names per response.
 * FNV-style multiply per 32-bit word, with a shift after each step so that a word's high bytes
 * reach the low bits that pick a hash-table slot.
 */

/** OR of every byte of the last name hashed: (nameBits.high & 0x80808080) !== 0 when not ASCII. */
export const nameBits = { high: 0 };

/** Hash of buf[from, to); `view` is a DataView over the same bytes as `buf` (same offsets). */
export function hashNameBytes(view: DataView, buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5 | 0;
  let high = 0;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const w = view.getInt32(i, true);
    high |= w;
    h = Math.imul(h ^ w, 0x01000193);
    h ^= h >>> 15;
  }
  for (; i < to; i++) {
    const b = buf[i];
    high |= b;
    h = Math.imul(h ^ b, 0x01000193);
  }
  nameBits.high = high;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** A DataView over exactly `buf`'s bytes. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The same hash for a string's UTF-8 bytes (not on a hot path). */
export function hashNameString(name: string): number {
  const b = Buffer.from(name, 'utf8');
  return hashNameBytes(viewOf(b), b, 0, b.length);
}
