// Is the machine in a noisy phase? A dependent-load chain (each load's address comes from the
// previous load) over 8 MiB, which fits this VM's 32 MiB L3. Its ns per load is the latency of
// the cache level the data sits in: ~35 ns while the L3 holds it, ~100 ns when other tenants of
// the host's shared L3 have evicted it. On this project's machine it moves between the two in
// phases of 0.1–1 s with nothing else running in the VM (2026-11-28), which is what makes the
// plugin bench's medians (npm run bench:plugin) swing between ~2 and ~3.7 µs from run to run.
// Run before a benchmark: npx tsx bench/l3-probe.ts. Prints per-batch figures, then a JSON line.
const N = 1 << 21; // 2 Mi entries of 4 bytes
const BATCHES = Number(process.env.PROBE_BATCHES ?? 150);
const LOADS = 200_000;

let seed = 12345;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
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
