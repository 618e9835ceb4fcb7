// Word-wise access to byte arrays shared by the shared-data store and Wasm memory views: 64- and
// 32-bit views of one buffer, a key hash read by words, and copies by words (no allocation).

/** 64- and 32-bit views of the same bytes as a Uint8Array, for copies by words (empty: none). */
export class WordViews {
  constructor(
    readonly i64: BigInt64Array,
    readonly i32: Int32Array,
  ) {}
}

export const NO_WORDS = new WordViews(new BigInt64Array(0), new Int32Array(0));

/** Word views of u8's bytes (when they start 8-aligned in its buffer), else NO_WORDS. */
export const wordsOf = (u8: Uint8Array): WordViews => {
  const at = u8.byteOffset;
  const n = u8.length;
  if ((at & 7) !== 0) return NO_WORDS;
  return new WordViews(
    (n & 7) === 0 ? new BigInt64Array(u8.buffer, at, n >>> 3) : NO_WORDS.i64,
    (n & 3) === 0 ? new Int32Array(u8.buffer, at, n >>> 2) : NO_WORDS.i32,
  );
};

const WASM_PAGE = 65536;
const PAGE = 4096;
/**
 * From this size on glibc's malloc always maps a chunk of its own (its mmap threshold rises to at
 * most 32 MiB on 64-bit), whose bytes start CHUNK_HEADER past a page start.
 */
export const MAPPED_MIN = 32 << 20;
const CHUNK_HEADER = 16;

/**
 * Whether glibc was told at process start to madvise the chunks it maps (GLIBC_TUNABLES
 * `glibc.malloc.hugetlb=1`, or 2 for hugetlbfs pages): only then can calloc'd memory get huge pages.
 */
export const GLIBC_HUGE_PAGES = /(^|:)glibc\.malloc\.hugetlb=[12](:|$)/.test(
  process.env.GLIBC_TUNABLES ?? '',
);

/**
 * Zeroed bytes whose first byte is page-aligned when n is a multiple of 64 KiB. A large
 * `new Uint8Array(n)` comes from calloc, which (glibc, mmap'd chunk) returns a page start + 16:
 * every 128-byte shared-data slot then spans three cache lines instead of two, one more miss per
 * random lookup. A WebAssembly.Memory is mmap'd page-aligned and zeroed lazily, but V8 never
 * madvises it, so it stays on 4 KiB pages. With `malloced` (default: GLIBC_HUGE_PAGES) and from
 * MAPPED_MIN on, the bytes are calloc'd (lazily zeroed) and seen from the next page start, so that
 * glibc's madvise gives them transparent huge pages: one TLB entry per 2 MiB instead of a page
 * walk per random slot. (Below MAPPED_MIN a calloc may come from the heap, unaligned.)
 */
export const alignedBytes = (n: number, malloced = GLIBC_HUGE_PAGES): Uint8Array => {
  if (n < WASM_PAGE || n % WASM_PAGE !== 0) return new Uint8Array(n);
  try {
    if (malloced && n >= MAPPED_MIN) return new Uint8Array(new ArrayBuffer(n + PAGE), PAGE - CHUNK_HEADER, n);
    const pages = n / WASM_PAGE;
    return new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  } catch {
    return new Uint8Array(n); // past 4 GiB, or no address space left for another memory
  }
};

/** Whether typed-array words are little-endian here: only then do word reads equal the byte path. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Hash of a key: its little-endian 32-bit words (read as words when the key is aligned, a word
 * view is given and the machine is little-endian, assembled from bytes otherwise: same value), then the tail bytes, then a
 * murmur3-style finish so every byte reaches the low bits the index uses.
 */
export const hashKey = (u8: Uint8Array, u32: Int32Array, at: number, len: number): number => {
  let h = len;
  const n = len >>> 2;
  if (LITTLE_ENDIAN && (at & 3) === 0 && u32.length > 0) {
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
export const copyBytes = (
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
