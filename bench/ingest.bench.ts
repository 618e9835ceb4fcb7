/**
 * `npm run bench:ingest`: sustained usage ingest through the store's UsageSink (usage reports →
 * line protocol → batching writer → HTTP) into a real local influxd started for the run.
 * Budget (DESIGN.md): ≥ 50,000 points/s sustained. Prints figures, then {"points_per_s": N}.
 *
 * Env: INGEST_USERS (100000), INGEST_NODES (4), INGEST_SECONDS (30), INGEST_INTERVAL_MS (10000).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { usageOf, type UsageReport, type UserUsage } from '../control-plane/domain/usage';
import { LiveDemandWindows, Store, silentLogger } from '../control-plane/store';
import { InfluxHttp } from '../control-plane/store/influx/http-client';
import { influxdEnv, startLocalInflux } from '../scripts/influxdb/local-influxd';

const USERS = Number(process.env.INGEST_USERS ?? 100_000);
const NODES = Number(process.env.INGEST_NODES ?? 4);
const SECONDS = Number(process.env.INGEST_SECONDS ?? 30);
const INTERVAL_MS = Number(process.env.INGEST_INTERVAL_MS ?? 10_000);
const IN_FLIGHT = 8;

/** CPU seconds a process has used (user + system), from /proc (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Peak resident memory of a process in MB (VmHWM). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One report per node per interval; users are spread over the nodes, values vary per interval. */
function makeReports(): UsageReport[] {
  const byNode: UserUsage[][] = Array.from({ length: NODES }, () => []);
  for (let u = 0; u < USERS; u++) {
    byNode[u % NODES].push(usageOf(`user-${u}`));
  }
  return byNode.map((users, n) => ({
    nodeId: `envoy-${n}`,
    sequence: 0,
    intervalStartMs: 0,
    intervalMs: INTERVAL_MS,
    planVersion: 'bench',
    users,
  }));
}

