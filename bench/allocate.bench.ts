/**
 * Allocation benchmark (npm run bench:allocate): one allocate() cycle for
 *  1. 100,000 users on 1,000 instances (5 resources, 4 quantiles, 15 steps; 10 % gold, 30 % silver,
 *     60 % free), a cold cycle (no current plan) and warm cycles (the previous plan current, every
 *     forecast value perturbed by up to ±10 %);
 *  2. 1,000,000 users on 10,000 instances (3 resources: requests, concurrency, memory; CPU and
 *     bandwidth derived per slot at the synthetic fleet's ratios), the same.
 * Figures are wall-clock ms of allocate() (and CPU ms of this process, as the machine is shared).
 * The JSON figures are the slowest cycle measured at each size, cold included; then one more warm
 * 10^6 cycle as the service runs it (allocateYielding: the event loop gets a turn every ~20 ms), its
 * longest stretch without a turn (longest_stretch_ms_1e6).
 * Environment: BENCH_WARM_CYCLES (3), BENCH_SKIP_1E6 (unset).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { allocate, allocateYielding, AllocationResult } from '../control-plane/allocate/allocate';
import { loadPolicyFile } from '../control-plane/allocate/load-policy';
import { syntheticForecast, syntheticInstances } from '../control-plane/allocate/testing/synthetic';
import type { ForecastBatch, ResourceKind } from '../control-plane/domain/demand';
import type { Plan } from '../control-plane/domain/plan';
import type { UserProfile } from '../control-plane/domain/user';
import { mulberry32 } from '../sim/random';

const policy = loadPolicyFile(path.join(__dirname, '../control-plane/allocate/policies/default.yaml'));
const WARM = Number(process.env.BENCH_WARM_CYCLES ?? 3);

function profilesFor(users: string[]): Map<string, UserProfile> {
  const rnd = mulberry32(11);
  const m = new Map<string, UserProfile>();
  for (const user of users) {
    const x = rnd();
    m.set(user, { user, tier: x < 0.1 ? 'gold' : x < 0.4 ? 'silver' : 'free', updatedAtMs: 0 });
  }
  return m;
}

function perturb(b: ForecastBatch, seed: number, issuedAtMs: number): ForecastBatch {
  const rnd = mulberry32(seed);
  const values = new Float32Array(b.values);
  for (let i = 0; i < values.length; i++) values[i] *= 0.9 + 0.2 * rnd();
  return { ...b, values, issuedAtMs };
}

interface Run {
  label: string;
  wallMs: number;
  cpuMs: number;
  r: AllocationResult;
}

function cycle(
  label: string,
  forecast: ForecastBatch,
  insts: ReturnType<typeof syntheticInstances>,
  profiles: Map<string, UserProfile>,
  nowMs: number,
  current?: Plan,
): Run {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const r = allocate({ nowMs, cycleMs: 60_000, forecast, policy, instances: insts, profiles, current });
  const wallMs = performance.now() - t;
  const c = process.cpuUsage(cpu);
  return { label, wallMs, cpuMs: (c.user + c.system) / 1000, r };
}

function print(run: Run): void {
  const s = run.r.stats;
  const ms = s.ms;
  console.log(
    `  ${run.label.padEnd(6)} ${run.wallMs.toFixed(0).padStart(6)} ms wall ${run.cpuMs.toFixed(0).padStart(6)} ms cpu | ` +
      `wants ${ms.wants.toFixed(0)} pack ${ms.pack.toFixed(0)} build ${ms.build.toFixed(0)} scaling ${ms.scaling.toFixed(0)} | ` +
      `reserved ${s.reserved} squeezed ${s.squeezed} instances ${s.instancesUsed} moved ${s.moved} unchanged ${s.unchanged}`,
  );
}

/** The same cycle as the service runs it: the event loop gets a turn every ~20 ms. */
async function yieldingCycle(
  forecast: ForecastBatch,
  insts: ReturnType<typeof syntheticInstances>,
  profiles: Map<string, UserProfile>,
  nowMs: number,
  current: Plan,
): Promise<number> {
  let turns = 0;
  let longest = 0;
  let mark = performance.now();
  const t = performance.now();
  const input = { nowMs, cycleMs: 60_000, forecast, policy, instances: insts, profiles, current };
  // The stretch runs from a turn's end (the timer below fires inside the turn) to the next onTurn.
  const r = await allocateYielding(input, {
    onTurn: () => {
      turns++;
      longest = Math.max(longest, performance.now() - mark);
      setImmediate(() => (mark = performance.now()));
    },
  });
  longest = Math.max(longest, performance.now() - mark);
  const wallMs = performance.now() - t;
  console.log(
    `  yielding (as the service runs it) ${wallMs.toFixed(0)} ms wall, ${turns} turns of the event loop, ` +
      `longest stretch without one ${longest.toFixed(1)} ms | reserved ${r.stats.reserved} unchanged ${r.stats.unchanged}`,
  );
  return longest;
}

function size(users: number, instances: number, resources?: readonly ResourceKind[]) {
  console.log(
    `${users.toLocaleString('en')} users on ${instances.toLocaleString('en')} instances (${resources?.length ?? 5} resources, 4 quantiles, 15 steps):`,
  );
  const base = syntheticForecast({ users, resources });
  const insts = syntheticInstances(instances, policy.instanceClasses[0].capacity);
  const profiles = profilesFor(base.users);
  // Only the latest plan is kept alive (as in the service), so old plans do not load the collector.
  let last = cycle('cold', base, insts, profiles, 0);
  print(last);
  const walls = [last.wallMs];
  for (let k = 1; k <= WARM; k++) {
    const f = perturb(base, k, k * 60_000);
    last = cycle(`warm ${k}`, f, insts, profiles, k * 60_000, last.r.plan);
    print(last);
    walls.push(last.wallMs);
  }
  const next = () =>
    yieldingCycle(
      perturb(base, WARM + 1, (WARM + 1) * 60_000),
      insts,
      profiles,
      (WARM + 1) * 60_000,
      last.r.plan,
    );
  return { slowest: Math.max(...walls), next };
}

console.log(
  `node ${process.version}, ${os.cpus().length} cpus, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (shared machine)`,
);
const a = size(100_000, 1_000).slowest;
// CPU and bandwidth are derived from slots at the synthetic fleet's own ratios (as the 10^5 run has them).
policy.perSlot = { requestsPerMinute: 60, cpuMillicores: 12, memoryMb: 48, bandwidthKbps: 400 };
async function main(): Promise<void> {
  const big = process.env.BENCH_SKIP_1E6
    ? undefined
    : size(1_000_000, 10_000, ['requests', 'concurrency', 'memory']);
  const stretch = big ? await big.next() : NaN;
  console.log(
    `load average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    JSON.stringify({
      ms_1e5_users_1e3_instances: Math.round(a),
      ms_1e6_users: Math.round(big?.slowest ?? NaN),
      longest_stretch_ms_1e6: Math.round(stretch),
    }),
  );
}
void main();
