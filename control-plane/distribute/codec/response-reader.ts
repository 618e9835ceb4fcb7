/**
 * Reads a DeltaDiscoveryResponse in one pass into parallel arrays (a StagedResponse) instead of an
 * object per resource: a proxy receives 10^3 to 10^5 resources per response, and the reference
 * client's cost per reservation is what bounds how fast 50 emulated proxies can ACK a delta.
 * The arrays are reused from response to response; bodies stay encoded, as offsets into the bytes.
 * Fields: system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6;
 * Resource: version = 1, resource (Any) = 2, name = 3, ttl (Duration) = 6.
 */
import { hashNameBytes, nameBits, viewOf } from './name-hash';
import { RESERVATION_TYPE_URL } from './resource-codec';
import { readVarint as varint, varintEnd } from './varint';
import { InternCache, WireFormatError } from './wire-reader';

// Module constants: under tsx an imported binding is read through a getter on every use.
const TYPE_URL = RESERVATION_TYPE_URL;
const readVarint = varint;
const cursor = varintEnd;
const hashName = hashNameBytes;
const nameScan = nameBits;
const TYPE_URL_BYTES = Buffer.from(TYPE_URL, 'utf8');
/** The type URL as little-endian 32-bit words (and its last length % 4 bytes, compared one by one). */
/**
 * The type URL as little-endian doubles, 8 bytes each (its last length % 8 bytes are compared one
 * by one). Comparing doubles with === is comparing their bits only for finite non-zero values
 * (NaN !== NaN, 0 === -0); ASCII text makes normal numbers, which is checked here.
 */
const TYPE_URL_DOUBLES = Float64Array.from({ length: TYPE_URL_BYTES.length >> 3 }, (_, k) =>
  TYPE_URL_BYTES.readDoubleLE(8 * k),
);
if (!TYPE_URL_DOUBLES.every((d) => Number.isFinite(d) && d !== 0))
  throw new Error('the type URL does not read as normal doubles'); // cannot happen for ASCII text
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = viewOf(EMPTY);
const INITIAL = 1024;

export class StagedResponse {
  /** The encoded response; bodies are offsets into it. */
  bytes: Uint8Array = EMPTY;
  /** A DataView over `bytes` (same offsets), for reading them a word at a time. */
  view: DataView = EMPTY_VIEW;
  systemVersionInfo = '';
  typeUrl = '';
  nonce = '';
  /** Resources read; entries past `count` in the arrays below are left from earlier responses. */
  count = 0;
  /**
   * Numbers live in typed arrays (off the JS heap, never traced by the GC: 25 emulated proxies each
   * keep these for a 5,600-resource chunk); they are replaced by larger ones as needed.
   * Where each name lies in `bytes` (equal when it is empty or absent); see name().
   */
  nameStarts = new Int32Array(INITIAL);
  nameEnds = new Int32Array(INITIAL);
  /** A non-ASCII name, decoded (and checked as UTF-8) while reading; '' for an ASCII one. */
  readonly names: string[] = [];
  /** Hash of each name's bytes (codec/name-hash.ts), computed in the same scan as the ASCII test. */
  nameHashes = new Int32Array(INITIAL);
  readonly versions: string[] = [];
  /** Any.type_url of each resource ('' for a heartbeat, which has no Any). */
  readonly typeUrls: string[] = [];
  /** Where each body (Any.value) lies in `bytes`; -1 for a heartbeat. */
  bodyStarts = new Int32Array(INITIAL);
  bodyEnds = new Int32Array(INITIAL);
  /** Resource.ttl in milliseconds; -1 when unset. */
  ttls = new Float64Array(INITIAL);
  removedCount = 0;
  readonly removed: string[] = [];

  /** Resource i's name; an ASCII name is made into a string only here, when someone needs it. */
  name(i: number): string {
    const from = this.nameStarts[i];
    return this.names[i] || (from < 0 ? '' : stringAt(this.bytes, from, this.nameEnds[i]));
  }

  /** Room for resource index i. */
  ensure(i: number): void {
    if (i < this.ttls.length) return;
    const n = Math.max(i + 1, this.ttls.length * 2);
    const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.nameStarts = grow(this.nameStarts, new Int32Array(n));
    this.nameEnds = grow(this.nameEnds, new Int32Array(n));
    this.nameHashes = grow(this.nameHashes, new Int32Array(n));
    this.bodyStarts = grow(this.bodyStarts, new Int32Array(n));
    this.bodyEnds = grow(this.bodyEnds, new Int32Array(n));
    this.ttls = grow(this.ttls, new Float64Array(n));
  }

