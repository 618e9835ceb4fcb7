// The entries of one vm_id, kept in flat typed arrays instead of a JS Map: a million keys in a Map
// cost a GC-visible object graph and several cache misses per lookup. A lookup hashes the key
// straight from Wasm memory (no string is built) and probes an open-addressing table of 128-byte
// slots. A record that fits (header, key and value in 128 bytes) lives in its slot, so finding a
// random key among 10^6 and copying its value touch two adjacent cache lines of one page; with a
// separate index and record slab that was two pages and four lines, the whole 10^6-user penalty
// of the filter bench (memory latency, not work). Larger records live in a slab the slot points to.
//
// Slot (32 words): w0 hash | w1 kind: 0 empty, SLAB, or inline: valueLen << 16 | keyLen << 1 | 1 |
// inline: key from byte 8, value after it (8-aligned, so it is copied by 64-bit words), cas in w31
// | SLAB: w2 record offset.
// Slab record (8-aligned): u32 keyLen | u32 valueLen | u32 valueCap | u32 cas | key, padded to 8 |
// value[cap]; rewritten in place when the value fits, else appended anew; compacted when more
// than half is dead. There is no delete (the ABI has none), so slots never empty again.

import type { WordViews } from './word-copy';
import * as wordCopy from './word-copy';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const { alignedBytes, copyBytes, hashKey, NO_WORDS, wordsOf } = wordCopy;

export { NO_WORDS, WordViews, wordsOf } from './word-copy';

// Slot i starts at byte i * SLOT (not i << 7: past 2^24 slots, a 4 GiB table, that overflows
// int32), word i << 5.
const SLOT = 128;
const HEADER = 16; // slab records
const INLINE = 8; // slot header: hash, kind
const CAS = 31; // word of an inline record's cas, at the end of its slot
const SLAB = 2;
const pad8 = (n: number): number => (n + 7) & ~7;
/** Whether a record of these sizes fits in a slot. */
const fits = (kLen: number, vLen: number): boolean => INLINE + pad8(kLen) + vLen <= SLOT - 4;

/** Whether `len` bytes at hay[k] (8-aligned) equal u8[at..]; by words when `at` is aligned. */
const sameBytes = (
  hay: Uint8Array,
  hay32: Int32Array,
  k: number,
  u8: Uint8Array,
  u32: Int32Array,
  at: number,
  len: number,
): boolean => {
  let j = 0;
  if ((at & 3) === 0 && u32.length > 0) {
    const n = len >>> 2;
    const kw = k >>> 2;
    const aw = at >>> 2;
    while (j < n && hay32[kw + j] === u32[aw + j]) j++;
    if (j < n) return false;
    j <<= 2;
  }
  while (j < len && hay[k + j] === u8[at + j]) j++;
  return j === len;
};

export class SharedStore {
  private table: Uint8Array = new Uint8Array(64 * SLOT);
  private tWords = wordsOf(this.table);
  private t32 = this.tWords.i32;
  private mask = 63;
  private slab = new Uint8Array(1 << 12);
  private slab32 = new Int32Array(this.slab.buffer);
  private sWords = wordsOf(this.slab);
  private used = 0;
  private dead = 0;
  count = 0;

  /**
   * The slot found or written last (-1: none). A filter reads a key and then writes it back with
   * the CAS of that read (and again when the stream ends): checking this slot's key first skips
   * hashing and probing for those. Exact, since the key bytes are compared; reset when slots move.
   */
  private last = -1;

  /** The slot of a key in `u8` (Wasm memory or any bytes; w = wordsOf(u8)), or -1. */
  find(u8: Uint8Array, at: number, len: number, w: WordViews = NO_WORDS): number {
    const u32 = w.i32;
    const last = this.last;
    if (last >= 0 && this.keyIs(last, u8, u32, at, len)) return last;
    const slot = this.probe(u8, u32, at, len, hashKey(u8, u32, at, len));
    if (slot < 0) return -1;
    this.last = slot;
    return slot;
  }

