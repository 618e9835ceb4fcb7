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

/** A copy of `a` with `x` appended, allocated at its final size. */
const copyAppend = (a: string[], x: string): string[] => {
  const n = a.length;
  const out = new Array<string>(n + 1);
  for (let i = 0; i < n; i++) out[i] = a[i];
  out[n] = x;
  return out;
};

export class HeaderMap {
  /** Raw latin1 keys (lower case) and values, parallel arrays (read-only outside this class). */
  declare keys: string[];
  declare values: string[];
  /** How many leading entries are pseudo-headers. */
  declare private pseudo: number;
  /** The arrays may be shared with a clone: copy them before the first change (copy on write). */
  declare private shared: boolean;

  // Assigned in the constructor, not as class fields: V8 runs class field initializers as an extra
  // function call per construction, and the host builds two maps per request.
  constructor(keys: string[] = [], values: string[] = []) {
    this.keys = keys;
    this.values = values;
    this.pseudo = 0;
    this.shared = false;
  }

  private own(): void {
    if (!this.shared) return;
    this.keys = this.keys.slice();
    this.values = this.values.slice();
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
   * Both maps share the arrays until either changes (a stream whose headers the filter only reads
   * copies nothing).
   */
  clone(): HeaderMap {
    const m = new HeaderMap(this.keys, this.values);
    m.pseudo = this.pseudo;
    m.shared = true;
    this.shared = true;
    return m;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Envoy HeaderMap::byteSize(): sum of key and value sizes. */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) n += this.keys[i].length + this.values[i].length;
    return n;
  }

  indexOfRaw(key: string): number {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }

  /** Find a key given as raw bytes in Wasm memory, compared ASCII-case-insensitively, no allocation. */
  indexOfBytes(u8: Uint8Array, ptr: number, len: number): number {
    const keys = this.keys;
    outer: for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k.length !== len) continue;
      for (let j = 0; j < len; j++) {
        let c = u8[ptr + j];
        if (c >= 65 && c <= 90) c += 32;
        if (k.charCodeAt(j) !== c) continue outer;
      }
      return i;
    }
    return -1;
  }

  getRaw(key: string): string | undefined {
    const i = this.indexOfRaw(key);
    return i < 0 ? undefined : this.values[i];
  }

  /** addCopy: pseudo-headers go after the last pseudo-header, others at the end. */
  addRaw(key: string, value: string): void {
    if (this.shared && key.charCodeAt(0) !== 58 /* ':' */) {
      // A clone's first change is usually one added header (the filter's routing header):
      // copy and append in one exact-size allocation instead of a copy that push() regrows.
      this.keys = copyAppend(this.keys, key);
      this.values = copyAppend(this.values, value);
      this.shared = false;
      return;
    }
    this.own();
    if (key.charCodeAt(0) === 58 /* ':' */) {
      const at = this.pseudo++;
      if (at === this.keys.length) {
        this.keys.push(key);
        this.values.push(value);
      } else {
        this.keys.splice(at, 0, key);
        this.values.splice(at, 0, value);
      }
      return;
    }
    this.keys.push(key);
    this.values.push(value);
  }

  removeRaw(key: string): void {
    if (this.indexOfRaw(key) < 0) return;
    this.own();
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        if (i < this.pseudo) this.pseudo--;
        this.keys.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  /** setCopy in current Envoy: remove every entry of the key, then add one. */
  setRaw(key: string, value: string): void {
    const i = this.indexOfRaw(key);
    if (i >= 0 && i === this.keys.length - 1 && key.charCodeAt(0) !== 58 /* ':' */) {
      this.setValueAt(i, value); // the only entry, already last: removing and adding changes nothing else
      return;
    }
    if (i >= 0) this.removeRaw(key);
    this.addRaw(key, value);
  }

  /** Replace the value at an index (Envoy's inline-header setters change a header in place). */
  setValueAt(i: number, value: string): void {
    this.own();
    this.values[i] = value;
  }

  clear(): void {
    this.pseudo = 0;
    if (this.shared) {
      this.keys = [];
      this.values = [];
      this.shared = false;
      return;
    }
    this.keys.length = 0;
    this.values.length = 0;
  }

  // ---- driver-facing view (UTF-8 strings) ----

  get(name: string): string | undefined {
    const v = this.getRaw(asciiLower(utf8ToLatin1(name)));
    return v === undefined ? undefined : latin1ToUtf8(v);
  }

  getAll(name: string): string[] {
    const key = asciiLower(utf8ToLatin1(name));
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++)
      if (this.keys[i] === key) out.push(latin1ToUtf8(this.values[i]));
    return out;
  }

  has(name: string): boolean {
    return this.indexOfRaw(asciiLower(utf8ToLatin1(name))) >= 0;
  }

  set(name: string, value: string): void {
    this.setRaw(asciiLower(utf8ToLatin1(name)), utf8ToLatin1(value));
  }

  entries(): Array<[string, string]> {
    return this.keys.map((k, i) => [latin1ToUtf8(k), latin1ToUtf8(this.values[i])]);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.entries()) if (!(k in o)) o[k] = v;
    return o;
  }
}
