/**
 * Forecast benchmark (npm run bench:forecast): one forecasting cycle for 100,000 users.
 *
 * Timed: ForecastEngine.forecast(windows) — for 100,000 users × 5 resources (500,000 series) with
 * 60 one-minute steps of history each: features for the ONNX model and its batched inference,
 * every baseline at the scoring lead, scoring of the forecasts issued 5 cycles earlier, the
 * per-user model choice and calibration, and issuing 15 one-minute steps × 4 quantiles for every
 * series (30 million values). Not timed: generating the synthetic demand, building the window.
 * Consecutive cycles slide the window by one minute, so scoring and switching run as in service,
 * and each batch is handed back (engine.recycle) once read, as the service's cycle does.
 * The engine splits the users across BENCH_SHARDS worker threads (2: one per core of this machine;
 * 0 runs the cycle in the calling thread), each running onnxruntime on BENCH_THREADS threads (1).
 * Environment: BENCH_USERS (100000), BENCH_STEPS (60), BENCH_CYCLES (8), BENCH_SHARDS, BENCH_THREADS.
 * Ends with one JSON line: {"users": N, "seconds_per_cycle": S} (S = median over timed cycles).
 */
import * as os from 'node:os';
import { DemandWindows, RESOURCES } from '../control-plane/domain/demand';
import { createForecastEngine } from '../control-plane/forecast/engine';
import { DEFAULT_MODEL_FILE } from '../control-plane/forecast/model/default-model';
import { SyntheticWorkload } from '../sim/workload/synthetic';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const STEPS = Number(process.env.BENCH_STEPS ?? 60);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 8);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
const START = Date.UTC(2026, 0, 5);

/** Requests from the synthetic workload; the other resources derived from them per user. */
function demand(wl: SyntheticWorkload, minutes: number): Float32Array[] {
  const R = RESOURCES.length;
  const out = Array.from({ length: USERS }, () => new Float32Array(R * minutes));
  for (let u = 0; u < USERS; u++) {
    const user = wl.users[u];
    const a = out[u];
    for (let m = 0; m < minutes; m++) {
      const req = wl.count(u, m);
      const conc = req > 0 ? Math.ceil((req * user.serviceMs) / 60_000) : 0;
      a[m] = req;
      a[minutes + m] = conc;
      a[2 * minutes + m] = (req * user.serviceMs) / 60; // millicores
      a[3 * minutes + m] = conc * user.memoryMb;
      a[4 * minutes + m] = req * 24; // kbps at ~180 kB per request
    }
  }
  return out;
}

function windowAt(series: Float32Array[], minutes: number, end: number): DemandWindows {
  const R = RESOURCES.length;
  const values = new Float32Array(USERS * R * STEPS);
  for (let u = 0; u < USERS; u++)
    for (let r = 0; r < R; r++)
      values.set(series[u].subarray(r * minutes + end - STEPS, r * minutes + end), (u * R + r) * STEPS);
  return {
    users,
    resources: RESOURCES,
    startMs: START + (end - STEPS) * 60_000,
    stepMs: 60_000,
    steps: STEPS,
    values,
  };
}

let users: string[] = [];

async function main(): Promise<void> {
  const t0 = Date.now();
  const wl = new SyntheticWorkload({ seed: 3, users: USERS, startMs: START });
  users = wl.users.map((u) => u.id);
  const minutes = STEPS + CYCLES + 1;
  const series = demand(wl, minutes);
  console.log(
    `synthetic demand for ${USERS} users × ${minutes} min in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const engine = await createForecastEngine({
    modelFile: DEFAULT_MODEL_FILE,
    modelThreads: THREADS,
    threads: SHARDS,
    exploreGroups: process.env.BENCH_GROUPS ? Number(process.env.BENCH_GROUPS) : undefined,
  });
  const st = engine.status();
  if (st.modelError) throw new Error(st.modelError);
  console.log(`model ${st.model}, ${st.candidates.length} candidates: ${st.candidates.join(', ')}`);
  const times: number[] = [];
  const cpus: number[] = [];
  for (let c = 0; c <= CYCLES; c++) {
    const w = windowAt(series, minutes, STEPS + c);
    if (global.gc) global.gc();
    const a = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const batch = await engine.forecast(w);
    const s = Number(process.hrtime.bigint() - a) / 1e9;
    const cpuUsed = process.cpuUsage(cpu0);
    const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
    const used = new Map<string, number>();
    for (const m of batch.modelOf) used.set(batch.models[m], (used.get(batch.models[m]) ?? 0) + 1);
    const top = [...used].sort((x, y) => y[1] - x[1]).slice(0, 3);
    console.log(
      `cycle ${c}${c === 0 ? ' (warm-up, not counted)' : ''}: ${s.toFixed(3)} s wall, ${cpu.toFixed(3)} s CPU, ${batch.values.length} values; ` +
        `phases ms ${JSON.stringify(engine.status().lastCycleMs, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}; ` +
        `reservation models: ${top.map(([n, k]) => `${n} ${((100 * k) / USERS).toFixed(0)}%`).join(', ')}`,
    );
    // As the service's cycle does once it has recorded the batch: its arrays serve the next cycle.
    engine.recycle?.(batch);
    if (c > 0) {
      times.push(s);
      cpus.push(cpu);
    }
  }
  await engine.close();
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  console.log(
    `load average while running: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(
        ' ',
      )} on ${os.cpus().length} cores; median CPU time per cycle ${cpus[cpus.length >> 1].toFixed(3)} s, summed over all threads (on an idle machine, about what ${Math.max(1, SHARDS)} core(s) would take in parallel)`,
  );
  console.log(
    `median ${median.toFixed(3)} s, min ${times[0].toFixed(3)} s, max ${times[times.length - 1].toFixed(3)} s per cycle; ${SHARDS} shard threads, onnxruntime threads ${THREADS} each; heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
  console.log(JSON.stringify({ users: USERS, seconds_per_cycle: Number(median.toFixed(3)) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
