/**
 * A probe of the machine's own speed, for telling a slower code path from a slower machine.
 *
 * This VM's vCPUs share physical cores with other tenants (session 10, bench/README.md "Machine
 * phases"): for seconds at a time, code that keeps the core busy with independent instructions
 * runs ~1.6x slower while a latency-bound chain does not, which is what a busy sibling hyperthread
 * does. The plugin bench's batches followed it exactly (1.7 vs 3.4 µs per request with the same
 * code, in one process). The probe is register-only work with six independent chains (no memory,
 * so it leaves the caches as the benchmark had them), ~2–4 ms per call.
 */
const ITERATIONS = 1_000_000;

function chains(n: number): number {
  let x = 1;
  let y = 2;
  let z = 3;
  let w = 4;
  let a = 5;
  let b = 6;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    y = (Math.imul(y, 1103515245) + 12345) | 0;
    z = (Math.imul(z, 1103515245) + 12345) | 0;
    w = (Math.imul(w, 1103515245) + 12345) | 0;
    a = (a + (i ^ b)) | 0;
    b = (b ^ (a + i)) | 0;
  }
  return x ^ y ^ z ^ w ^ a ^ b;
}

/** The last probe's result: stored (and exported) so that its loop is never optimized away. */
export let lastProbeResult = 0;
/** Nanoseconds per probe iteration now (lower: the core is ours; ~1.6x: shared with a neighbour). */
export function machineProbeNs(): number {
  const t0 = process.hrtime.bigint();
  lastProbeResult = chains(ITERATIONS);
  return Number(process.hrtime.bigint() - t0) / ITERATIONS;
}
/** Whether a probe shows the machine at full speed: within 15 % of the fastest probe of the run. */
export const atFullSpeed = (probe: number, fastest: number): boolean => probe <= fastest * 1.15;

/** The batches taken at full speed (`probes[i]` taken right after batch i): count and median. */
export function fastPhase(values: number[], probes: number[], fastest = Math.min(...probes)) {
  const kept = values.filter((_, i) => atFullSpeed(probes[i], fastest));
  const sorted = [...kept].sort((a, b) => a - b);
  return { count: kept.length, median: sorted.length ? sorted[sorted.length >> 1] : NaN };
}

// Run alone: `npx tsx bench/machine-probe.ts` prints 20 probes (fastest and median), e.g. to see
// whether the machine is in a slow phase before taking figures, or, with a busy loop of ours on
// the other vCPU (`node -e 'for (;;);' &`), whether our two vCPUs share a core.
if (require.main === module) {
  const r = Array.from({ length: 20 }, machineProbeNs).sort((a, b) => a - b);
  console.log(`machine probe: fastest ${r[0].toFixed(2)} ns, median ${r[10].toFixed(2)} ns per iteration`);
  console.log(JSON.stringify({ probe_fastest_ns: +r[0].toFixed(2), probe_median_ns: +r[10].toFixed(2) }));
}
