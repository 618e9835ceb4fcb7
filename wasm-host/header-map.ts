// An Envoy header map (source/common/http/header_map_impl.cc, reduced): an ordered multimap with
// lower-cased keys, pseudo-headers kept before regular headers, setCopy = remove + add at the end,
// get returns the first value, byteSize is the sum of key and value lengths.
// Keys and values are stored as latin1 strings (one char per byte), so any bytes round-trip.

import { asciiLower } from './latin1';
import { latin1ToUtf8, utf8ToLatin1 } from './memory';

export type HeadersInit = Record<string, string> | ReadonlyArray<readonly [string, string]>;

export { asciiLower };

/** Driver key → Envoy key: UTF-8 bytes as latin1, ASCII lower case (fast path: already so). */
const normKey = (k: string): string => {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c > 0x7f || (c >= 65 && c <= 90)) return asciiLower(utf8ToLatin1(k));
  }
  return k;
};

const normValue = (v: string): string => (typeof v === 'string' ? utf8ToLatin1(v) : utf8ToLatin1(String(v)));

/** A copy of `a` with `k`, `v` appended, allocated at its final size. */
const copyAppend = (a: string[], k: string, v: string): string[] => {
  const n = a.length;
  const out = new Array<string>(n + 2);
  for (let i = 0; i < n; i++) out[i] = a[i];
  out[n] = k;
  out[n + 1] = v;
  return out;
};

export class HeaderMap {
  /**
   * Entries as one flat array, raw latin1 key (lower case) then value: [k0, v0, k1, v1, …]
   * (read-only outside this class). One array instead of parallel key and value arrays: a lookup
   * finds the value next to its key (one cache line less to miss on a cold map), and a clone's
   * first change copies one array.
   */
  declare kv: string[];
  /** How many leading entries are pseudo-headers. */
  declare private pseudo: number;
  /** The array may be shared with a clone: copy it before the first change (copy on write). */
  declare private shared: boolean;

  // Assigned in the constructor, not as class fields: V8 runs class field initializers as an extra
  // function call per construction, and the host builds two maps per request.
  constructor(kv: string[] = []) {
    this.kv = kv;
    this.pseudo = 0;
    this.shared = false;
  }

  private own(): void {
    if (!this.shared) return;
    this.kv = this.kv.slice();
    this.shared = false;
  }

  static from(init: HeadersInit | HeaderMap | undefined): HeaderMap {
    if (init instanceof HeaderMap) return init.clone();
    const m = new HeaderMap();
    if (init === undefined) return m;
    if (Array.isArray(init)) {
      for (const [k, v] of init as ReadonlyArray<readonly [string, string]>)
        m.addRaw(normKey(k), normValue(v));
    } else {
      const o = init as Record<string, string>;
      for (const k in o) m.addRaw(normKey(k), normValue(o[k]));
    }
    return m;
  }

  /**
   * An independent copy (the filter mutates the stream's map; a driver can reuse its template).
   * Both maps share the array until either changes (a stream whose headers the filter only reads
   * copies nothing).
   */
  clone(): HeaderMap {
    // An empty map shares nothing worth sharing, and must not be marked: the streams' placeholder
    // (stream-state.ts) is an empty map with a frozen array; marking it shared would let its next
    // write swap in a writable array that every later stream then sees.
    if (this.kv.length === 0) return new HeaderMap();
    const m = new HeaderMap(this.kv);
    m.pseudo = this.pseudo;
    m.shared = true;
    this.shared = true;
    return m;
  }

  get size(): number {
    return this.kv.length >>> 1;
  }

  /** The raw keys in order (a new array). */
  get keys(): string[] {
    const kv = this.kv;
    const out = new Array<string>(kv.length >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = kv[2 * i];
    return out;
  }

  /** The raw values in order (a new array). */
  get values(): string[] {
    const kv = this.kv;
    const out = new Array<string>(kv.length >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = kv[2 * i + 1];
    return out;
  }

  /** Raw key and value of entry i (0 ≤ i < size). */
  keyAt(i: number): string {
    return this.kv[2 * i];
  }

  valueAt(i: number): string {
    return this.kv[2 * i + 1];
  }

  /** Envoy HeaderMap::byteSize(): sum of key and value sizes. */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.kv.length; i++) n += this.kv[i].length;
    return n;
  }

