// The entries of one vm_id, kept in flat typed arrays instead of a JS Map: a million keys in a Map
// cost a GC-visible object graph and several cache misses per lookup. Here a lookup hashes the key
// straight from Wasm memory (no string is built), probes an open-addressing index of
// (hash, record) pairs and compares bytes with the record in a byte slab.
// Record layout in the slab (8-byte aligned): u32 keyLen | u32 valueLen | u32 valueCap | u32 cas |
// key, padded to 8 | value[cap], cap a multiple of 8. Values are 8-aligned so a get or set of an
// aligned buffer copies 8 bytes at a time without building a subarray. Updates rewrite the value in
// place when it fits, else append a new record; the slab is compacted when more than half of it is
// dead. There is no delete (the ABI has none).

const HEADER = 16;
const pad8 = (n: number): number => (n + 7) & ~7;

/** 64- and 32-bit views of the same bytes as a Uint8Array, for copies by words (empty: none). */
export class WordViews {
  constructor(
    readonly i64: BigInt64Array,
    readonly i32: Int32Array,
  ) {}
}

export const NO_WORDS = new WordViews(new BigInt64Array(0), new Int32Array(0));

/** Word views of u8's buffer (when u8 starts it), else NO_WORDS. */
export const wordsOf = (u8: Uint8Array): WordViews => {
  if (u8.byteOffset !== 0) return NO_WORDS;
  const n = u8.buffer.byteLength;
  return new WordViews(
    (n & 7) === 0 ? new BigInt64Array(u8.buffer) : NO_WORDS.i64,
    (n & 3) === 0 ? new Int32Array(u8.buffer) : NO_WORDS.i32,
  );
};

/**
 * Hash of a key: its little-endian 32-bit words (read as words when the key is aligned and a word
 * view is given, assembled from bytes otherwise: same value), then the tail bytes, then a
 * murmur3-style finish so every byte reaches the low bits the index uses.
 */
