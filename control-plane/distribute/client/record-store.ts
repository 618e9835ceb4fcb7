/**
 * The reference client's held records in flat memory, as the filter keeps them in shared data:
 * each user's name and reservation bytes are copied into one byte arena, and its bookkeeping
 * (where they lie, TTL deadline, response stamp) sits in one 32-byte slot of a typed array.
 * Why: with an object per user, a lookup touched a hash slot, the object, then its name string
 * (three cache misses per reservation with 25 emulated proxies of 10^4 users in one process), and
 * every held record kept its whole response Buffer alive, so old space filled with external memory
 * and V8 ran full collections every few rounds. Here a lookup reads one table slot (hash and record
 * side by side) and the name's bytes in the arena, and a response Buffer dies as soon as it is
 * applied (a young-generation collection frees it).
 * Names hash by their UTF-8 bytes (codec/name-hash.ts, as the response reader computes it while
 * scanning).
 */
import { hashNameBytes, hashNameString, viewOf } from '../codec/name-hash';

// Module constants: under tsx an imported binding is read through a getter on every use.
const hashName = hashNameBytes;

// A record's slot: Int32 fields at r * STRIDE + k; the deadline is a Float64 over fields 0 and 1.
const STRIDE = 8;
const OFF = 2; // arena offset of the name; the body follows it
const NAME_LEN = 3; // -1: a free record
const BODY_LEN = 4;
const CAP = 5; // room for the body
const STAMP = 6;

/** The deadline of a record without TTL. */
export const NO_TTL = -1;

export class RecordStore {
  /** The name of each live record (made once, when the user is first added). */
  readonly names: string[] = [];
  /** The version each record holds (one interned string per publish, shared). */
  readonly versions: string[] = [];
  private meta = new Int32Array(16 * STRIDE);
  private deadlines = new Float64Array(this.meta.buffer);
  /** Records ever allocated (live or free). */
  private count = 0;
  private readonly free: number[] = [];
  /** [hash, record + 1] pairs, open addressing with linear probing; record 0 = empty. */
  private table = new Int32Array(64);
  private mask = 31;
  size = 0;
  private arena = Buffer.allocUnsafe(64 * 1024);
  private top = 0;
  /** Arena bytes no live record uses (relocated bodies, removed records). */
  private garbage = 0;

  /** The record whose name is buf[from, to) (hash: codec/name-hash.ts), or -1. */
  find(hash: number, buf: Uint8Array, from: number, to: number): number {
    const len = to - from;
    const t = this.table;
    const m = this.meta;
    const a = this.arena;
    for (let i = (hash & this.mask) << 1; ; i = (i + 2) & (t.length - 1)) {
      const r1 = t[i + 1];
      if (r1 === 0) return -1;
      if (t[i] !== hash) continue;
      const base = (r1 - 1) * STRIDE;
      if (m[base + NAME_LEN] !== len) continue;
      const off = m[base + OFF];
      let k = 0;
      while (k < len && a[off + k] === buf[from + k]) k++;
      if (k === len) return r1 - 1;
    }
  }

  /** The record named `name`, or -1. */
  findName(name: string): number {
    const b = Buffer.from(name, 'utf8');
    return this.find(hashNameString(name), b, 0, b.length);
  }

  /** Adds a record named buf[from, to) (not present yet) with room for a body of `cap` bytes. */
  add(name: string, hash: number, buf: Uint8Array, from: number, to: number, cap: number): number {
    const nameLen = to - from;
    const off = this.reserve(nameLen + cap);
    const a = this.arena;
    for (let k = 0; k < nameLen; k++) a[off + k] = buf[from + k];
    const r = this.free.length > 0 ? this.free.pop()! : this.newRecord();
    const base = r * STRIDE;
    const m = this.meta;
    m[base + OFF] = off;
    m[base + NAME_LEN] = nameLen;
    m[base + BODY_LEN] = 0;
    m[base + CAP] = cap;
    m[base + STAMP] = 0;
    this.deadlines[r * (STRIDE / 2)] = NO_TTL;
    this.names[r] = name;
    this.versions[r] = '';
    if ((this.size + 1) * 2 > this.table.length / 2) this.growTable();
    this.place(hash, r);
    this.size++;
    return r;
  }