  /** Entry index of the first entry of `key`, or -1. */
  indexOfRaw(key: string): number {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return i >>> 1;
    return -1;
  }

  /**
   * Entry index of a key given as raw bytes in Wasm memory, compared ASCII-case-insensitively, no
   * allocation; -1 when absent.
   */
  indexOfBytes(u8: Uint8Array, ptr: number, len: number): number {
    const kv = this.kv;
    outer: for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (k.length !== len) continue;
      for (let j = 0; j < len; j++) {
        let c = u8[ptr + j];
        if (c >= 65 && c <= 90) c += 32;
        if (k.charCodeAt(j) !== c) continue outer;
      }
      return i >>> 1;
    }
    return -1;
  }

  getRaw(key: string): string | undefined {
    const i = this.indexOfRaw(key);
    return i < 0 ? undefined : this.kv[2 * i + 1];
  }

  /** addCopy: pseudo-headers go after the last pseudo-header, others at the end. */
  addRaw(key: string, value: string): void {
    if (this.shared && key.charCodeAt(0) !== 58 /* ':' */) {
      // A clone's first change is usually one added header (the filter's routing header):
      // copy and append in one exact-size allocation instead of a copy that push() regrows.
      this.kv = copyAppend(this.kv, key, value);
      this.shared = false;
      return;
    }
    this.own();
    if (key.charCodeAt(0) === 58 /* ':' */) {
      // The count moves only after the array did: a write that throws (a frozen placeholder)
      // leaves the map as it was.
      const at = 2 * this.pseudo;
      if (at === this.kv.length) this.kv.push(key, value);
      else this.kv.splice(at, 0, key, value);
      this.pseudo++;
      return;
    }
    this.kv.push(key, value);
  }

  removeRaw(key: string): void {
    if (this.indexOfRaw(key) < 0) return;
    this.own();
    const kv = this.kv;
    for (let i = kv.length - 2; i >= 0; i -= 2) {
      if (kv[i] === key) {
        if (i < 2 * this.pseudo) this.pseudo--;
        kv.splice(i, 2);
      }
    }
  }

  /** setCopy in current Envoy: remove every entry of the key, then add one. */
  setRaw(key: string, value: string): void {
    const i = this.indexOfRaw(key);
    if (i >= 0 && i === this.size - 1 && key.charCodeAt(0) !== 58 /* ':' */) {
      this.setValueAt(i, value); // the only entry, already last: removing and adding changes nothing else
      return;
    }
    if (i >= 0) this.removeRaw(key);
    this.addRaw(key, value);
  }

  /** Replace the value of entry i (Envoy's inline-header setters change a header in place). */
  setValueAt(i: number, value: string): void {
    this.own();
    this.kv[2 * i + 1] = value;
  }

  clear(): void {
    this.pseudo = 0;
    if (this.shared) {
      this.kv = [];
      this.shared = false;
      return;
    }
    this.kv.length = 0;
  }

  // ---- driver-facing view (UTF-8 strings) ----

  get(name: string): string | undefined {
    const v = this.getRaw(asciiLower(utf8ToLatin1(name)));
    return v === undefined ? undefined : latin1ToUtf8(v);
  }

  getAll(name: string): string[] {
    const key = asciiLower(utf8ToLatin1(name));
    const kv = this.kv;
    const out: string[] = [];
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) out.push(latin1ToUtf8(kv[i + 1]));
    return out;
  }

  has(name: string): boolean {
    return this.indexOfRaw(asciiLower(utf8ToLatin1(name))) >= 0;
  }

  set(name: string, value: string): void {
    this.setRaw(asciiLower(utf8ToLatin1(name)), utf8ToLatin1(value));
  }

  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.kv.length; i += 2)
      out.push([latin1ToUtf8(this.kv[i]), latin1ToUtf8(this.kv[i + 1])]);
    return out;
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.entries()) if (!(k in o)) o[k] = v;
    return o;
  }
}
