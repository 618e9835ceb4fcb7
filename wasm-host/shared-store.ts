// The entries of one vm_id, kept in flat typed arrays instead of a JS Map: a million keys in a Map
// cost a GC-visible object graph and several cache misses per lookup. Here a lookup hashes the key
// straight from Wasm memory (no string is built), probes an open-addressing index of
// (hash, record) pairs and compares bytes with the record in a byte slab.
// Record layout in the slab: u32 keyLen | u32 valueLen | u32 valueCap | u32 cas | key | value[cap].
// Updates rewrite the value in place when it fits, else append a new record; the slab is
// compacted when more than half of it is dead. There is no delete (the ABI has none).

const HEADER = 16;

/** FNV-1a over bytes. */
const hashBytes = (u8: Uint8Array, at: number, len: number): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ u8[at + i], 0x01000193);
  return h | 0;
};

export class SharedStore {
  private slab = new Uint8Array(1 << 16);
  private dv = new DataView(this.slab.buffer);
  private used = 0;
  private dead = 0;
  /** [hash, record offset + 1] pairs; offset 0 marks an empty slot. */
  private index = new Int32Array(2 * 1024);
  private mask = 1023;
  count = 0;

  /** Record offset for a key in `u8` (Wasm memory or any bytes), or -1. */
  find(u8: Uint8Array, at: number, len: number): number {
    return this.findHashed(u8, at, len, hashBytes(u8, at, len));
  }

  private findHashed(u8: Uint8Array, at: number, len: number, h: number): number {
    const index = this.index;
    const slab = this.slab;
    const dv = this.dv;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const ref = index[2 * i + 1];
      if (ref === 0) return -1;
      if (index[2 * i] !== h) continue;
      const off = ref - 1;
      if (dv.getUint32(off, true) !== len) continue;
      const k = off + HEADER;
      let j = 0;
      while (j < len && slab[k + j] === u8[at + j]) j++;
      if (j === len) return off;
    }
  }

  valueLength(off: number): number {
    return this.dv.getUint32(off + 4, true);
  }

  cas(off: number): number {
    return this.dv.getUint32(off + 12, true);
  }

  /** Copy a record's value to `dst` at `at` (the caller checked bounds). */
  copyValue(off: number, dst: Uint8Array, at: number): void {
    const len = this.valueLength(off);
    const from = off + HEADER + this.dv.getUint32(off, true);
    if (len <= 64) {
      const slab = this.slab;
      for (let i = 0; i < len; i++) dst[at + i] = slab[from + i];
    } else dst.set(this.slab.subarray(from, from + len), at);
  }

  value(off: number): Uint8Array {
    const from = off + HEADER + this.dv.getUint32(off, true);
    return this.slab.slice(from, from + this.valueLength(off));
  }

  key(off: number): Uint8Array {
    return this.slab.slice(off + HEADER, off + HEADER + this.dv.getUint32(off, true));
  }

  /** SharedData::set for key/value bytes; `nextCas` is the process-wide counter. Returns the record. */
  set(
    src: Uint8Array,
    kAt: number,
    kLen: number,
    vsrc: Uint8Array,
    vAt: number,
    vLen: number,
    cas: number,
    nextCas: () => number,
  ): number {
    const h = hashBytes(src, kAt, kLen);
    const off = this.findHashed(src, kAt, kLen, h);
    if (off >= 0) {
      if (cas !== 0 && cas !== this.cas(off)) return -1;
      const cap = this.dv.getUint32(off + 8, true);
      if (vLen <= cap) {
        this.dv.setUint32(off + 4, vLen, true);
        this.dv.setUint32(off + 12, nextCas(), true);
        this.slab.set(vsrc.subarray(vAt, vAt + vLen), off + HEADER + kLen);
        return off;
      }
      this.dead += HEADER + kLen + cap;
      const fresh = this.append(src, kAt, kLen, vsrc, vAt, vLen, nextCas());
      this.repoint(h, off, fresh);
      if (this.dead > this.used / 2 && this.dead > 1 << 20) this.compact();
      return fresh;
    }
    const fresh = this.append(src, kAt, kLen, vsrc, vAt, vLen, nextCas());
    if (2 * (this.count + 1) > this.mask + 1) this.growIndex();
    this.insert(h, fresh);
    this.count++;
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
  ): number {
    const size = HEADER + kLen + vLen;
    if (this.used + size > this.slab.length) {
      let n = this.slab.length * 2;
      while (this.used + size > n) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.slab.subarray(0, this.used));
      this.slab = next;
      this.dv = new DataView(next.buffer);
    }
    const off = this.used;
    this.dv.setUint32(off, kLen, true);
    this.dv.setUint32(off + 4, vLen, true);
    this.dv.setUint32(off + 8, vLen, true);
    this.dv.setUint32(off + 12, cas, true);
    this.slab.set(src.subarray(kAt, kAt + kLen), off + HEADER);
    this.slab.set(vsrc.subarray(vAt, vAt + vLen), off + HEADER + kLen);
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
    const old = this.slab;
    const oldDv = this.dv;
    this.slab = new Uint8Array(Math.max(1 << 16, this.used - this.dead));
    this.dv = new DataView(this.slab.buffer);
    this.used = 0;
    this.dead = 0;
    const index = this.index;
    for (let i = 1; i < index.length; i += 2) {
      if (index[i] === 0) continue;
      const off = index[i] - 1;
      const kLen = oldDv.getUint32(off, true);
      const vLen = oldDv.getUint32(off + 4, true);
      const fresh = this.append(
        old,
        off + HEADER,
        kLen,
        old,
        off + HEADER + kLen,
        vLen,
        oldDv.getUint32(off + 12, true),
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