  /** Removes record r (live). */
  remove(r: number): void {
    const base = r * STRIDE;
    const m = this.meta;
    const off = m[base + OFF];
    const hash = hashName(viewOf(this.arena), this.arena, off, off + m[base + NAME_LEN]);
    const t = this.table;
    const tmask = t.length - 1;
    let i = (hash & this.mask) << 1;
    while (t[i + 1] !== r + 1) i = (i + 2) & tmask;
    // Backward-shift deletion: move later members of the probe chain into the hole.
    for (let j = (i + 2) & tmask; t[j + 1] !== 0; j = (j + 2) & tmask) {
      const home = (t[j] & this.mask) << 1;
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      t[i] = t[j];
      t[i + 1] = t[j + 1];
      i = j;
    }
    t[i] = 0;
    t[i + 1] = 0;
    this.garbage += m[base + NAME_LEN] + m[base + CAP];
    m[base + NAME_LEN] = -1;
    this.names[r] = '';
    this.versions[r] = '';
    this.free.push(r);
    this.size--;
  }

  isLive(r: number): boolean {
    return r < this.count && this.meta[r * STRIDE + NAME_LEN] >= 0;
  }
  /** Records allocated so far: live ones are those in [0, end) for which isLive holds. */
  get end(): number {
    return this.count;
  }

  stamp(r: number): number {
    return this.meta[r * STRIDE + STAMP];
  }
  setStamp(r: number, stamp: number): void {
    this.meta[r * STRIDE + STAMP] = stamp;
  }
  /** Epoch ms at which record r expires, or NO_TTL. */
  deadline(r: number): number {
    return this.deadlines[r * (STRIDE / 2)];
  }
  setDeadline(r: number, d: number): void {
    this.deadlines[r * (STRIDE / 2)] = d;
  }

  /** Copies buf[start, end) in as record r's body (moved to the arena's end if it outgrew its room). */
  setBody(r: number, buf: Uint8Array, start: number, end: number): void {
    const base = r * STRIDE;
    const m = this.meta;
    const len = end - start;
    if (len > m[base + CAP]) {
      const nameLen = m[base + NAME_LEN];
      const cap = len + (len >> 3) + 8; // some slack: a user's next version is often a bit longer
      const to = this.reserve(nameLen + cap); // may compact: read the offset after it
      const from = m[base + OFF];
      this.arena.copy(this.arena, to, from, from + nameLen);
      this.garbage += nameLen + m[base + CAP];
      m[base + OFF] = to;
      m[base + CAP] = cap;
    }
    // A native copy: a JS byte loop costs several times more for a ~110-byte body.
    // A plain Uint8Array view: Buffer#subarray builds a Buffer through a JS constructor.
    this.arena.set(
      new Uint8Array(buf.buffer, buf.byteOffset + start, len),
      m[base + OFF] + m[base + NAME_LEN],
    );
    m[base + BODY_LEN] = len;
  }

  /** A copy of record r's body. */
  body(r: number): Uint8Array {
    const base = r * STRIDE;
    const at = this.meta[base + OFF] + this.meta[base + NAME_LEN];
    return new Uint8Array(this.arena.subarray(at, at + this.meta[base + BODY_LEN])); // a copy (Buffer#slice is a view)
  }

  private newRecord(): number {
    if ((this.count + 1) * STRIDE > this.meta.length) {
      const meta = new Int32Array(this.meta.length * 2);
      meta.set(this.meta);
      this.meta = meta;
      this.deadlines = new Float64Array(meta.buffer);
    }
    return this.count++;
  }

  /** Offset of `n` free bytes at the arena's end, compacting or growing it first if needed. */
  private reserve(n: number): number {
    if (this.top + n > this.arena.length) {
      if (this.garbage > this.top / 2) this.compact(n);
      if (this.top + n > this.arena.length) {
        const arena = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.top + n));
        this.arena.copy(arena, 0, 0, this.top);
        this.arena = arena;
      }
    }
    const off = this.top;
    this.top += n;
    return off;
  }

  /** Moves every live record's bytes together (record order), dropping the garbage. */
  private compact(extra: number): void {
    const live = this.top - this.garbage;
    const next = Buffer.allocUnsafe(Math.max(this.arena.length, 2 * (live + extra)));
    const m = this.meta;
    let top = 0;
    for (let r = 0; r < this.count; r++) {
      const base = r * STRIDE;
      if (m[base + NAME_LEN] < 0) continue;
      const n = m[base + NAME_LEN] + m[base + CAP];
      const off = m[base + OFF];
      this.arena.copy(next, top, off, off + n);
      m[base + OFF] = top;
      top += n;
    }
    this.arena = next;
    this.top = top;
    this.garbage = 0;
  }

  private place(hash: number, r: number): void {
    const t = this.table;
    const tmask = t.length - 1;
    let i = (hash & this.mask) << 1;
    while (t[i + 1] !== 0) i = (i + 2) & tmask;
    t[i] = hash;
    t[i + 1] = r + 1;
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.table.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.place(old[i], old[i + 1] - 1);
  }
}
