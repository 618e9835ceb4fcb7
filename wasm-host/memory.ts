// Bounds-checked access to a module's linear memory, the way cpp-host's V8 wrapper does it
// (src/v8/v8.cc getMemory/setMemory/getWord/setWord): every pointer is a wasm32 address, any
// range outside the current memory is refused (the caller turns that into INVALID_MEMORY_ACCESS).
// Views are rebuilt only when the memory grew (a grow detaches the old ArrayBuffer).

import type { FastBuffer } from './latin1';
import * as latin1Module from './latin1';
import { NO_WORDS, wordsOf, type WordViews } from './shared-store';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const { asciiLower, InternCache, latin1Of } = latin1Module;
const INTERN_MAX = InternCache.MAX;

export class VmMemory {
  private memory: WebAssembly.Memory | undefined;
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  u8: Uint8Array = new Uint8Array(0);
  /** The same bytes as 64- and 32-bit words (aligned copies of shared-data values and keys). */
  words: WordViews = NO_WORDS;
  dv: DataView = new DataView(this.buffer);
  private fast: FastBuffer = Buffer.alloc(0) as FastBuffer;

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.refresh();
  }

  get attached(): boolean {
    return this.memory !== undefined;
  }

  /** Current size in bytes. */
  size(): number {
    this.check();
    return this.u8.length;
  }

  /**
   * Rebuild views if the memory grew since last time (a grow detaches the old buffer, and a view
   * of a detached buffer has length 0, which V8 reads inline; ArrayBuffer.byteLength is a call).
   */
  check(): void {
    if (this.u8.length === 0 && this.memory !== undefined) this.refresh();
  }

  private refresh(): void {
    const buf = this.memory!.buffer;
    this.buffer = buf;
    this.u8 = new Uint8Array(buf);
    this.words = wordsOf(this.u8);
    this.dv = new DataView(buf);
    this.fast = Buffer.from(buf) as FastBuffer;
  }

  /**
   * True when [ptr, ptr+size) lies inside memory. Arguments are raw i32s from Wasm (or the same
   * values made unsigned). The fast path stays in int32 arithmetic (no conversions to double):
   * both non-negative as i32 and inside a memory below 2 GiB. Everything else (addresses past
   * 2^31, a view detached by a grow, which reads length 0) takes the exact path.
   */
  ok(ptr: number, size: number): boolean {
    const n = this.u8.length | 0;
    if ((ptr | size) >= 0 && ptr <= n - size && n > 0) return true;
    return this.okSlow(ptr, size);
  }

  private okSlow(ptr: number, size: number): boolean {
    const end = (ptr >>> 0) + (size >>> 0);
    this.check();
    return end <= this.u8.length;
  }

  /** Bytes copied out of memory (owned by the caller), or undefined when out of bounds. */
  copyOut(ptr: number, size: number): Uint8Array | undefined {
    if (!this.ok(ptr, size)) return undefined; // raw i32s: ok()'s int32 fast path
    ptr >>>= 0;
    size >>>= 0;
    return this.u8.slice(ptr, ptr + size);
  }

  /** A byte range read as a latin1 ("binary") string: one char per byte, lossless. */
  latin1(ptr: number, size: number): string | undefined {
    if (!this.ok(ptr, size)) return undefined; // raw i32s: ok()'s int32 fast path
    ptr >>>= 0;
    size >>>= 0;
    return size <= INTERN_MAX
      ? this.intern.get(this.u8, this.words.i32, this.fast, ptr, size)
      : this.fast.latin1Slice(ptr, ptr + size);
  }

  /** latin1(), ASCII-lower-cased: a header name as Envoy's LowerCaseString makes it. */
  latin1Lower(ptr: number, size: number): string | undefined {
    if (!this.ok(ptr, size)) return undefined; // raw i32s: ok()'s int32 fast path
    ptr >>>= 0;
    size >>>= 0;
    return size <= INTERN_MAX
      ? this.intern.getLower(this.u8, this.words.i32, this.fast, ptr, size)
      : asciiLower(this.fast.latin1Slice(ptr, ptr + size));
  }

  /** Like latin1() for bytes that change from call to call (header values): never cached. */
  latin1Value(ptr: number, size: number): string | undefined {
    if (!this.ok(ptr, size)) return undefined; // raw i32s: ok()'s int32 fast path
    ptr >>>= 0;
    size >>>= 0;
    return latin1Of(this.u8, this.fast, ptr, size);
  }

  // Header names are usually constants at a fixed address in the module's data, read again on
  // every request: they come back from a small cache keyed by address, verified byte for byte.
  private readonly intern = new InternCache();

  /** Write a latin1 string at ptr (caller checked bounds). */
  writeLatin1(ptr: number, s: string): void {
    const n = s.length;
    if (n <= 32) {
      const u8 = this.u8;
      for (let i = 0; i < n; i++) u8[ptr + i] = s.charCodeAt(i);
      return;
    }
    this.fast.latin1Write(s, ptr, n);
  }

  setU32(ptr: number, value: number): boolean {
    // Aligned and inside the current word view (empty once detached): one store, no other check.
    const i32 = this.words.i32;
    const w = ptr >>> 2;
    if ((ptr & 3) === 0 && w < i32.length) {
      i32[w] = value;
      return true;
    }
    if (!this.ok(ptr, 4)) return false;
    ptr >>>= 0;
    if ((ptr & 3) === 0) this.words.i32[ptr >>> 2] = value;
    else this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  getU32(ptr: number): number | undefined {
    if (!this.ok(ptr, 4)) return undefined;
    ptr >>>= 0;
    return this.dv.getUint32(ptr, true);
  }

  setU64(ptr: number, value: bigint): boolean {
    if (!this.ok(ptr, 8)) return false;
    ptr >>>= 0;
    this.dv.setBigUint64(ptr, value, true);
    return true;
  }

  /** A u64 given as [low, high] u32 words (no BigInt). */
  setU64Words(ptr: number, words: Uint32Array): boolean {
    if (!this.ok(ptr, 8)) return false;
    ptr >>>= 0;
    this.dv.setUint32(ptr, words[0], true);
    this.dv.setUint32(ptr + 4, words[1], true);
    return true;
  }

  setU16(ptr: number, value: number): boolean {
    if (!this.ok(ptr, 2)) return false;
    ptr >>>= 0;
    this.dv.setUint16(ptr, value, true);
    return true;
  }

  setBytes(ptr: number, bytes: Uint8Array): boolean {
    if (!this.ok(ptr, bytes.length)) return false;
    ptr >>>= 0;
    this.u8.set(bytes, ptr);
    return true;
  }
}

export const latin1ToUtf8 = (s: string): string => {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
};

export const utf8ToLatin1 = (s: string): string => {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
};

export const bytesToLatin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export const latin1ToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Driver input (UTF-8 string or bytes) as owned bytes. */
export const toBytes = (v: string | Uint8Array | undefined): Uint8Array =>
  v === undefined ? new Uint8Array(0) : typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v;
