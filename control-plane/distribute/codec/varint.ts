/**
 * The varint loop shared by the one-pass readers (response-reader.ts, reservation-check.ts). They
 * keep positions in locals and read one-byte varints inline; longer ones come here, and the
 * position after the varint is left in `varintEnd.pos` (one number, no result object).
 */
export const varintEnd = { pos: 0 };

/** Unsigned varint at buf[p] (exact up to 2^53), or NaN when truncated at `end` or longer than 10 bytes. */
export function readVarint(buf: Uint8Array, p: number, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) return NaN;
    const byte = buf[p++];
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) {
      varintEnd.pos = p;
      return result;
    }
    mul *= 128;
  }
  return NaN;
}
