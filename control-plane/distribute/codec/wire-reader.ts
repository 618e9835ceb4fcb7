/**
 * A minimal protobuf reader over a Uint8Array, the twin of wire-writer.ts. Every read is bounds
 * checked and throws WireFormatError, so a truncated or corrupt message is an error, never garbage.
 */
import { readVarint as varint, varintEnd } from './varint';

// Module constants: under tsx an imported binding is read through a getter on every use.
const readVarint = varint;
const cursor = varintEnd;

export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);
// Buffer's native latin1 slice: the fastest way to make a short ASCII string from bytes.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

export class WireReader {
  pos: number;
  buf: Uint8Array;
  end: number;

  constructor(buf: Uint8Array = EMPTY, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Points this reader at buf[start, end): hot decoders reuse one reader instead of allocating. */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Unsigned varint as a number; exact up to 2^53, which covers uint32 and epoch milliseconds. */
  varint(): number {
    const v = readVarint(this.buf, this.pos, this.end);
    if (v !== v) throw new WireFormatError(`truncated or overlong varint at byte ${this.pos}`);
    this.pos = cursor.pos;
    return v;
  }

  /** The length prefix of a length-delimited field, checked against the enclosing message. */
  length(): number {
    const len = this.varint();
    if (this.pos + len > this.end) throw new WireFormatError(`field of ${len} bytes overruns its message`);
    return len;
  }

  string(): string {
    const len = this.length();
    const b = this.buf;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    for (let i = start; i < end; i++) if (b[i] > 0x7f) return this.utf8(start, len);
    return Buffer.isBuffer(b)
      ? latin1Slice.call(b, start, end)
      : String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }

  /**
   * A string field that repeats across messages (version, tier, fallback): when its bytes equal one
   * of the few last seen in `cache`, that string is returned instead of a new one.
   */
  internedString(cache: InternCache): string {
    const len = this.length();
    const b = this.buf;
    const start = this.pos;
    this.pos = start + len;
    const hit = cache.find(b, start, len);
    if (hit !== undefined) return hit;
    this.pos = start - varintLength(len);
    const s = this.string();
    cache.add(b, start, len, s);
    return s;
  }

  private utf8(start: number, len: number): string {
    try {
      return utf8.decode(this.buf.subarray(start, start + len));
    } catch {
      throw new WireFormatError(`invalid UTF-8 in a string field at byte ${start}`);
    }
  }

  /** A view (no copy) of a length-delimited field. */
  bytes(): Uint8Array {
    const len = this.length();
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  /** True when the next `expected.length` bytes of a length-delimited field equal `expected`. */
  bytesEqual(expected: Uint8Array): boolean {
    const len = this.length();
    let same = len === expected.length;
    for (let i = 0; same && i < len; i++) same = this.buf[this.pos + i] === expected[i];
    this.pos += len;
    return same;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const len = this.length(); // read before adding: length() moves pos past the prefix
        this.pos += len;
        return;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
    if (this.pos > this.end) throw new WireFormatError('truncated fixed-width field');
  }
}

function varintLength(n: number): number {
  let size = 1;
  for (; n > 0x7f; n = Math.floor(n / 128)) size++;
  return size;
}

/** The last few distinct short strings seen in one field, with their bytes. */
export class InternCache {
  private readonly bytes: Uint8Array[] = [];
  private readonly strings: string[] = [];
  private next = 0;

  constructor(private readonly size = 4) {}

  find(b: Uint8Array, start: number, len: number): string | undefined {
    for (let k = 0; k < this.bytes.length; k++) {
      const x = this.bytes[k];
      if (x.length !== len) continue;
      let i = 0;
      while (i < len && x[i] === b[start + i]) i++;
      if (i === len) return this.strings[k];
    }
    return undefined;
  }

  /** Remembers `s` as the string of b[start, start + len); returns s. */
  add(b: Uint8Array, start: number, len: number, s: string): string {
    if (len > 64) return s;
    this.bytes[this.next] = Uint8Array.prototype.slice.call(b, start, start + len); // a copy (Buffer#slice is a view)
    this.strings[this.next] = s;
    this.next = (this.next + 1) % this.size;
    return s;
  }
}

/**
 * Checks that a message's top-level fields are well framed (every length within the message, no
 * truncated varint). Reflection decoders that do not bounds-check are run only on bytes that pass.
 */
export function assertWellFramed(buf: Uint8Array): void {
  const rd = new WireReader(buf);
  while (!rd.done) {
    const tag = rd.varint();
    if (tag < 8) throw new WireFormatError(`invalid field number 0 at byte ${rd.pos}`);
    rd.skip(tag & 7);
  }
}
