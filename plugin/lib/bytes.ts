// Byte-level helpers over raw linear memory. Decoders never trust a length: every read is
// checked against the end of its buffer by the caller, and these helpers never trap.

/**
 * A growable byte buffer on the heap for building messages. Its storage is not GC-managed: a
 * writer lives as long as the root that owns it and is reused (reset) message after message, so
 * steady-state encoding allocates nothing.
 */
export class ByteWriter {
  ptr: usize;
  cap: usize;
  len: usize = 0;

  constructor(initialCapacity: usize) {
    this.cap = initialCapacity < 16 ? 16 : initialCapacity;
    this.ptr = heap.alloc(this.cap);
  }

  reset(): void {
    this.len = 0;
  }

  ensure(extra: usize): void {
    const need = this.len + extra;
    if (need <= this.cap) return;
    let cap = this.cap << 1;
    while (cap < need) cap <<= 1;
    this.ptr = heap.realloc(this.ptr, cap);
    this.cap = cap;
  }

  u8(v: u32): void {
    this.ensure(1);
    store<u8>(this.ptr + this.len, <u8>v);
    this.len += 1;
  }

  u16(v: u32): void {
    this.ensure(2);
    store<u16>(this.ptr + this.len, <u16>v);
    this.len += 2;
  }

  u32(v: u32): void {
    this.ensure(4);
    store<u32>(this.ptr + this.len, v);
    this.len += 4;
  }

  u64(v: u64): void {
    this.ensure(8);
    store<u64>(this.ptr + this.len, v);
    this.len += 8;
  }

  bytes(src: usize, n: usize): void {
    this.ensure(n);
    memory.copy(this.ptr + this.len, src, n);
    this.len += n;
  }

  blob(b: Blob): void {
    this.bytes(b.ptr, b.len);
  }

  /** Appends the UTF-8 encoding of `s`. */
  utf8(s: string): void {
    const n = <usize>String.UTF8.byteLength(s);
    this.ensure(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.ptr + this.len);
    this.len += n;
  }

  /** Appends the decimal digits of `v`. */
  decimal(v: u64): void {
    if (v == 0) {
      this.u8(0x30);
      return;
    }
    let digits = 0;
    let t = v;
    while (t > 0) {
      digits++;
      t /= 10;
    }
    this.ensure(<usize>digits);
    let p = this.ptr + this.len + <usize>digits;
    while (v > 0) {
      p--;
      store<u8>(p, <u8>(0x30 + <u32>(v % 10)));
      v /= 10;
    }
    this.len += <usize>digits;
  }
}

/** An immutable byte string owned by the GC (an ArrayBuffer) with a direct pointer to its data. */
export class Blob {
  readonly buffer: ArrayBuffer;
  readonly ptr: usize;
  readonly len: usize;

  constructor(buffer: ArrayBuffer) {
    this.buffer = buffer;
    this.ptr = changetype<usize>(buffer);
    this.len = <usize>buffer.byteLength;
  }

  static copyOf(src: usize, n: usize): Blob {
    const b = new ArrayBuffer(<i32>n);
    memory.copy(changetype<usize>(b), src, n);
    return new Blob(b);
  }

  static utf8(s: string): Blob {
    return new Blob(String.UTF8.encode(s));
  }

  equals(ptr: usize, len: usize): bool {
    return len == this.len && memory.compare(this.ptr, ptr, len) == 0;
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.ptr, this.len);
  }
}

export const EMPTY: Blob = new Blob(new ArrayBuffer(0));

/**
 * Copies a short byte string (a user id) with plain loads and stores. V8 compiles a bulk
 * memory.copy to a call into its runtime, which costs more than the copy at these sizes.
 * The ranges must not overlap.
 */
export function copyShort(dst: usize, src: usize, n: usize): void {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + i, load<u64>(src + i));
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
}

/** Equality of two short byte strings, 8 bytes per step (Wasm loads need no alignment). */
export function equalShort(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * A 32-bit hash of a short byte string (a user id, hashed on every request), 8 bytes per
 * multiply instead of FNV's one; the last multiply and shifts mix every input bit into the low
 * bits that pick an open-addressing slot.
 */
export function hashShort(ptr: usize, len: usize): u32 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ (<u64>len);
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    h = (h ^ load<u64>(ptr + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 32;
  }
  let tail: u64 = 0;
  for (let shift: u64 = 0; i < len; i++, shift += 8) tail |= (<u64>load<u8>(ptr + i)) << shift;
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53;
  h ^= h >> 29;
  return <u32>(h ^ (h >> 32));
}

export function bytesEqual(a: usize, aLen: usize, b: usize, bLen: usize): bool {
  return aLen == bLen && memory.compare(a, b, aLen) == 0;
}

/** Strict UTF-8 validation (no overlongs, no surrogates, max U+10FFFF), as proto3 strings require. */
export function isValidUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: usize = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= len) return false; // the sequence would run past the end
    for (let k: usize = 1; k <= n; k++) {
      const cc = <u32>load<u8>(ptr + i + k);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}
