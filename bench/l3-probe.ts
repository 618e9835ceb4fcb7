// Is the machine in a noisy phase? A dependent-load chain (each load's address comes from the
// previous load) over 8 MiB, which fits this VM's 32 MiB L3. Its ns per load is the latency of
// the cache level the data sits in: ~35 ns while the L3 holds it, ~100 ns when other tenants of
// the host's shared L3 have evicted it. On this project's machine it moves between the two in
// phases of 0.1–1 s with nothing else running in the VM (2026-11-28), which is what makes the
// plugin bench's medians (npm run bench:plugin) swing between ~2 and ~3.7 µs from run to run.
// Run before a benchmark: npx tsx bench/l3-probe.ts. Prints per-batch figures, then a JSON line.
// `PROBE=pages` measures page walks instead (pagesProbe below); `PROBE=lines` one cache line per
// slot against two (linesProbe), `PROBE=span` the span of a table (spanProbe).
import { readFileSync } from 'node:fs';
import { alignedBytes } from '../wasm-host/word-copy';

/** A 256 MiB table allocated as the host's slot table (alignedBytes: huge pages when the process
 * runs with GLIBC_TUNABLES=glibc.malloc.hugetlb=1), as 32-bit words. */
function slotTable(): Int32Array {
  const bytes = 256 << 20;
  const t = alignedBytes(bytes);
  return new Int32Array(t.buffer, t.byteOffset, bytes >>> 2);
}
const TABLE_SLOTS = (256 << 20) / 128;

