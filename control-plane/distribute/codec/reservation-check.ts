/**
 * Validates an encoded earmark.v1.Reservation without building it: the same verdict as
 * readReservation() followed by reservationProblem(), in one pass and without allocating on the
 * common (ASCII) path. The reference client accepts or NACKs a response with it and decodes a
 * reservation only when asked, as the filter copies records instead of building objects.
 * test/.../reservation-check.test.ts pins the equivalence with the object path.
 * Positions and values live in locals (varints and ASCII checks inline): a proxy runs this for
 * every reservation it receives, so it is the reference client's hottest loop.
 */
import { MAX_NAME_LENGTH as MAX_NAME } from '../cache/validate-reservation';
import { readVarint as varint, varintEnd } from './varint';

// Module constants: under tsx an imported binding is read through a getter on every use.
const MAX_NAME_LENGTH = MAX_NAME;
const readVarint = varint;
const cursor = varintEnd;

const UINT32_MAX = 0xffffffff;
/** notBeforeMs and expiresMs of the reservation being checked (epoch ms, kept unboxed). */
const times = new Float64Array(2);
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // varints are non-negative integers

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-16 length of buf[from, to) read as UTF-8, or -1 when it is not valid UTF-8. */
function utf16Length(buf: Uint8Array, from: number, to: number): number {
  try {
    return utf8.decode(buf.subarray(from, to)).length;
  } catch {
    return -1;
  }
}

/** True when buf[from, to) holds exactly the UTF-8 of `name`. */
function bytesEqualString(buf: Uint8Array, from: number, to: number, name: string): boolean {
  if (to - from === name.length) {
    let i = 0;
    while (i < name.length && buf[from + i] === name.charCodeAt(i)) i++;
    if (i === name.length) return true;
  }
  return Buffer.from(name, 'utf8').equals(buf.subarray(from, to));
}