/** What a proxy would report for interval i: mostly admitted traffic, some queueing and throttling. */
function fill(r: UsageReport, i: number, atMs: number): void {
  r.sequence = i + 1;
  r.intervalStartMs = atMs;
  for (let k = 0; k < r.users.length; k++) {
    const u = r.users[k];
    const x = (k * 7 + i * 13) % 29;
    u.requests = 1 + x;
    u.admitted = x % 10 === 0 ? u.requests - 1 : u.requests;
    u.queued = x % 10 === 0 ? 1 : 0;
    u.queueWaitMs = u.queued * 40;
    u.throttled = x === 20 ? 1 : 0;
    u.peakInFlight = 1 + (x % 4);
    u.bytesIn = 800 * u.requests;
    u.bytesOut = 4000 * u.requests;
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-bench-ingest-'));
  const influx = await startLocalInflux({ dir: path.join(dir, 'influx') });
  const store = await Store.open({
    url: influx.url,
    spoolDir: path.join(dir, 'spool'),
    log: silentLogger,
    writer: { requestTimeoutMs: 300_000 }, // the check and read below scan millions of points on a busy machine
  });
  try {
    await store.schemaReady;
    const reports = makeReports();
    // Simulated time starts two days ago and moves one interval per round, whatever the wall clock does.
    const t0 = Math.floor((Date.now() - 2 * 86_400_000) / INTERVAL_MS) * INTERVAL_MS;
    let interval = 0;
    const round = async (pending: Promise<void>[]): Promise<number> => {
      let n = 0;
      for (const r of reports) {
        fill(r, interval, t0 + interval * INTERVAL_MS);
        pending.push(store.writeUsage(r));
        n += r.users.length + 1; // + the usage_report point
        if (pending.length > IN_FLIGHT) await pending.shift();
      }
      interval++;
      return n;
    };

    // Warm-up: the first interval creates every series (InfluxDB's costliest write).
    let started = Date.now();
    const warm: Promise<void>[] = [];
    const warmPoints = await round(warm);
    await Promise.all(warm);
    await store.flush();
    const warmSecs = (Date.now() - started) / 1000;

    const cpu0 = cpuSeconds(influx.pid);
    const node0 = process.cpuUsage();
    started = Date.now();
    const pending: Promise<void>[] = [];
    let points = 0;
    // Rates per 5-second window, from the lines InfluxDB acknowledged (not merely queued).
    const windows: number[] = [];
    let last = { t: started, written: store.stats().written };
    const sampler = setInterval(() => {
      const now = { t: Date.now(), written: store.stats().written };
      windows.push((now.written - last.written) / ((now.t - last.t) / 1000));
      last = now;
    }, 5000);
    while (Date.now() - started < SECONDS * 1000) points += await round(pending);
    await Promise.all(pending);
    await store.flush();
    clearInterval(sampler);
    const secs = (Date.now() - started) / 1000;
    const influxCpu = cpuSeconds(influx.pid) - cpu0;
    const nodeCpu = process.cpuUsage(node0);
    const rate = points / secs;

    // Every point must be there: count them back.
    process.stderr.write(`sustained ${Math.round(rate)} points/s; counting the points back…\n`);
    const http = new InfluxHttp({ url: influx.url, requestTimeoutMs: 300_000 });
    const [count] = await http.query('SELECT count(requests) FROM "earmark"."raw"."usage"', 'earmark');
    const stored = Number(count.series[0]?.values[0]?.[1] ?? 0);
    http.close();
    const expectedUsage = interval * USERS;

    // The reader on what was written: the last ten simulated minutes of every user.
    const lastMs = t0 + interval * INTERVAL_MS;
    const readStart = Date.now();
    // The longest the event loop waited during the read: the service's proxies' streams, API and
    // leader lease share that thread.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const w = await store.readDemandWindows({ fromMs: lastMs - 600_000, toMs: lastMs });
    lag.disable();
    const readSecs = (Date.now() - readStart) / 1000;
    const readStallMs = lag.max / 1e6;

    // The in-memory alternative for the forecast cycle: the same reports into LiveDemandWindows.
    const live = new LiveDemandWindows({ steps: 60 });
    const liveStart = process.cpuUsage();
    for (let i = 0; i < 6; i++) {
      for (const r of reports) {
        fill(r, i, t0 + i * INTERVAL_MS);
        live.writeUsage(r);
      }
    }
    const liveFeed = process.cpuUsage(liveStart);
    const snapStart = Date.now();
    const snap = live.snapshot(t0 + 6 * INTERVAL_MS);
    const snapSecs = (Date.now() - snapStart) / 1000;

    const stats = store.stats();
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const sorted = [...windows].sort((a, b) => a - b);
    console.log(
      `ingest: ${fmt(USERS)} users on ${NODES} proxies, ${INTERVAL_MS / 1000} s usage intervals, ${SECONDS} s run`,
    );
    console.log(`  machine: ${os.cpus().length} cores, load average ${load} (shared with other work)`);
    console.log(
      `  warm-up (creates ${fmt(USERS)} series): ${fmt(warmPoints)} points in ${warmSecs.toFixed(1)} s`,
    );
    console.log(`  sustained: ${fmt(points)} points in ${secs.toFixed(1)} s = ${fmt(rate)} points/s`);
    if (sorted.length) {
      console.log(
        `  5-second windows: min ${fmt(sorted[0])}, median ${fmt(sorted[sorted.length >> 1])}, max ${fmt(sorted[sorted.length - 1])} points/s`,
      );
    }
    const nodeSecs = (nodeCpu.user + nodeCpu.system) / 1e6;
    console.log(
      `  CPU: influxd ${influxCpu.toFixed(1)} s (${fmt(points / Math.max(influxCpu, 1e-3))} points per influxd CPU-second, ` +
        `${((influxCpu / points) * 1e6).toFixed(1)} µs per point), node ${nodeSecs.toFixed(1)} s ` +
        `(${((nodeSecs / points) * 1e6).toFixed(2)} µs per point, the simulated proxies' reports included)`,
    );
    console.log(
      `  together: ${fmt(points / (influxCpu + nodeSecs))} points per CPU-second of the two; ` +
        `influxd peak RSS ${fmt(peakRssMb(influx.pid))} MB (GOGC=${influxdEnv().GOGC}, GOMEMLIMIT=${influxdEnv().GOMEMLIMIT})`,
    );
    // Derived, not measured: what the two processes' CPU cost per point allows on idle cores.
    const perPoint = (influxCpu + nodeSecs) / points;
    console.log(
      `  CPU-bound ceiling at these costs: ${fmt(os.cpus().length / perPoint)} points/s if influxd and node had all ` +
        `${os.cpus().length} cores (derived from CPU time; the measured wall rate above is the figure)`,
    );
    console.log(
      `  writer: ${fmt(stats.written)} lines acknowledged, ${stats.retries} retries, ${fmt(stats.spooledTotal)} spooled, ${stats.rejected} rejected`,
    );
    console.log(
      `  check: ${fmt(stored)} usage points stored, ${fmt(expectedUsage)} written${stored === expectedUsage ? ' (all there)' : ' MISMATCH'}`,
    );
    console.log(
      `  read: dense windows for ${fmt(w.users.length)} users × ${w.steps} minutes in ${readSecs.toFixed(2)} s, ` +
        `longest event-loop stall ${readStallMs.toFixed(0)} ms`,
    );
    console.log(
      `  live windows: ${fmt(6 * USERS)} user-intervals fed in ${((liveFeed.user + liveFeed.system) / 1e6).toFixed(2)} CPU-s, ` +
        `snapshot of ${fmt(snap.users.length)} users × ${snap.steps} minutes in ${snapSecs.toFixed(2)} s`,
    );
    console.log(JSON.stringify({ points_per_s: Math.round(rate) }));
    if (stored !== expectedUsage) process.exitCode = 1;
  } finally {
    await store.close();
    await influx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
