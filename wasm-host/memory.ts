// Bounds-checked access to a module's linear memory, the way cpp-host's V8 wrapper does it
// (src/v8/v8.cc getMemory/setMemory/getWord/setWord): every pointer is a wasm32 address, any
// range outside the current memory is refused (the caller turns that into INVALID_MEMORY_ACCESS).
// Views are rebuilt only when the memory grew (a grow detaches the old ArrayBuffer).

/** Node's fast latin1 codecs on Buffer; present at runtime, missing from @types/node. */
interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length?: number): number;
}

export class VmMemory {
  private memory: WebAssembly.Memory | undefined;
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  u8: Uint8Array = new Uint8Array(0);
  /** The same bytes as 32-bit words (aligned word copies, e.g. shared-data values). */
  i32: Int32Array = new Int32Array(0);
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
    this.i32 = new Int32Array(buf);
    this.dv = new DataView(buf);
    this.fast = Buffer.from(buf) as FastBuffer;
  }

  /** True when [ptr, ptr+size) lies inside memory. Arguments are raw i32s from Wasm. */
  ok(ptr: number, size: number): boolean {
    const end = (ptr >>> 0) + (size >>> 0);
    const n = this.u8.length; // 0 once detached: then refresh, even for an empty range
    if (end <= n && n !== 0) return true;
    this.check();
    return end <= this.u8.length;
  }

  /** Bytes copied out of memory (owned by the caller), or undefined when out of bounds. */
  copyOut(ptr: number, size: number): Uint8Array | undefined {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.ok(ptr, size)) return undefined;
    return this.u8.slice(ptr, ptr + size);
  }

  /** A byte range read as a latin1 ("binary") string: one char per byte, lossless. */
  latin1(ptr: number, size: number): string | undefined {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.ok(ptr, size)) return undefined;
    return size <= 64 ? this.interned(ptr, size) : this.fast.latin1Slice(ptr, ptr + size);
  }

  // Header names are usually constants at a fixed address in the module's data, read again on
  // every request: a small cache by (address, size), verified byte for byte, returns the same
  // string without building it again.
  private readonly internAt = new Int32Array(256).fill(-1);
  private readonly internStr: string[] = new Array<string>(256).fill('');

  private interned(ptr: number, size: number): string {
    const u8 = this.u8;
    const slot = (ptr ^ (size << 7)) & 255;
    const cached = this.internStr[slot];
    if (this.internAt[slot] === ptr && cached.length === size) {
      let i = 0;
      while (i < size && cached.charCodeAt(i) === u8[ptr + i]) i++;
      if (i === size) return cached;
    }
    let s: string;
    if (size <= 8) {
      s = '';
      for (let i = 0; i < size; i++) s += String.fromCharCode(u8[ptr + i]);
    } else s = this.fast.latin1Slice(ptr, ptr + size);
    this.internAt[slot] = ptr;
    this.internStr[slot] = s;
    return s;
  }

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
    ptr >>>= 0;
    if (!this.ok(ptr, 4)) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  getU32(ptr: number): number | undefined {
    ptr >>>= 0;
    if (!this.ok(ptr, 4)) return undefined;
    return this.dv.getUint32(ptr, true);
  }

  setU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.ok(ptr, 8)) return false;
    this.dv.setBigUint64(ptr, value, true);
    return true;
  }

  setU16(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.ok(ptr, 2)) return false;
    this.dv.setUint16(ptr, value, true);
    return true;
  }

  setBytes(ptr: number, bytes: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.ok(ptr, bytes.length)) return false;
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