  /**
   * Drops the reference to the response's bytes once it has been applied, and gives back the
   * string arrays' room when a large response (a full plan's 1 MiB chunk, ~6,000 resources) left
   * them far bigger than this one needed: they would otherwise stay on the heap of every proxy.
   */
  release(): void {
    this.bytes = EMPTY;
    view = this.view = EMPTY_VIEW;
    if (this.names.length > 2048 && this.count < this.names.length / 2)
      for (const a of [this.names, this.versions, this.typeUrls]) a.length = this.count;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const versions = new InternCache(); // one version string per publish: nearly always a hit
// Buffer's native latin1 slice: the fastest way to make a short ASCII string from bytes.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

// Positions are locals and one-byte tags and lengths are read inline (a proxy reads 10^5 resources
// per full plan); longer varints go through varintAt, which leaves the position after it here.
let after = 0;

function varintAt(buf: Uint8Array, p: number, end: number): number {
  const v = readVarint(buf, p, end);
  if (v !== v) throw new WireFormatError(`truncated or overlong varint at byte ${p}`);
  after = cursor.pos;
  return v;
}

/** The length prefix at p, checked against the enclosing message's end; leaves `after` past it. */
function lengthAt(buf: Uint8Array, p: number, end: number): number {
  let len = p < end ? buf[p] : 0x80;
  if (len < 0x80) after = p + 1;
  else if (p + 1 < end && buf[p + 1] < 0x80) {
    // Two bytes (128..16383): each Resource and its Any, two per resource.
    len = (len & 0x7f) | (buf[p + 1] << 7);
    after = p + 2;
  } else len = varintAt(buf, p, end);
  if (after + len > end) throw new WireFormatError(`field of ${len} bytes overruns its message`);
  return len;
}

/** Position after a field of this wire type whose tag ends at p. */
function skipAt(buf: Uint8Array, p: number, end: number, wire: number): number {
  switch (wire) {
    case 0:
      varintAt(buf, p, end);
      return after;
    case 2: {
      const len = lengthAt(buf, p, end);
      return after + len;
    }
    case 1:
    case 5:
      p += wire === 1 ? 8 : 4;
      if (p > end) throw new WireFormatError('truncated fixed-width field');
      return p;
    default:
      throw new WireFormatError(`unsupported wire type ${wire} at byte ${p}`);
  }
}

// The response being read, as a DataView: names, versions and type URLs are read 4 bytes at a time.
let view = viewOf(EMPTY);

// The version of the last resource read: one string per publish, so nearly every resource of a
// response repeats it; compared before the intern cache.
let lastVersionBytes: Uint8Array = new Uint8Array(0);
let lastVersionView = viewOf(lastVersionBytes);
let lastVersion = '';

function versionAt(buf: Uint8Array, from: number, to: number): string {
  const len = to - from;
  const last = lastVersionBytes;
  if (last.length === len) {
    const lv = lastVersionView;
    let i = 0;
    while (i + 4 <= len && lv.getInt32(i, true) === view.getInt32(from + i, true)) i += 4;
    if (i + 4 > len) while (i < len && last[i] === buf[from + i]) i++;
    if (i === len) return lastVersion;
  }
  const v = versions.find(buf, from, len) ?? versions.add(buf, from, len, stringAt(buf, from, to));
  if (len <= 64) {
    lastVersionBytes = Uint8Array.prototype.slice.call(buf, from, to); // a copy, not a view holding the response
    lastVersionView = viewOf(lastVersionBytes);
    lastVersion = v;
  }
  return v;
}

/** buf[from, to) as a string (ASCII fast path; else strict UTF-8, WireFormatError when invalid). */
export function stringAt(buf: Uint8Array, from: number, to: number): string {
  for (let i = from; i < to; i++) {
    if (buf[i] > 0x7f) {
      try {
        return utf8.decode(buf.subarray(from, to));
      } catch {
        throw new WireFormatError(`invalid UTF-8 in a string field at byte ${from}`);
      }
    }
  }
  return Buffer.isBuffer(buf)
    ? latin1Slice.call(buf, from, to)
    : String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]);
}

/** The next tag at p (one byte inline); leaves `after` past it. */
function tagAt(buf: Uint8Array, p: number, end: number): number {
  const b = buf[p];
  if (b < 0x80) {
    after = p + 1;
    return b;
  }
  return varintAt(buf, p, end);
}

