/**
 * The reference client's held records in flat memory, as the filter keeps them in shared data:
 * an open-addressing hash table whose 64-byte slots are the records themselves (hash, TTL
 * deadline, response stamp, version id, where the bytes lie, and the name inline when it is short),
 * and one byte arena holding each record's name and reservation bytes, copied in.
 * Why: with an object per user, a lookup touched a hash slot, the object, then its name string,
 * and every held record kept its whole response Buffer alive (old space filled with external
 * memory, V8 ran full collections every few rounds). Here a lookup reads one slot (one cache line)
 * and a response Buffer dies as soon as it is applied.
 * A record's id is its slot: ids stay valid until the next remove() (backward-shift deletion moves
 * slots) or add() that grows the table (reserve() first).
 * Names hash by their UTF-8 bytes (codec/name-hash.ts, as the response reader computes it while
 * scanning).
 */
import * as os from 'node:os';
import { hashNameString, viewOf } from '../codec/name-hash';
import { stringAt } from '../codec/response-reader';
import { VersionTable } from './version-table';

// A slot: 16 Int32 fields; the deadline is a Float64 over fields 0-1.
const STRIDE = 16;
const HASH = 2;
const NAME_LEN = 3; // 0: an empty slot (names are never empty)
const OFF = 4; // arena offset of the name; the body follows it
const BODY_LEN = 5;
const CAP = 6; // room for the body
const STAMP = 7;
const VERSION = 8; // index into the version table
/** Names up to this many bytes are also kept in the slot (bytes 40..63), compared without the arena. */
const INLINE = 24;
const INLINE_AT = 40;

/** Room for a body of `len` bytes: an eighth more and 8 bytes. */
const withSlack = (len: number) => len + (len >> 3) + 8;

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The deadline of a record without TTL. */
export const NO_TTL = -1;

export class RecordStore {
  private slots = new Int32Array(16 * STRIDE);
  private bytes = new Uint8Array(this.slots.buffer);
  private deadlines = new Float64Array(this.slots.buffer);
  private mask = 15;
  size = 0;
  private arena = Buffer.allocUnsafe(64 * 1024);
  private arenaView = viewOf(this.arena);
  /** The buffer setBody last copied from, and a DataView of it. */
  private source: Uint8Array = this.arena;
  private sourceView = this.arenaView;
  private top = 0;
  /** Arena bytes no live record uses (relocated bodies, removed records). */
  private garbage = 0;
  /** Version strings by id (one per publish seen). */
  private versions = new VersionTable();