const hashKey = (u8: Uint8Array, u32: Int32Array, at: number, len: number): number => {
  let h = len;
  const n = len >>> 2;
  if ((at & 3) === 0 && u32.length > 0) {
    const w = at >>> 2;
    for (let i = 0; i < n; i++) {
      h = Math.imul(h ^ u32[w + i], 0x9e3779b1);
      h ^= h >>> 15;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const p = at + 4 * i;
      const word = u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24);
      h = Math.imul(h ^ word, 0x9e3779b1);
      h ^= h >>> 15;
    }
  }
  for (let i = n << 2; i < len; i++) h = Math.imul(h ^ u8[at + i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
};

/**
 * Copy len bytes from src[from] to dst[to] without allocating: by 64-bit words while both offsets
 * are 8-aligned (V8 moves BigInt64Array elements without making BigInts), then 32-bit words, then
 * bytes. A 90-byte record is 11 moves and 2 byte copies instead of 90.
 */
const copyBytes = (
  src: Uint8Array,
  sw: WordViews,
  from: number,
  dst: Uint8Array,
  dw: WordViews,
  to: number,
  len: number,
): void => {
  let i = 0;
  if (((from | to) & 7) === 0 && sw.i64.length > 0 && dw.i64.length > 0) {
    const s64 = sw.i64;
    const d64 = dw.i64;
    const n = len >>> 3;
    const f = from >>> 3;
    const t = to >>> 3;
    for (let k = 0; k < n; k++) d64[t + k] = s64[f + k];
    i = n << 3;
  }
  if ((((from + i) | (to + i)) & 3) === 0 && sw.i32.length > 0 && dw.i32.length > 0) {
    const s32 = sw.i32;
    const d32 = dw.i32;
    const n = (len - i) >>> 2;
    const f = (from + i) >>> 2;
    const t = (to + i) >>> 2;
    for (let k = 0; k < n; k++) d32[t + k] = s32[f + k];
    i += n << 2;
  }
  for (; i < len; i++) dst[to + i] = src[from + i];
};

export class SharedStore {
  private slab = new Uint8Array(1 << 16);
  private slab32 = new Int32Array(this.slab.buffer);
  private words = wordsOf(this.slab);
  private used = 0;
  private dead = 0;
  /** [hash, record offset + 1] pairs; offset 0 marks an empty slot. */
  private index = new Int32Array(2 * 1024);
  private mask = 1023;
  count = 0;

  /**
   * The record found or written last (-1: none). A filter reads a key and then writes it back
   * with the CAS of that read (and again when the stream ends): checking this record's key first
   * skips hashing and probing for those. Exact, since the key bytes are compared; reset whenever
   * records move (compaction), and kept pointing at the live record of its key.
   */
  private last = -1;

  /** Record offset for a key in `u8` (Wasm memory or any bytes; w = wordsOf(u8)), or -1. */
  find(u8: Uint8Array, at: number, len: number, w: WordViews = NO_WORDS): number {
    const u32 = w.i32;
    const last = this.last;
    if (last >= 0 && this.keyIs(last, u8, u32, at, len)) return last;
    const off = this.findHashed(u8, u32, at, len, hashKey(u8, u32, at, len));
    if (off >= 0) this.last = off;
    return off;
  }

  private findHashed(u8: Uint8Array, u32: Int32Array, at: number, len: number, h: number): number {
    const index = this.index;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const ref = index[2 * i + 1];
      if (ref === 0) return -1;
      if (index[2 * i] === h && this.keyIs(ref - 1, u8, u32, at, len)) return ref - 1;
    }
  }

  /** Whether the record at off has this key (compared by words when the key is aligned). */
  private keyIs(off: number, u8: Uint8Array, u32: Int32Array, at: number, len: number): boolean {
    const slab32 = this.slab32;
    if (slab32[off >>> 2] !== len) return false;
    const k = off + HEADER;
    let j = 0;
    if ((at & 3) === 0 && u32.length > 0) {
      const n = len >>> 2;
      const kw = k >>> 2;
      const aw = at >>> 2;
      while (j < n && slab32[kw + j] === u32[aw + j]) j++;
      if (j < n) return false;
      j <<= 2;
    }
    const slab = this.slab;
    while (j < len && slab[k + j] === u8[at + j]) j++;
    return j === len;
  }

  valueLength(off: number): number {
    return this.slab32[(off >>> 2) + 1];
  }

  cas(off: number): number {
    return this.slab32[(off >>> 2) + 3] >>> 0;
  }

  private valueAt(off: number): number {
    return off + HEADER + pad8(this.slab32[off >>> 2]);
  }

  /** Copy a record's value to `dst` at `at` (the caller checked bounds); dw = wordsOf(dst). */
  copyValue(off: number, dst: Uint8Array, at: number, dw: WordViews = NO_WORDS): void {
    copyBytes(this.slab, this.words, this.valueAt(off), dst, dw, at, this.valueLength(off));
  }

  value(off: number): Uint8Array {
    const from = this.valueAt(off);
    return this.slab.slice(from, from + this.valueLength(off));
  }

  key(off: number): Uint8Array {
    return this.slab.slice(off + HEADER, off + HEADER + this.slab32[off >>> 2]);
  }

  /**
   * SharedData::set for key/value bytes; `nextCas` is the process-wide counter; `vw` =
   * wordsOf(vsrc) lets aligned values be copied by words. Returns the record, or -1 on a stale cas.
   */
  set(
    src: Uint8Array,
    kAt: number,
    kLen: number,
    vsrc: Uint8Array,
    vAt: number,
    vLen: number,
    cas: number,
    nextCas: () => number,
    vw: WordViews = NO_WORDS,
  ): number {
    const src32 = vsrc === src ? vw.i32 : NO_WORDS.i32;
    const last = this.last;
    let h = 0;
    let off: number;
    if (last >= 0 && this.keyIs(last, src, src32, kAt, kLen)) off = last;
    else {
      h = hashKey(src, src32, kAt, kLen);
      off = this.findHashed(src, src32, kAt, kLen, h);
    }
    if (off >= 0) {
      const w = off >>> 2;
      const slab32 = this.slab32;
      if (cas !== 0 && cas !== slab32[w + 3] >>> 0) return -1;
      if (vLen <= slab32[w + 2]) {
        slab32[w + 1] = vLen;
        slab32[w + 3] = nextCas();
        copyBytes(vsrc, vw, vAt, this.slab, this.words, this.valueAt(off), vLen);
        this.last = off;
        return off;
      }
      if (off === last) h = hashKey(src, src32, kAt, kLen);
      this.dead += HEADER + pad8(kLen) + slab32[w + 2];
      const fresh = this.append(src, kAt, kLen, vsrc, vAt, vLen, nextCas(), vw);
      this.repoint(h, off, fresh);
      this.last = fresh;
      if (this.dead > this.used / 2 && this.dead > 1 << 20) this.compact();
      return fresh;
    }
    const fresh = this.append(src, kAt, kLen, vsrc, vAt, vLen, nextCas(), vw);
    if (2 * (this.count + 1) > this.mask + 1) this.growIndex();
    this.insert(h, fresh);
    this.count++;
    this.last = fresh;
    return fresh;
  }

  private append(
    src: Uint8Array,
    kAt: number,
    kLen: number,
    vsrc: Uint8Array,
    vAt: number,
    vLen: number,
    cas: number,
    vw: WordViews,
  ): number {
    const cap = pad8(vLen);
    const size = HEADER + pad8(kLen) + cap;
    if (this.used + size > this.slab.length) {
      let n = this.slab.length * 2;
      while (this.used + size > n) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.slab.subarray(0, this.used));
      this.slab = next;
      this.slab32 = new Int32Array(next.buffer);
      this.words = wordsOf(next);
    }
    const off = this.used;
    const w = off >>> 2;
    this.slab32[w] = kLen;
    this.slab32[w + 1] = vLen;
    this.slab32[w + 2] = cap;
    this.slab32[w + 3] = cas;
    copyBytes(src, NO_WORDS, kAt, this.slab, this.words, off + HEADER, kLen);
    copyBytes(vsrc, vw, vAt, this.slab, this.words, off + HEADER + pad8(kLen), vLen);
    this.used += size;
    return off;
  }

  private insert(h: number, off: number): void {
    let i = h & this.mask;
    while (this.index[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    this.index[2 * i] = h;
    this.index[2 * i + 1] = off + 1;
  }

  private repoint(h: number, from: number, to: number): void {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      if (this.index[2 * i + 1] === from + 1) {
        this.index[2 * i + 1] = to + 1;
        return;
      }
    }
  }

  private growIndex(): void {
    const old = this.index;
    this.mask = this.mask * 2 + 1;
    this.index = new Int32Array(2 * (this.mask + 1));
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i], old[i + 1] - 1);
  }

  /** Drop dead records: copy the live ones into a fresh slab and repoint the index. */
  private compact(): void {
    this.last = -1; // every record moves
    const old = this.slab;
    const old32 = this.slab32;
    const oldWords = this.words;
    this.slab = new Uint8Array(Math.max(1 << 16, pad8(this.used - this.dead)));
    this.slab32 = new Int32Array(this.slab.buffer);
    this.words = wordsOf(this.slab);
    this.used = 0;
    this.dead = 0;
    const index = this.index;
    for (let i = 1; i < index.length; i += 2) {
      if (index[i] === 0) continue;
      const off = index[i] - 1;
      const w = off >>> 2;
      const kLen = old32[w];
      const fresh = this.append(
        old,
        off + HEADER,
        kLen,
        old,
        off + HEADER + pad8(kLen),
        old32[w + 1],
        old32[w + 3],
        oldWords,
      );
      index[i] = fresh + 1;
    }
  }

  /** Every live record offset (driver-side listing). */
  records(): number[] {
    const out: number[] = [];
    for (let i = 1; i < this.index.length; i += 2) if (this.index[i] !== 0) out.push(this.index[i] - 1);
    return out;
  }

  /** Bytes held: slab in use (live and dead records) plus the index. */
  bytes(): number {
    return this.used + this.index.byteLength;
  }
}