function readDuration(buf: Uint8Array, p: number, end: number): number {
  let seconds = 0;
  let nanos = 0;
  while (p < end) {
    const tag = tagAt(buf, p, end);
    p = after;
    if (tag === 0x08 || tag === 0x10) {
      const v = varintAt(buf, p, end);
      p = after;
      if (tag === 0x08) seconds = v;
      else nanos = v;
    } else p = skipAt(buf, p, end, tag & 7);
  }
  if (nanos >= 1e9) throw new WireFormatError(`ttl nanos ${nanos} out of range`);
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

/** True when buf[from, to) is the reservation type URL. */
function isTypeUrl(buf: Uint8Array, from: number, to: number): boolean {
  if (to - from !== TYPE_URL_BYTES.length) return false;
  // Eight bytes per comparison; every resource carries the same URL, so no early exit.
  const words = TYPE_URL_DOUBLES;
  let same = true;
  for (let k = 0; k < words.length; k++) same = view.getFloat64(from + 8 * k, true) === words[k] && same;
  for (let i = 8 * words.length; i < TYPE_URL_BYTES.length; i++)
    same = buf[from + i] === TYPE_URL_BYTES[i] && same;
  return same;
}

/** Reads the Resource in buf[p, end) into slot i (one write per slot array). */
function readResource(buf: Uint8Array, p: number, end: number, s: StagedResponse, i: number): void {
  let name = '';
  let nameHash = 0;
  let nameStart = -1;
  let nameEnd = -1;
  let version = '';
  let typeUrl = '';
  let bodyStart = -1;
  let bodyEnd = -1;
  let ttl = -1;
  while (p < end) {
    const tag = tagAt(buf, p, end);
    p = after;
    if ((tag & 7) !== 2) {
      p = skipAt(buf, p, end, tag & 7);
      continue;
    }
    const len = lengthAt(buf, p, end);
    const from = after;
    p = from + len;
    if (tag === 0x1a) {
      nameStart = from;
      nameEnd = p;
      nameHash = hashName(view, buf, from, p);
      name = (nameScan.high & 0x80808080) === 0 ? '' : stringAt(buf, from, p);
    } else if (tag === 0x0a) version = versionAt(buf, from, p);
    else if (tag === 0x32) {
      // The usual ttl, whole seconds below 2^14 ({seconds: 300} is 08 ac 02), read inline.
      const n = p - from;
      if (n === 3 && buf[from] === 0x08 && buf[from + 1] >= 0x80 && buf[from + 2] < 0x80)
        ttl = ((buf[from + 1] & 0x7f) | (buf[from + 2] << 7)) * 1000;
      else ttl = readDuration(buf, from, p);
    } else if (tag === 0x12) {
      // Any{type_url = 1, value = 2}; an Any without a value still has an (empty) body.
      bodyStart = bodyEnd = p;
      let q = from;
      while (q < p) {
        const t = tagAt(buf, q, p);
        q = after;
        if (t !== 0x0a && t !== 0x12) {
          q = skipAt(buf, q, p, t & 7);
          continue;
        }
        const n = lengthAt(buf, q, p);
        q = after + n;
        if (t === 0x12) {
          bodyStart = after;
          bodyEnd = q;
        } else typeUrl = isTypeUrl(buf, after, q) ? TYPE_URL : stringAt(buf, after, q);
      }
    }
  }
  s.names[i] = name;
  s.nameHashes[i] = nameHash;
  s.nameStarts[i] = nameStart;
  s.nameEnds[i] = nameEnd;
  s.versions[i] = version;
  s.typeUrls[i] = typeUrl;
  s.bodyStarts[i] = bodyStart;
  s.bodyEnds[i] = bodyEnd;
  s.ttls[i] = ttl;
}

/** Reads `buf` into `into` (its previous content is replaced); throws WireFormatError on malformed bytes. */
export function readDeltaResponse(buf: Uint8Array, into: StagedResponse): StagedResponse {
  const s = into;
  s.bytes = buf;
  view = s.view = viewOf(buf);
  s.systemVersionInfo = s.typeUrl = s.nonce = '';
  s.count = s.removedCount = 0;
  const end = buf.length;
  let p = 0;
  while (p < end) {
    const tag = tagAt(buf, p, end);
    p = after;
    if ((tag & 7) !== 2) {
      p = skipAt(buf, p, end, tag & 7); // control_plane and the like: not used by Earmark
      continue;
    }
    const len = lengthAt(buf, p, end);
    const from = after;
    p = from + len;
    switch (tag) {
      case 0x12:
        s.ensure(s.count);
        readResource(buf, from, p, s, s.count++);
        break;
      case 0x0a:
        s.systemVersionInfo = stringAt(buf, from, p);
        break;
      case 0x22:
        s.typeUrl = stringAt(buf, from, p);
        break;
      case 0x2a:
        s.nonce = stringAt(buf, from, p);
        break;
      case 0x32:
        s.removed[s.removedCount++] = stringAt(buf, from, p);
        break;
    }
  }
  return s;
}