  /** The slot holding this key, or ~(the empty slot that ends its probe run). */
  private probe(u8: Uint8Array, u32: Int32Array, at: number, len: number, h: number): number {
    const t32 = this.t32;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const w = i << 5;
      // Load the slot's second cache line now, with its first: a found record's value and cas
      // live there, and a random slot misses both. Issued together the two misses overlap;
      // otherwise the second starts only after the key compare. (Stored so it is not dropped.)
      this.ahead = t32[w + 16];
      if (t32[w + 1] === 0) return ~i;
      if (t32[w] === h && this.keyIs(i, u8, u32, at, len)) return i;
    }
  }

  /** Sink for the early load in probe() (never read for its value). */
  private ahead = 0;

  private keyIs(slot: number, u8: Uint8Array, u32: Int32Array, at: number, len: number): boolean {
    const w = slot << 5;
    const kind = this.t32[w + 1];
    if (kind === SLAB) {
      const off = this.t32[w + 2] >>> 0; // unsigned: the slab may pass 2^31 bytes
      if (this.slab32[off >>> 2] !== len) return false;
      return sameBytes(this.slab, this.slab32, off + HEADER, u8, u32, at, len);
    }
    return (
      (kind & 0xffff) === 2 * len + 1 &&
      sameBytes(this.table, this.t32, slot * SLOT + INLINE, u8, u32, at, len)
    );
  }

  valueLength(slot: number): number {
    const w = slot << 5;
    const kind = this.t32[w + 1];
    return kind === SLAB ? this.slab32[(this.t32[w + 2] >>> 2) + 1] : kind >>> 16;
  }

  cas(slot: number): number {
    const w = slot << 5;
    return (this.t32[w + 1] === SLAB ? this.slab32[(this.t32[w + 2] >>> 2) + 3] : this.t32[w + CAS]) >>> 0;
  }

  /** Copy a record's value to `dst` at `at` (the caller checked bounds); dw = wordsOf(dst). */
  copyValue(slot: number, dst: Uint8Array, at: number, dw: WordViews = NO_WORDS): void {
    const w = slot << 5;
    const kind = this.t32[w + 1];
    if (kind === SLAB) {
      const off = this.t32[w + 2] >>> 0;
      const r = off >>> 2;
      const from = off + HEADER + pad8(this.slab32[r]);
      copyBytes(this.slab, this.sWords, from, dst, dw, at, this.slab32[r + 1]);
    } else {
      const from = slot * SLOT + INLINE + pad8((kind & 0xffff) >>> 1);
      copyBytes(this.table, this.tWords, from, dst, dw, at, kind >>> 16);
    }
  }

  value(slot: number): Uint8Array {
    const out = new Uint8Array(this.valueLength(slot));
    this.copyValue(slot, out, 0);
    return out;
  }

  key(slot: number): Uint8Array {
    const w = slot << 5;
    const kind = this.t32[w + 1];
    const at = slot * SLOT + INLINE;
    if (kind !== SLAB) return this.table.slice(at, at + ((kind & 0xffff) >>> 1));
    const off = this.t32[w + 2] >>> 0;
    return this.slab.slice(off + HEADER, off + HEADER + this.slab32[off >>> 2]);
  }

  /**
   * SharedData::set for key/value bytes; `nextCas` is the process-wide counter; `vw` =
   * wordsOf(vsrc) lets aligned values be copied by words. Returns the slot, or -1 on a stale cas.
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
    const kw = vsrc === src ? vw : NO_WORDS;
    const last = this.last;
    let slot: number;
    if (last >= 0 && this.keyIs(last, src, kw.i32, kAt, kLen)) slot = last;
    else {
      const h = hashKey(src, kw.i32, kAt, kLen);
      slot = this.probe(src, kw.i32, kAt, kLen, h);
      if (slot < 0) {
        // Absent: always written (whatever the cas).
        if (2 * (this.count + 1) > this.mask + 1) {
          this.grow();
          slot = this.probe(src, kw.i32, kAt, kLen, h);
        }
        slot = ~slot;
        this.fill(slot, h, src, kw, kAt, kLen, vsrc, vw, vAt, vLen, nextCas());
        this.count++;
        this.last = slot;
        return slot;
      }
    }
    const w = slot << 5;
    const t32 = this.t32;
    if (t32[w + 1] === SLAB) {
      const off = t32[w + 2] >>> 0;
      const r = off >>> 2;
      const slab32 = this.slab32;
      if (cas !== 0 && cas !== slab32[r + 3] >>> 0) return -1;
      if (vLen <= slab32[r + 2]) {
        slab32[r + 1] = vLen;
        slab32[r + 3] = nextCas();
        copyBytes(vsrc, vw, vAt, this.slab, this.sWords, off + HEADER + pad8(kLen), vLen);
      } else {
        const oldSize = HEADER + pad8(kLen) + slab32[r + 2];
        t32[w + 2] = this.append(src, kw, kAt, kLen, vsrc, vw, vAt, vLen, nextCas());
        this.dead += oldSize; // after the append: the old record stays live if that throws
        if (this.dead > this.used / 2 && this.dead > 1 << 20) this.compact();
      }
    } else {
      if (cas !== 0 && cas !== t32[w + CAS] >>> 0) return -1;
      if (fits(kLen, vLen)) {
        t32[w + 1] = (vLen << 16) | (t32[w + 1] & 0xffff);
        t32[w + CAS] = nextCas();
        copyBytes(vsrc, vw, vAt, this.table, this.tWords, slot * SLOT + INLINE + pad8(kLen), vLen);
      } else {
        // Outgrew its slot: the record moves to the slab for good (appended first: if the slab
        // cannot grow, the inline record stays intact).
        const off = this.append(src, kw, kAt, kLen, vsrc, vw, vAt, vLen, nextCas());
        t32[w + 1] = SLAB;
        t32[w + 2] = off;
      }
    }
    this.last = slot;
    return slot;
  }

  /** Write a new record into an empty slot: inline when it fits, else in the slab. */
  private fill(
    slot: number,
    h: number,
    src: Uint8Array,
    kw: WordViews,
    kAt: number,
    kLen: number,
    vsrc: Uint8Array,
    vw: WordViews,
    vAt: number,
    vLen: number,
    cas: number,
  ): void {
    const w = slot << 5;
    const t32 = this.t32;
    if (!fits(kLen, vLen)) {
      const off = this.append(src, kw, kAt, kLen, vsrc, vw, vAt, vLen, cas); // may throw: slot untouched
      t32[w] = h;
      t32[w + 1] = SLAB;
      t32[w + 2] = off;
      return;
    }
    t32[w] = h;
    t32[w + 1] = (vLen << 16) | (2 * kLen + 1);
    t32[w + CAS] = cas;
    const at = slot * SLOT + INLINE;
    copyBytes(src, kw, kAt, this.table, this.tWords, at, kLen);
    copyBytes(vsrc, vw, vAt, this.table, this.tWords, at + pad8(kLen), vLen);
  }

  /** Append a slab record; returns its offset. */
  private append(
    src: Uint8Array,
    kw: WordViews,
    kAt: number,
    kLen: number,
    vsrc: Uint8Array,
    vw: WordViews,
    vAt: number,
    vLen: number,
    cas: number,
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
      this.sWords = wordsOf(next);
    }
    const off = this.used;
    const r = off >>> 2;
    this.slab32[r] = kLen;
    this.slab32[r + 1] = vLen;
    this.slab32[r + 2] = cap;
    this.slab32[r + 3] = cas;
    copyBytes(src, kw, kAt, this.slab, this.sWords, off + HEADER, kLen);
    copyBytes(vsrc, vw, vAt, this.slab, this.sWords, off + HEADER + pad8(kLen), vLen);
    this.used += size;
    return off;
  }

  /** Double the table: every slot moves to its place in the new one (by its stored hash). */
  private grow(): void {
    const old32 = this.t32;
    const oldSlots = this.mask + 1;
    const table = alignedBytes(2 * oldSlots * SLOT); // may throw (past 4 GiB): nothing changed yet
    this.mask = this.mask * 2 + 1;
    this.table = table;
    this.tWords = wordsOf(this.table); // the table may start inside its buffer (alignedBytes)
    this.t32 = this.tWords.i32;
    const t32 = this.t32;
    for (let i = 0; i < oldSlots; i++) {
      const w = i << 5;
      if (old32[w + 1] === 0) continue;
      let j = old32[w] & this.mask;
      while (t32[(j << 5) + 1] !== 0) j = (j + 1) & this.mask;
      const to = j << 5;
      for (let k = 0; k < 32; k++) t32[to + k] = old32[w + k];
    }
    this.last = -1; // every slot moved
  }

  /** Drop dead slab records: copy the live ones into a fresh slab and repoint their slots. */
  private compact(): void {
    const old = this.slab;
    const old32 = this.slab32;
    const oldWords = this.sWords;
    this.slab = new Uint8Array(Math.max(1 << 12, pad8(this.used - this.dead)));
    this.slab32 = new Int32Array(this.slab.buffer);
    this.sWords = wordsOf(this.slab);
    this.used = 0;
    this.dead = 0;
    const t32 = this.t32;
    for (let w = 0; w < t32.length; w += 32) {
      if (t32[w + 1] !== SLAB) continue;
      const off = t32[w + 2] >>> 0;
      const r = off >>> 2;
      const kLen = old32[r];
      const vAt = off + HEADER + pad8(kLen);
      t32[w + 2] = this.append(
        old,
        oldWords,
        off + HEADER,
        kLen,
        old,
        oldWords,
        vAt,
        old32[r + 1],
        old32[r + 3],
      );
    }
  }

  /** Every live slot (driver-side listing). */
  records(): number[] {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.t32[(i << 5) + 1] !== 0) out.push(i);
    return out;
  }

  /** Bytes held: the slot table plus the slab in use (live and dead records). */
  bytes(): number {
    return this.table.byteLength + this.used;
  }
}