  /**
   * The record whose name is buf[from, to) (hash: codec/name-hash.ts), or -1. `view`, a DataView
   * over the same bytes as buf, lets names be compared 4 bytes at a time.
   */
  find(hash: number, buf: Uint8Array, from: number, to: number, view?: DataView): number {
    const len = to - from;
    const t = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const base = i * STRIDE;
      const n = t[base + NAME_LEN];
      if (n === 0) return -1;
      if (t[base + HASH] !== hash || n !== len) continue;
      let k = 0;
      if (len <= INLINE) {
        // Whole words first when the caller has a DataView over buf (the slot's bytes are read
        // as platform-order Int32s, so the view is read in platform order too).
        if (view !== undefined) {
          const w = base + (INLINE_AT >> 2);
          while (k + 4 <= len && t[w + (k >> 2)] === view.getInt32(from + k, LITTLE_ENDIAN)) k += 4;
        }
        const b = this.bytes;
        const at = base * 4 + INLINE_AT;
        while (k < len && b[at + k] === buf[from + k]) k++;
      } else {
        const a = this.arena;
        const off = t[base + OFF];
        while (k < len && a[off + k] === buf[from + k]) k++;
      }
      if (k === len) return i;
    }
  }

  /**
   * Reads the home slot of each of `count` names (hashes) in one tight loop, so that the cache
   * and TLB misses of a whole response overlap instead of stalling the validation loop one by one
   * (with 25 emulated proxies of 10^4 users in a process, that slot load was ~18% of apply in a
   * line-level profile, ~4% after this pass + ~4% for the pass itself). Touching the body's room
   * in the arena as well cost more than it saved, so it is not done. Returns a value only so
   * that the loads are not optimized away.
   */
  prefetch(hashes: Int32Array, count: number): number {
    const t = this.slots;
    const mask = this.mask;
    let x = 0;
    for (let i = 0; i < count; i++) {
      // The first and the last word: the table is only 16-byte aligned (the allocator's), so a
      // 64-byte slot usually straddles two cache lines, and find() reads the inline name at its end.
      const base = (hashes[i] & mask) * STRIDE;
      x ^= t[base + HASH] ^ t[base + STRIDE - 1];
    }
    return x;
  }

  /** The record named `name`, or -1. */
  findName(name: string): number {
    const b = Buffer.from(name, 'utf8');
    return this.find(hashNameString(name), b, 0, b.length);
  }

  /** Makes room for `n` more records, so that the next n add()s move no record. */
  reserve(n: number): void {
    while ((this.size + n) * 4 > (this.mask + 1) * 3) this.grow();
  }

  /**
   * Adds a record named buf[from, to) (not present yet) with room for a body of `bodyLen` bytes and
   * some slack: a user's next version is often a few bytes longer, and a body that outgrows its
   * room moves (and leaves garbage to compact).
   */
  add(hash: number, buf: Uint8Array, from: number, to: number, bodyLen: number): number {
    this.reserve(1);
    const cap = withSlack(bodyLen);
    const nameLen = to - from;
    const off = this.take(nameLen + cap);
    const a = this.arena;
    for (let k = 0; k < nameLen; k++) a[off + k] = buf[from + k];
    const t = this.slots;
    let i = hash & this.mask;
    while (t[i * STRIDE + NAME_LEN] !== 0) i = (i + 1) & this.mask;
    const base = i * STRIDE;
    t[base + HASH] = hash;
    t[base + NAME_LEN] = nameLen;
    t[base + OFF] = off;
    t[base + BODY_LEN] = 0;
    t[base + CAP] = cap;
    t[base + STAMP] = 0;
    t[base + VERSION] = 0;
    this.deadlines[base >> 1] = NO_TTL;
    if (nameLen <= INLINE) {
      const b = this.bytes;
      const at = base * 4 + INLINE_AT;
      for (let k = 0; k < nameLen; k++) b[at + k] = buf[from + k];
    }
    this.size++;
    return i;
  }

  /** Removes record r (live). Moves other records: ids taken before are stale afterwards. */
  remove(r: number): void {
    const t = this.slots;
    const mask = this.mask;
    this.garbage += t[r * STRIDE + NAME_LEN] + t[r * STRIDE + CAP];
    let i = r;
    // Backward-shift deletion: move later members of the probe chain into the hole.
    for (let j = (i + 1) & mask; t[j * STRIDE + NAME_LEN] !== 0; j = (j + 1) & mask) {
      const home = t[j * STRIDE + HASH] & mask;
      // j's record may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      t.copyWithin(i * STRIDE, j * STRIDE, (j + 1) * STRIDE);
      i = j;
    }
    t[i * STRIDE + NAME_LEN] = 0;
    this.size--;
  }

  isLive(r: number): boolean {
    return this.slots[r * STRIDE + NAME_LEN] !== 0;
  }
  /** Record ids lie in [0, end); the live ones are those for which isLive holds. */
  get end(): number {
    return this.mask + 1;
  }

  name(r: number): string {
    const off = this.slots[r * STRIDE + OFF];
    return stringAt(this.arena, off, off + this.slots[r * STRIDE + NAME_LEN]);
  }
  stamp(r: number): number {
    return this.slots[r * STRIDE + STAMP];
  }
  setStamp(r: number, stamp: number): void {
    this.slots[r * STRIDE + STAMP] = stamp;
  }
  /** Epoch ms at which record r expires, or NO_TTL. */
  deadline(r: number): number {
    return this.deadlines[(r * STRIDE) >> 1];
  }
  setDeadline(r: number, d: number): void {
    this.deadlines[(r * STRIDE) >> 1] = d;
  }
  version(r: number): string {
    return this.versions.string(this.slots[r * STRIDE + VERSION]);
  }
  setVersion(r: number, v: string): void {
    // One string per publish: when the table has grown long, keep only the versions still held.
    if (this.versions.size >= 4096 && this.versions.isNew(v)) this.compactVersions();
    this.slots[r * STRIDE + VERSION] = this.versions.id(v);
  }

  /** Copies buf[start, end) in as record r's body (moved to the arena's end if it outgrew its room). */
  setBody(r: number, buf: Uint8Array, start: number, end: number): void {
    const base = r * STRIDE;
    const t = this.slots;
    const len = end - start;
    if (len > t[base + CAP]) {
      const nameLen = t[base + NAME_LEN];
      const cap = withSlack(len);
      const to = this.take(nameLen + cap); // may compact: read the offset after it
      const from = t[base + OFF];
      this.arena.copyWithin(to, from, from + nameLen); // native, no view object (Buffer#copy makes one)
      this.garbage += nameLen + t[base + CAP];
      t[base + OFF] = to;
      t[base + CAP] = cap;
    }
    // Eight bytes at a time through DataViews: no view object per body (a byte loop costs ~4x), and
    // half the stores of 4-byte steps (the arena's lines are mostly not in cache: fewer stores wait).
    // A double's load and store move its bits unchanged, NaN payloads and -0 included (V8 does not
    // canonicalize NaNs on DataView access; test/.../record-store-words.test.ts checks every tier).
    if (buf !== this.source) {
      this.source = buf;
      this.sourceView = viewOf(buf);
    }
    const from = this.sourceView;
    const to = this.arenaView;
    const at = t[base + OFF] + t[base + NAME_LEN];
    if (len >= 8) {
      // The last 8 bytes overlap the ones before: the same bytes written twice, no byte loop.
      for (let k = 0; k + 8 < len; k += 8) to.setFloat64(at + k, from.getFloat64(start + k, true), true);
      to.setFloat64(at + len - 8, from.getFloat64(start + len - 8, true), true);
    } else {
      const a = this.arena;
      for (let k = 0; k < len; k++) a[at + k] = buf[start + k];
    }
    t[base + BODY_LEN] = len;
  }

  /** Forgets the buffer setBody last copied from (a response must not outlive its apply). */
  release(): void {
    this.source = this.arena;
    this.sourceView = this.arenaView;
  }

  /** A copy of record r's body. */
  body(r: number): Uint8Array {
    const base = r * STRIDE;
    const at = this.slots[base + OFF] + this.slots[base + NAME_LEN];
    return new Uint8Array(this.arena.subarray(at, at + this.slots[base + BODY_LEN])); // a copy
  }

  private compactVersions(): void {
    const old = this.versions;
    this.versions = new VersionTable();
    const t = this.slots;
    for (let r = 0; r <= this.mask; r++) {
      const base = r * STRIDE;
      if (t[base + NAME_LEN] !== 0) t[base + VERSION] = this.versions.id(old.string(t[base + VERSION]));
    }
  }

  /** Offset of `n` free bytes at the arena's end, compacting or growing it first if needed. */
  private take(n: number): number {
    if (this.top + n > this.arena.length) {
      if (this.garbage > this.top / 2) this.compact(n);
      if (this.top + n > this.arena.length) {
        const arena = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.top + n));
        this.arena.copy(arena, 0, 0, this.top);
        this.arena = arena;
        this.arenaView = viewOf(arena);
      }
    }
    const off = this.top;
    this.top += n;
    return off;
  }

  /** Moves every live record's bytes together, dropping the garbage. */
  private compact(extra: number): void {
    const live = this.top - this.garbage;
    const next = Buffer.allocUnsafe(Math.max(this.arena.length, 2 * (live + extra)));
    const t = this.slots;
    let top = 0;
    for (let r = 0; r <= this.mask; r++) {
      const base = r * STRIDE;
      if (t[base + NAME_LEN] === 0) continue;
      const n = t[base + NAME_LEN] + t[base + CAP];
      const off = t[base + OFF];
      this.arena.copy(next, top, off, off + n);
      t[base + OFF] = top;
      top += n;
    }
    this.arena = next;
    this.arenaView = viewOf(next);
    this.top = top;
    this.garbage = 0;
  }

  private grow(): void {
    const old = this.slots;
    const count = (this.mask + 1) * 2;
    this.slots = new Int32Array(count * STRIDE);
    this.bytes = new Uint8Array(this.slots.buffer);
    this.deadlines = new Float64Array(this.slots.buffer);
    this.mask = count - 1;
    const t = this.slots;
    for (let base = 0; base < old.length; base += STRIDE) {
      if (old[base + NAME_LEN] === 0) continue;
      let i = old[base + HASH] & this.mask;
      while (t[i * STRIDE + NAME_LEN] !== 0) i = (i + 1) & this.mask;
      t.set(old.subarray(base, base + STRIDE), i * STRIDE);
    }
  }
}