/** k distinct slots from draw() (none already in `seen`), in random order. */
function distinctSlots(k: number, draw: (i: number) => number, seen: Set<number>): number[] {
  const slots: number[] = [];
  for (let i = 0; slots.length < k; i++) {
    const s = draw(i);
    if (seen.has(s)) continue;
    seen.add(s);
    slots.push(s);
  }
  for (let i = k - 1; i > 0; i--) {
    const j = rnd() % (i + 1);
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  return slots;
}

/** Links the slots into one cycle through word `w` of each: returns the first slot's word. */
function link(t32: Int32Array, slots: number[], w = 0): number {
  const k = slots.length;
  for (let i = 0; i < k; i++) t32[slots[i] * 32 + w] = slots[(i + 1) % k] * 32 + w;
  return slots[0] * 32 + w;
}

/** Runs every case once per round in rotating order (each sees every phase); median ns per load. */
function rotate(probe: string, cases: Array<{ name: string; run: () => number }>): void {
  const ns: number[][] = cases.map(() => []);
  for (let r = 0; r < BATCHES; r++) {
    for (let c = 0; c < cases.length; c++) {
      const ci = (c + r) % cases.length;
      const t0 = process.hrtime.bigint();
      if (cases[ci].run() < 0) throw new Error('unreachable: keeps the chain live');
      ns[ci].push(Number(process.hrtime.bigint() - t0) / LOADS);
    }
  }
  const med = (v: number[]) => +[...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  console.log(JSON.stringify({ probe, ...Object.fromEntries(cases.map((c, i) => [c.name, med(ns[i])])) }));
}

/** Follows a chain of one load per slot. */
function chase(t32: Int32Array, p: number): number {
  for (let i = 0; i < LOADS; i++) p = t32[p];
  return p;
}

/**
 * The plugin bench's 10^6-user penalty (plugin/HISTORY.md, session 8): chains through K slots of
 * 128 bytes, spread at random over the table's first 128 MiB (one page per slot, as a hash table
 * places users) or packed 128 B apart in its second half (same lines, few pages). Spread costing
 * more than packed for the same lines is the cost of page walks.
 */
function pagesProbe(): void {
  const t32 = slotTable();
  const half = TABLE_SLOTS / 2;
  const seen = new Set<number>();
  let packedAt = half;
  const chain = (k: number, spread: boolean): number => {
    const slots = distinctSlots(k, (i) => (spread ? rnd() % half : packedAt + i), seen);
    if (!spread) packedAt += k;
    return link(t32, slots);
  };
  rotate(
    'pages',
    [8192, 1024].flatMap((k) => {
      const spread = chain(k, true);
      const packed = chain(k, false);
      return [
        { name: `spread_${k}`, run: () => chase(t32, spread) },
        { name: `packed_${k}`, run: () => chase(t32, packed) },
      ];
    }),
  );
}

/**
 * What one line less per slot would buy (plugin/HISTORY.md, session 9): 8,192 random slots of the
 * whole table (as the host places 10^6 users), each visit loading the slot's first line only, or
 * its first and second together (the host's probe() loads both at once; a record past 56 bytes
 * needs both), with and without stores into them (the CAS write-back dirties what it rewrites);
 * the same packed 128 B apart in the table's last 2 MiB.
 */
function linesProbe(): void {
  const t32 = slotTable();
  const k = 8192;
  const seen = new Set<number>();
  const spread = () =>
    link(
      t32,
      distinctSlots(k, () => rnd() % (TABLE_SLOTS - 2 * k), seen),
    );
  const packed = (at: number) =>
    link(
      t32,
      distinctSlots(k, (i) => at + i, seen),
    );
  const [one, two, oneW, twoW] = [spread(), spread(), spread(), spread()];
  const [pOne, pTwo] = [packed(TABLE_SLOTS - 2 * k), packed(TABLE_SLOTS - k)];
  // Second lines hold 0, so adding them keeps the chain and makes each visit wait for both.
  const both = (p: number): number => {
    for (let i = 0; i < LOADS; i++) p = t32[p] + t32[p + 16];
    return p;
  };
  const oneStore = (p: number): number => {
    for (let i = 0; i < LOADS; i++) {
      const q = t32[p];
      t32[p + 1] = i;
      p = q;
    }
    return p;
  };
  const bothStore = (p: number): number => {
    for (let i = 0; i < LOADS; i++) {
      const q = t32[p] + t32[p + 16];
      t32[p + 1] = i;
      t32[p + 17] = i;
      p = q;
    }
    return p;
  };
  rotate('lines', [
    { name: 'spread_one_line', run: () => chase(t32, one) },
    { name: 'spread_two_lines', run: () => both(two) },
    { name: 'spread_one_line_stored', run: () => oneStore(oneW) },
    { name: 'spread_two_lines_stored', run: () => bothStore(twoW) },
    { name: 'packed_one_line', run: () => chase(t32, pOne) },
    { name: 'packed_two_lines', run: () => both(pTwo) },
  ]);
}

/**
 * Whether the span of a table matters beyond its distinct pages (plugin/HISTORY.md, session 9):
 * the same 8,192 random slots drawn from the table's first 256, 128, 64, 32 or 8 MiB, and packed
 * in 1 MiB. Also prints whether V8's Wasm memory gets transparent huge pages here.
 */
function spanProbe(): void {
  const t32 = slotTable();
  const seen = new Set<number>();
  const mib = [1, 8, 32, 64, 128, 256];
  const starts = mib.map((m) =>
    link(
      t32,
      distinctSlots(8192, (i) => (m === 1 ? i : rnd() % ((m << 20) / 128)), seen),
    ),
  );
  rotate(
    'span',
    mib.map((m, i) => ({
      name: m === 1 ? 'packed_1MiB' : `spread_${m}MiB`,
      run: () => chase(t32, starts[i]),
    })),
  );
  const hugeKiB = (): number =>
    Number(/AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? -1);
  const before = hugeKiB();
  const wasm = new Uint8Array(new WebAssembly.Memory({ initial: 1024 }).buffer); // 64 MiB
  for (let i = 0; i < wasm.length; i += 4096) wasm[i] = 1;
  console.log(JSON.stringify({ probe: 'wasm_memory', huge_page_kib_gained_by_64_mib: hugeKiB() - before }));
}

const N = 1 << 21; // 2 Mi entries of 4 bytes
const BATCHES = Number(process.env.PROBE_BATCHES ?? 150);
const LOADS = 200_000;

let seed = 12345;
// Math.imul: the product of two 31-bit numbers is past a double's exact range.
const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff);
const PROBES: Record<string, () => void> = { pages: pagesProbe, lines: linesProbe, span: spanProbe };
const chosen = PROBES[process.env.PROBE ?? ''];
if (chosen !== undefined) {
  chosen();
  process.exit(0);
}
const perm = new Int32Array(N);
for (let i = 0; i < N; i++) perm[i] = i;
for (let i = N - 1; i > 0; i--) {
  const j = rnd() % (i + 1);
  const t = perm[i];
  perm[i] = perm[j];
  perm[j] = t;
}
const next = new Int32Array(N); // one cycle through every entry in random order
for (let i = 0; i < N; i++) next[perm[i]] = perm[(i + 1) % N];

let p = 0;
const ns: number[] = [];
for (let b = 0; b < BATCHES; b++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LOADS; i++) p = next[p];
  ns.push(Number(process.hrtime.bigint() - t0) / LOADS);
}
if (p < 0) throw new Error('unreachable: keeps the chain live');
const sorted = [...ns].sort((a, b) => a - b);
const q = (x: number) => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))];
console.log(
  `ns per dependent load, ${BATCHES} batches of ${LOADS}: ${ns.map((x) => x.toFixed(0)).join(' ')}`,
);
console.log(
  JSON.stringify({
    probe: 'l3',
    min_ns: +q(0).toFixed(1),
    median_ns: +q(0.5).toFixed(1),
    p90_ns: +q(0.9).toFixed(1),
  }),
);