function lengthProblem(field: string, units: number, required: boolean): string | undefined {
  if (units < 0) return `invalid UTF-8 in ${field}`;
  if (units === 0 && required) return `${field} must not be empty`;
  if (units > MAX_NAME_LENGTH) return `${field} is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

const u32Problem = (field: string, v: number) =>
  v > UINT32_MAX ? `${field} must be an integer in [0, 2^32-1], got ${v}` : undefined;

/**
 * undefined when buf[start, end) is a valid Reservation for resource `name`; else the reason.
 * nameStart/nameEnd: where `name`'s UTF-8 lies in buf (the Resource's own name field), so the user
 * is compared byte to byte without touching the string.
 */
export function reservationBytesProblem(
  buf: Uint8Array,
  start: number,
  end: number,
  name: string,
  nameStart = -1,
  nameEnd = -1,
  view?: DataView,
): string | undefined {
  // The last occurrence of a field wins, as in a decoder; every string occurrence must be UTF-8.
  let userStart = -1;
  let userEnd = -1;
  let userLen = 0;
  /** Whether the last user field seen differs from the name at buf[nameStart, nameEnd). */
  let userDiffers = true;
  let instanceLen = 0;
  let addressLen = 0;
  let tierLen = 0;
  let fallbackLen = 0;
  let slots = 0;
  let rate = 0;
  let burst = 0;
  let cpu = 0;
  let memory = 0;
  let bandwidth = 0;
  let priority = 0;
  let maxWait = 0;
  times[0] = 0; // notBeforeMs
  times[1] = 0; // expiresMs
  let p = start;
  while (p < end) {
    let tag = buf[p];
    if (tag < 0x80) p++;
    else if (p + 1 < end && buf[p + 1] < 0x80) {
      tag = (tag & 0x7f) | (buf[p + 1] << 7); // fields 16.. (fallback): two bytes
      p += 2;
    } else {
      tag = readVarint(buf, p, end);
      if (tag !== tag) return 'truncated varint';
      p = cursor.pos;
    }
    const wire = tag & 7;
    if (wire === 0) {
      // In int32 halves, so that the common path builds no double: lo = bits 0-27, hi = bits
      // 28-55; longer varints (values from 2^56, or overlong zeros) are read again whole by
      // readVarint (well formed by then).
      // The two epoch-ms fields go to a Float64Array (unboxed); see timesProblem.
      // Counters of one or two bytes (nearly all of them) first, without the loop.
      const b0 = p < end ? buf[p] : 0x80;
      let v = b0;
      if (b0 < 0x80) p++;
      else if (p + 1 < end && buf[p + 1] < 0x80) {
        v = (b0 & 0x7f) | (buf[p + 1] << 7);
        p += 2;
      } else if (
        (tag === 0x70 || tag === 0x78) &&
        p + 5 < end &&
        buf[p + 5] < 0x80 &&
        (buf[p + 2] & buf[p + 3] & buf[p + 4]) >= 0x80
      ) {
        // An epoch-ms value of today (2^35..2^42 ms): six bytes, read without the loop below.
        const lo =
          (b0 & 0x7f) |
          ((buf[p + 1] & 0x7f) << 7) |
          ((buf[p + 2] & 0x7f) << 14) |
          ((buf[p + 3] & 0x7f) << 21);
        const hi = (buf[p + 4] & 0x7f) | (buf[p + 5] << 7);
        times[tag === 0x70 ? 0 : 1] = hi * 268435456 + lo;
        p += 6;
        continue;
      } else {
        const start = p;
        let lo = 0;
        let hi = 0;
        let long = false;
        for (let i = 0; ; i++) {
          if (i === 10 || p >= end) return 'truncated varint';
          const byte = buf[p++];
          if (i < 4) lo |= (byte & 0x7f) << (7 * i);
          else if (i < 8) hi |= (byte & 0x7f) << (7 * (i - 4));
          else long = true;
          if (byte < 0x80) break;
        }
        if (tag === 0x70 || tag === 0x78) {
          // Two stores, not one of a conditional: a value merged with the call's would be boxed.
          const k = tag === 0x70 ? 0 : 1;
          if (long) times[k] = readVarint(buf, start, end);
          else times[k] = hi * 268435456 + lo;
          continue;
        }
        v = hi === 0 && !long ? lo : readVarint(buf, start, end);
      }
      if (tag === 0x70 || tag === 0x78) {
        times[tag === 0x70 ? 0 : 1] = v; // a short epoch-ms value (small: still checked below)
        continue;
      }
      switch (tag) {
        case 0x20:
          slots = v;
          break;
        case 0x28:
          rate = v;
          break;
        case 0x30:
          burst = v;
          break;
        case 0x38:
          cpu = v;
          break;
        case 0x40:
          memory = v;
          break;
        case 0x48:
          bandwidth = v;
          break;
        case 0x58:
          priority = v;
          break;
        case 0x60:
          maxWait = v;
          break;
      }
    } else if (wire === 2) {
      let len = p < end ? buf[p] : 0x80;
      if (len < 0x80) p++;
      else {
        len = readVarint(buf, p, end);
        if (len === len) p = cursor.pos;
      }
      if (len !== len || p + len > end) return `field ${Math.floor(tag / 8)} overruns the reservation`;
      const from = p;
      p += len;
      if (tag !== 0x0a && tag !== 0x12 && tag !== 0x1a && tag !== 0x52 && tag !== 130) continue;
      // A string field: ASCII (every byte below 0x80) is its own UTF-16 length.
      let high = 0;
      if (tag === 0x0a && len === nameEnd - nameStart) {
        // The user: scanned and compared with the resource's name in one loop (equal unless a
        // byte differs; `differ` is then what the later comparison would have found).
        // Four bytes per iteration through the view when there is one (names are ~14 bytes), the
        // last four read overlapping the ones before (a byte seen twice changes neither result).
        let differ = 0;
        if (view !== undefined && len >= 4) {
          for (let i = 0; i + 4 < len; i += 4) {
            const w = view.getInt32(from + i);
            high |= w;
            differ |= w ^ view.getInt32(nameStart + i);
          }
          const w = view.getInt32(p - 4);
          high |= w;
          differ |= w ^ view.getInt32(nameStart + len - 4);
        } else
          for (let i = 0; i < len; i++) {
            const b = buf[from + i];
            high |= b;
            differ |= b ^ buf[nameStart + i];
          }
        userDiffers = differ !== 0;
      } else {
        if (tag === 0x0a) userDiffers = true;
        // Four bytes per iteration (a third fewer loop branches than byte by byte); through the
        // view, the last four overlapping the ones before instead of a byte loop for the tail.
        let i = from;
        if (view !== undefined && len >= 4) {
          for (; i + 4 < p; i += 4) high |= view.getInt32(i);
          high |= view.getInt32(p - 4);
        } else {
          for (; i + 4 <= p; i += 4) high |= buf[i] | buf[i + 1] | buf[i + 2] | buf[i + 3];
          for (; i < p; i++) high |= buf[i];
        }
      }
      const units = (high & 0x80808080) !== 0 ? utf16Length(buf, from, p) : len;
      switch (tag) {
        case 0x0a:
          if (units < 0) return 'invalid UTF-8 in user';
          userStart = from;
          userEnd = p;
          userLen = units;
          break;
        case 0x12:
          if (units < 0) return 'invalid UTF-8 in instanceId';
          instanceLen = units;
          break;
        case 0x1a:
          if (units < 0) return 'invalid UTF-8 in instanceAddress';
          addressLen = units;
          break;
        case 0x52:
          if (units < 0) return 'invalid UTF-8 in tier';
          tierLen = units;
          break;
        default:
          if (units < 0) return 'invalid UTF-8 in fallback';
          fallbackLen = units;
      }
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
  const sameUser = nameStart >= 0 ? !userDiffers : bytesEqualString(buf, userStart, userEnd, name);
  if (!sameUser) return `user does not match resource name "${name}"`;
  const n =
    u32Problem('slots', slots) ??
    u32Problem('ratePerMinute', rate) ??
    u32Problem('burst', burst) ??
    u32Problem('cpuMillicores', cpu) ??
    u32Problem('memoryMb', memory) ??
    u32Problem('bandwidthKbps', bandwidth) ??
    u32Problem('priority', priority) ??
    u32Problem('maxQueueWaitMs', maxWait);
  if (n) return n;
  // Compared unboxed; the message is made in its own function. With the messages here, V8 boxed
  // both epoch-ms values into heap numbers for every reservation (~32 bytes of garbage each,
  // measured: 39 vs 10 scavenges over 1.5*10^7 checks), which in a process of 25 emulated
  // proxies is enough to promote into old space and bring on full GCs.
  const notBefore = times[0];
  const expires = times[1];
  if (notBefore <= MAX_SAFE && expires <= MAX_SAFE && expires > notBefore) return undefined;
  return timesProblem();
}

/** Why times (notBeforeMs, expiresMs) are not a valid window. */
function timesProblem(): string {
  const notBefore = times[0];
  const expires = times[1];
  if (!Number.isSafeInteger(notBefore))
    return `notBeforeMs must be a non-negative safe integer, got ${notBefore}`;
  if (!Number.isSafeInteger(expires)) return `expiresMs must be a non-negative safe integer, got ${expires}`;
  return `expiresMs ${expires} is not after notBeforeMs ${notBefore}`;
}
