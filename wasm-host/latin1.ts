// Strings from bytes in Wasm memory, one char per byte (latin1), on the host-call path.
// Header names and values travel as such strings (header-map.ts). Two costs dominate there:
// building a short string (Buffer#latin1Slice is a C++ call, ~2x String.fromCharCode with the
// bytes as arguments) and recognising a name read again and again from the same constant in the
// module (interned: verified against a copy of its bytes, 4 bytes at a time).

/** Node's fast latin1 codec on Buffer; present at runtime, missing from @types/node. */
export interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length?: number): number;
}

const from = String.fromCharCode;

/** ASCII-only lower-casing, like absl::AsciiStrToLower behind Http::LowerCaseString. */
export const asciiLower = (s: string): string => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
};

/** Up to 24 bytes as a flat string, built in one String.fromCharCode call (no C++ call, no cons). */
const short = (u: Uint8Array, p: number, n: number): string => {
  switch (n) {
    case 0:
      return '';
    case 1:
      return from(u[p]);
    case 2:
      return from(u[p], u[p + 1]);
    case 3:
      return from(u[p], u[p + 1], u[p + 2]);
    case 4:
      return from(u[p], u[p + 1], u[p + 2], u[p + 3]);
    case 5:
      return from(u[p], u[p + 1], u[p + 2], u[p + 3], u[p + 4]);
    case 6:
      return from(u[p], u[p + 1], u[p + 2], u[p + 3], u[p + 4], u[p + 5]);
    case 7:
      return from(u[p], u[p + 1], u[p + 2], u[p + 3], u[p + 4], u[p + 5], u[p + 6]);
    case 8:
      return from(u[p], u[p + 1], u[p + 2], u[p + 3], u[p + 4], u[p + 5], u[p + 6], u[p + 7]);
    default:
      return short2(u, p, n);
  }
};

// prettier-ignore
const short2 = (u: Uint8Array, p: number, n: number): string => {
  const a = u[p], b = u[p + 1], c = u[p + 2], d = u[p + 3], e = u[p + 4], f = u[p + 5], g = u[p + 6], h = u[p + 7];
  const q = p + 8;
  switch (n) {
    case 9: return from(a, b, c, d, e, f, g, h, u[q]);
    case 10: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1]);
    case 11: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2]);
    case 12: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2], u[q + 3]);
    case 13: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4]);
    case 14: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5]);
    case 15: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5], u[q + 6]);
    case 16: return from(a, b, c, d, e, f, g, h, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5], u[q + 6], u[q + 7]);
    default: return short3(u, p, n);
  }
};

// prettier-ignore
const short3 = (u: Uint8Array, p: number, n: number): string => {
  const a = u[p], b = u[p + 1], c = u[p + 2], d = u[p + 3], e = u[p + 4], f = u[p + 5], g = u[p + 6], h = u[p + 7];
  const i = u[p + 8], j = u[p + 9], k = u[p + 10], l = u[p + 11], m = u[p + 12], o = u[p + 13], r = u[p + 14], s = u[p + 15];
  const q = p + 16;
  switch (n) {
    case 17: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q]);
    case 18: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1]);
    case 19: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2]);
    case 20: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2], u[q + 3]);
    case 21: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4]);
    case 22: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5]);
    case 23: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5], u[q + 6]);
    default: return from(a, b, c, d, e, f, g, h, i, j, k, l, m, o, r, s, u[q], u[q + 1], u[q + 2], u[q + 3], u[q + 4], u[q + 5], u[q + 6], u[q + 7]);
  }
};

/** The latin1 string of u[p, p+n): short ones built in JS, longer ones by Node's codec. */
export const latin1Of = (u: Uint8Array, fast: FastBuffer, p: number, n: number): string =>
  n <= 24 ? short(u, p, n) : fast.latin1Slice(p, p + n);

const SLOTS = 256;
const MAX = 64; // longest interned string; longer ones are built every time

/**
 * Strings read from (address, size) in one memory, cached per address: header names are
 * constants in the module's data, read on every request. A hit is verified against a copy of the
 * bytes (a module may write anything anywhere), by 32-bit words when the address is aligned.
 */
export class InternCache {
  private readonly at = new Int32Array(SLOTS).fill(-1);
  private readonly len = new Int32Array(SLOTS);
  private readonly str: string[] = new Array<string>(SLOTS).fill('');
  private readonly lower: string[] = new Array<string>(SLOTS).fill('');
  private readonly copy = new Uint8Array(SLOTS * MAX);
  private readonly copy32 = new Int32Array(this.copy.buffer);

  static readonly MAX = MAX;

  /** u[p, p+n) as a string; n ≤ MAX; u32 is a word view of u (or empty). */
  get(u: Uint8Array, u32: Int32Array, fast: FastBuffer, p: number, n: number): string {
    return this.str[this.find(u, u32, fast, p, n)];
  }

  /** The same, ASCII-lower-cased (header names: Envoy lower-cases keys), cached alike. */
  getLower(u: Uint8Array, u32: Int32Array, fast: FastBuffer, p: number, n: number): string {
    return this.lower[this.find(u, u32, fast, p, n)];
  }

  /** The slot holding u[p, p+n), filled on a miss. */
  private find(u: Uint8Array, u32: Int32Array, fast: FastBuffer, p: number, n: number): number {
    const slot = (p ^ (n << 7)) & (SLOTS - 1);
    const base = slot * MAX;
    if (this.at[slot] === p && this.len[slot] === n) {
      let i = 0;
      if ((p & 3) === 0 && u32.length > 0) {
        const words = n >>> 2;
        const w = p >>> 2;
        const cw = base >>> 2;
        const copy32 = this.copy32;
        while (i < words && copy32[cw + i] === u32[w + i]) i++;
        i = i < words ? -1 : words << 2;
      }
      if (i >= 0) {
        const copy = this.copy;
        while (i < n && copy[base + i] === u[p + i]) i++;
        if (i === n) return slot;
      }
    }
    const s = latin1Of(u, fast, p, n);
    this.at[slot] = p;
    this.len[slot] = n;
    this.str[slot] = s;
    this.lower[slot] = asciiLower(s);
    const copy = this.copy;
    for (let i = 0; i < n; i++) copy[base + i] = u[p + i];
    return slot;
  }
}
