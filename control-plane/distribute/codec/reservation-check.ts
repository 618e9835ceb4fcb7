/**
 * Validates an encoded earmark.v1.Reservation without building it: the same verdict as
 * readReservation() followed by reservationProblem(), in one pass and without allocating on the
 * common (ASCII) path. The reference client accepts or NACKs a response with it and decodes a
 * reservation only when asked, as the filter copies records instead of building objects.
 * test/.../reservation-check.test.ts pins the equivalence with the object path.
 */
import { MAX_NAME_LENGTH } from '../cache/validate-reservation';

const UINT32_MAX = 0xffffffff;
const utf8 = new TextDecoder('utf-8', { fatal: true });

let b: Uint8Array = new Uint8Array(0);
let p = 0;
let end = 0;

/** The next varint, or NaN when truncated or longer than 10 bytes. */
function varint(): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) return NaN;
    const byte = b[p++];
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) return result;
    mul *= 128;
  }
  return NaN;
}

/** UTF-16 length of b[from, to) read as UTF-8, or -1 when it is not valid UTF-8. */
function utf16Length(from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (b[i] > 0x7f) {
      try {
        return utf8.decode(b.subarray(from, to)).length;
      } catch {
        return -1;
      }
    }
  }
  return to - from;
}

/** True when b[from, to) holds exactly the UTF-8 of `name`. */
function bytesEqualString(from: number, to: number, name: string): boolean {
  if (to - from === name.length) {
    let i = 0;
    while (i < name.length && b[from + i] === name.charCodeAt(i)) i++;
    if (i === name.length) return true;
  }
  return Buffer.from(name, 'utf8').equals(b.subarray(from, to));
}

function lengthProblem(field: string, units: number, required: boolean): string | undefined {
  if (units < 0) return `invalid UTF-8 in ${field}`;
  if (units === 0 && required) return `${field} must not be empty`;
  if (units > MAX_NAME_LENGTH) return `${field} is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

const U32_NAMES = [
  '',
  '',
  '',
  '',
  'slots',
  'ratePerMinute',
  'burst',
  'cpuMillicores',
  'memoryMb',
  'bandwidthKbps',
  '',
  'priority',
  'maxQueueWaitMs',
];
const lastU32 = new Float64Array(13);

/** undefined when buf[start, stop) is a valid Reservation for resource `name`; else the reason. */
export function reservationBytesProblem(
  buf: Uint8Array,
  start: number,
  stop: number,
  name: string,
): string | undefined {
  b = buf;
  p = start;
  end = stop;
  // The last occurrence of a field wins, as in a decoder; every string occurrence must be UTF-8.
  let userStart = -1;
  let userEnd = -1;
  let userLen = 0;
  let instanceLen = 0;
  let addressLen = 0;
  let tierLen = 0;
  let fallbackLen = 0;
  const u32 = lastU32; // fields 4-9, 11, 12 by number; last value wins
  u32.fill(0);
  let notBefore = 0;
  let expires = 0;
  while (p < end) {
    const tag = varint();
    if (Number.isNaN(tag)) return 'truncated varint';
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (Number.isNaN(len) || p + len > end) return `field ${Math.floor(tag / 8)} overruns the reservation`;
      const from = p;
      p += len;
      switch (tag) {
        case 0x0a:
          userStart = from;
          userEnd = p;
          userLen = utf16Length(from, p);
          if (userLen < 0) return 'invalid UTF-8 in user';
          break;
        case 0x12:
          instanceLen = utf16Length(from, p);
          if (instanceLen < 0) return 'invalid UTF-8 in instanceId';
          break;
        case 0x1a:
          addressLen = utf16Length(from, p);
          if (addressLen < 0) return 'invalid UTF-8 in instanceAddress';
          break;
        case 0x52:
          tierLen = utf16Length(from, p);
          if (tierLen < 0) return 'invalid UTF-8 in tier';
          break;
        case 130:
          fallbackLen = utf16Length(from, p);
          if (fallbackLen < 0) return 'invalid UTF-8 in fallback';
          break;
      }
    } else if (wire === 0) {
      const v = varint();
      if (Number.isNaN(v)) return 'truncated varint';
      const field = Math.floor(tag / 8);
      if (field === 14) notBefore = v;
      else if (field === 15) expires = v;
      else if ((field >= 4 && field <= 9) || field === 11 || field === 12) u32[field] = v;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
      if (p > end) return 'truncated fixed-width field';
    } else return `unsupported wire type ${wire}`;
  }
  const s =
    lengthProblem('user', userLen, true) ??
    lengthProblem('instanceId', instanceLen, true) ??
    lengthProblem('instanceAddress', addressLen, true) ??
    lengthProblem('tier', tierLen, false) ??
    lengthProblem('fallback', fallbackLen, false);
  if (s) return s;
  if (!bytesEqualString(userStart, userEnd, name)) return `user does not match resource name "${name}"`;
  for (let f = 4; f <= 12; f++) {
    if (u32[f] > UINT32_MAX) return `${U32_NAMES[f]} must be an integer in [0, 2^32-1], got ${u32[f]}`;
  }
  if (!Number.isSafeInteger(notBefore))
    return `notBeforeMs must be a non-negative safe integer, got ${notBefore}`;
  if (!Number.isSafeInteger(expires)) return `expiresMs must be a non-negative safe integer, got ${expires}`;
  if (expires <= notBefore) return `expiresMs ${expires} is not after notBeforeMs ${notBefore}`;
  return undefined;
}
