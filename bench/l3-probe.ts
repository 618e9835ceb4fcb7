// Is the machine in a noisy phase? A dependent-load chain (each load's address comes from the
// previous load) over 8 MiB, which fits this VM's 32 MiB L3. Its ns per load is the latency of
// the cache level the data sits in: ~35 ns while the L3 holds it, ~100 ns when other tenants of
// the host's shared L3 have evicted it. On this project's machine it moves between the two in
// phases of 0.1–1 s with nothing else running in the VM (2026-11-28), which is what makes the
// plugin bench's medians (npm run bench:plugin) swing between ~2 and ~3.7 µs from run to run.
// Run before a benchmark: npx tsx bench/l3-probe.ts. Prints per-batch figures, then a JSON line.
// `PROBE=pages` measures page walks instead (pagesProbe below).
import { alignedBytes } from '../wasm-host/word-copy';

/**
 * The plugin bench's 10^6-user penalty (plugin/README.md, session 8): chains through K slots of
 * 128 bytes in a 256 MiB table allocated as the host's slot table is (alignedBytes; run with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for its huge pages), spread at random over 128 MiB (one
 * page per slot, as a hash table places users) or packed 128 B apart (same lines, few pages).
 * Spread costing more than packed for the same lines is the cost of page walks.
 */
function pagesProbe(): void {
  const bytes = 256 << 20;
  const half = bytes / 128 / 2; // slots in each half: spread chains in the first, packed in the second
  const t = alignedBytes(bytes);
  const t32 = new Int32Array(t.buffer, t.byteOffset, bytes >>> 2);
  let packedAt = half;
  const chain = (k: number, spread: boolean): number => {
    const slots: number[] = [];
    const seen = new Set<number>();
    while (slots.length < k) {
      const s = spread ? rnd() % half : packedAt + slots.length;
      if (seen.has(s)) continue;
      seen.add(s);
      slots.push(s);
    }
    if (!spread) packedAt += k;
    for (let i = k - 1; i > 0; i--) {
      const j = rnd() % (i + 1);
      [slots[i], slots[j]] = [slots[j], slots[i]];
    }
    for (let i = 0; i < k; i++) t32[slots[i] * 32] = slots[(i + 1) % k] * 32;
    return slots[0] * 32;
  };
  const cases = [8192, 1024].flatMap((k) => [
    { name: `spread_${k}`, start: chain(k, true) },
    { name: `packed_${k}`, start: chain(k, false) },
  ]);
  const ns: number[][] = cases.map(() => []);
  for (let r = 0; r < BATCHES; r++) {
    for (let c = 0; c < cases.length; c++) {
      const ci = (c + r) % cases.length; // rotating order: every case sees every phase
      let p = cases[ci].start;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < LOADS; i++) p = t32[p];
      ns[ci].push(Number(process.hrtime.bigint() - t0) / LOADS);
      if (p < 0) throw new Error('unreachable: keeps the chain live');
    }
  }
  const med = (v: number[]) => +[...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  console.log(
    JSON.stringify({ probe: 'pages', ...Object.fromEntries(cases.map((c, i) => [c.name, med(ns[i])])) }),
  );
}

const N = 1 << 21; // 2 Mi entries of 4 bytes
const BATCHES = Number(process.env.PROBE_BATCHES ?? 150);
const LOADS = 200_000;

let seed = 12345;
// Math.imul: the product of two 31-bit numbers is past a double's exact range.
const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff);
if (process.env.PROBE === 'pages') {
  pagesProbe();
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
