/**
 * The nonce of a DeltaDiscoveryResponse that could not be read as a whole (a resource with a name
 * that is not UTF-8, say): found by walking the top-level fields by their tags and lengths only, so
 * the client can still NACK that very response. undefined when even that framing is broken; no NACK
 * can then name the response, and the client ends the stream instead, as Envoy does with a message
 * it cannot parse (a nonce-less NACK would leave the response in flight on the server for good).
 * Field 5 (nonce); the last occurrence wins, as in a decoder; a response without one has none to name.
 */
import { readVarint, varintEnd } from './varint';

export function responseNonce(buf: Uint8Array): string | undefined {
  let nonce = '';
  let p = 0;
  const end = buf.length;
  while (p < end) {
    const tag = readVarint(buf, p, end);
    if (tag !== tag) return undefined;
    p = varintEnd.pos;
    const wire = tag & 7;
    if (wire === 0) {
      const v = readVarint(buf, p, end);
      if (v !== v) return undefined;
      p = varintEnd.pos;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = readVarint(buf, p, end);
      if (len !== len || varintEnd.pos + len > end) return undefined;
      p = varintEnd.pos + len;
      if (tag === 0x2a) nonce = Buffer.from(buf.buffer, buf.byteOffset + p - len, len).toString('utf8');
    } else return undefined;
  }
  return p === end && nonce !== '' ? nonce : undefined;
}
