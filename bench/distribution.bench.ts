/**
 * Plan distribution benchmark (npm run bench:distribution).
 *
 *  1. Full plan: 100,000 changed reservations to one proxy, from publish() to the server receiving
 *     the ACK of the response that completes the revision; bytes counted on the wire (every byte
 *     of the TCP connection, server to proxy, through a loopback relay), with gRPC gzip negotiated
 *     (grpc-js and Envoy's google_grpc client) and without compression (Envoy's envoy_grpc client).
 *  2. Delta: 1,000 changed users to 50 connected proxies, publish() to each proxy's ACK, p99.
 *
 * The proxies are reference clients (gRPC on node:http2, or @grpc/grpc-js with BENCH_CLIENT=grpc-js,
 * bench/README.md): they decode, validate and apply every
 * reservation before they ACK. They run in child processes (bench/distribution-proxies.ts), the
 * server runs here. Ends with one JSON line.
 * Delta rounds start after BENCH_WARMUP unmeasured rounds (JIT tiers, first-delta code paths).
 * BENCH_TRACE=1 prints each round's stages: server CPU to publish and encode, when the responses
 * were handed to HTTP/2, when each proxy process started and finished applying, and the ACKs.
 * Environment: BENCH_USERS (100000), BENCH_DELTA_BASE (10000), BENCH_PROXIES (50),
 * BENCH_PROXY_PROCS (2), BENCH_ROUNDS (30), BENCH_WARMUP (3), BENCH_GAP_MS (100), BENCH_FULL_RUNS (3),
 * BENCH_ONLY (full | delta), BENCH_CLIENT (http2 | grpc-js), BENCH_PROXY_LOADER (cjs | esm), BENCH_TRACE; BENCH_PROFILE_PROXIES=<dir> (CPU profiles of the proxy
 * processes), BENCH_TRACE_GC, BENCH_PROXY_NODE_FLAGS (node flags for them instead of the default
 * --initial-old-space-size=128, see distribution-proxies.ts; empty = none).
 */
import * as os from 'node:os';
import { MemoryLogger } from '../control-plane/distribute/logger';
import {
  DistributionServer,
  type DistributionServerOptions,
} from '../control-plane/distribute/server/distribution-server';
import {
  syntheticPlan,
  syntheticReservation,
  syntheticReservations,
} from '../control-plane/distribute/testing/synthetic-reservations';
import type { Plan } from '../control-plane/domain/plan';
import { atFullSpeed, machineProbeNs } from './machine-probe';
import {
  CLIENT_TRANSPORTS,
  cpuMs,
  epochMs,
  PROXY_LOADERS,
  PROXY_NODE_FLAGS,
  Proxies,
  sysMs,
  TOKEN,
} from './distribution-proxies';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const DELTA_BASE = Number(process.env.BENCH_DELTA_BASE ?? 10_000);
const PROXIES = Number(process.env.BENCH_PROXIES ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
/** Pause between delta rounds: the service publishes once a cycle (60 s), not back to back. */
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 100);
const TRACE = Boolean(process.env.BENCH_TRACE);
const FULL_RUNS = Number(process.env.BENCH_FULL_RUNS ?? 3);
const PROXY_PROCS = Number(process.env.BENCH_PROXY_PROCS ?? 2);

/** ACK times per revision per node, with waiters woken by the server's onAck callback (no polling). */
class AckBook {
  private readonly acks = new Map<number, Map<string, number>>();
  private waiters: (() => void)[] = [];

  record(revision: number, nodeId: string, atMs: number): void {
    let m = this.acks.get(revision);
    if (!m) this.acks.set(revision, (m = new Map()));
    m.set(nodeId, atMs);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with ACK times by node once `nodes` nodes have ACKed `revision`. */
  waitFor(revision: number, nodes: number, timeoutMs = 120_000): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`only ${this.acks.get(revision)?.size ?? 0}/${nodes} ACKs for revision ${revision}`),
          ),
        timeoutMs,
      );
      const check = () => {
        const got = this.acks.get(revision);
        if (got && got.size >= nodes) {
          clearTimeout(timer);
          resolve(got);
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

async function startServer(extra: Partial<DistributionServerOptions>) {
  const acks = new AckBook();
  const sent = new AckBook(); // when the response completing a revision was handed to HTTP/2
  const server = new DistributionServer({
    auth: { tokens: [TOKEN] },
    logger: new MemoryLogger(),
    callbacks: {
      onAck: (s, a) => {
        if (a.revision !== undefined) acks.record(a.revision, s.nodeId!, performance.now());
      },
      onResponse: (s, r) => {
        if (r.revision !== undefined) sent.record(r.revision, s.nodeId!, performance.now());
      },
    },
    ...extra,
  });
  const { port } = await server.start();
  return { server, acks, sent, address: `127.0.0.1:${port}` };
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const median = (xs: number[]) => quantile(xs, 0.5);
const fmt = (n: number, d = 1) => n.toFixed(d);

function fullPlan(salt: number, ids: 'sequential' | 'hashed' = 'sequential'): Plan {
  const o = { users: USERS, ids };
  return { ...syntheticPlan(`full-${ids}-${salt}`, o), reservations: syntheticReservations(o, salt) };
}

async function fullPlanRuns(
  proxies: Proxies,
  compression: boolean,
  ids: 'sequential' | 'hashed',
  runs: number,
) {
  const { server, acks, address } = await startServer(compression ? {} : { compression: false });
  await proxies.connect(address, ['full-proxy'], true);
  const times: number[] = [];
  const wire: number[] = [];
  const serverCpu: number[] = [];
  const proxyCpu: number[] = [];
  for (let k = 1; k <= runs; k++) {
    const plan = fullPlan(k, ids); // built before the clock starts: the allocator's work, not ours
    const before = await proxies.bytes();
    const c0 = cpuMs();
    const t0 = performance.now();
    const r = server.publishPlan(plan);
    const got = await acks.waitFor(r.revision, 1);
    times.push(got.get('full-proxy')! - t0);
    serverCpu.push(cpuMs() - c0);
    const after = await proxies.bytes();
    wire.push(after.toProxy - before.toProxy);
    proxyCpu.push(after.cpuMs - before.cpuMs);
  }
  await server.stop(100);
  return { times, wire, serverCpu, proxyCpu };
}

async function deltaRounds(procs: Proxies[], extra: Partial<DistributionServerOptions>) {
  const { server, acks, sent, address } = await startServer(extra);
  const o = { users: DELTA_BASE };
  server.publishPlan(syntheticPlan('base', o));
  const nodes = Array.from({ length: PROXIES }, (_, i) => `proxy-${String(i).padStart(2, '0')}`);
  await Promise.all(
    procs.map((p, k) =>
      p.connect(
        address,
        nodes.filter((_, i) => i % procs.length === k),
        false,
      ),
    ),
  );
  await acks.waitFor(server.cache.revision, PROXIES);
  const latencies: number[] = [];
  const sendLatencies: number[] = [];
  const perRoundMax: number[] = [];
  /** The machine probe just before and right after each round (bench/machine-probe.ts). */
  const probes: [before: number, after: number][] = [];
  let proxyCpu0 = 0;
  let procCpu0: number[] = [];
  let serverCpu0 = 0;
  let proxySys0 = 0;
  let serverSys0 = 0;
  for (let round = 1 - WARMUP; round <= ROUNDS; round++) {
    if (round === 1) {
      const b0 = await Promise.all(procs.map((p) => p.bytes()));
      proxyCpu0 = b0.reduce((n, b) => n + b.cpuMs, 0);
      procCpu0 = b0.map((b) => b.cpuMs);
      proxySys0 = b0.reduce((n, b) => n + b.sysMs, 0);
      serverCpu0 = cpuMs();
      serverSys0 = sysMs();
    }
    const salt = round + WARMUP; // warm-up rounds change users too
    const start = (salt * 1009) % DELTA_BASE;
    const upsert = Array.from({ length: 1000 }, (_, i) =>
      syntheticReservation((start + i * 7) % DELTA_BASE, o, salt),
    );
    await new Promise((r) => setTimeout(r, GAP_MS));
    if (TRACE) await Promise.all(procs.map((p) => p.spans())); // drop earlier ones
    const probeBefore = machineProbeNs(); // outside the timed window, like the rest of the gap
    const t0 = performance.now();
    const epoch0 = epochMs();
    const c0 = cpuMs();
    const r = server.publishChanges({ upsert, systemVersion: `delta-${salt}` });
    const publishCpu = cpuMs() - c0;
    const got = await acks.waitFor(r.revision, PROXIES);
    const windowCpu = cpuMs() - c0; // publish to the last ACK: the server's share of the round
    const out = await sent.waitFor(r.revision, PROXIES);
    const ls = [...got.values()].map((t) => t - t0);
    const handed = [...out.values()].map((t) => t - t0);
    if (TRACE) {
      const procsSpans = await Promise.all(procs.map((p) => p.spans()));
      const applied = procsSpans
        .map(({ spans: xs, applyCpuMs, cpuMs: all }, k) => {
          const first = Math.min(...xs.map((x) => x[0])) - epoch0;
          const last = Math.max(...xs.map((x) => x[1])) - epoch0;
          return `proxies ${k} applied ${fmt(first)}..${fmt(last)} (CPU ${fmt(applyCpuMs)} ms in apply of ${fmt(all)})`;
        })
        .join(', ');
      console.log(
        `    ${round < 1 ? 'warm-up' : `round ${round}`}: server CPU publish+encode ${fmt(publishCpu)} ms ` +
          `(to the last ACK ${fmt(windowCpu)}); ` +
          `handed to HTTP/2 ${fmt(Math.min(...handed))}..${fmt(Math.max(...handed))}; ${applied}; ` +
          `ACKs ${fmt(Math.min(...ls))}..${fmt(Math.max(...ls))} (p50 ${fmt(median(ls))}) ms`,
      );
    }
    if (round < 1) continue;
    probes.push([probeBefore, machineProbeNs()]);
    latencies.push(...ls);
    sendLatencies.push(...handed);
    perRoundMax.push(Math.max(...ls));
  }
  const serverCpu = (cpuMs() - serverCpu0) / ROUNDS;
  const serverSys = (sysMs() - serverSys0) / ROUNDS;
  const b1 = await Promise.all(procs.map((p) => p.bytes()));
  const proxyCpu = (b1.reduce((n, b) => n + b.cpuMs, 0) - proxyCpu0) / ROUNDS;
  const procCpu = b1.map((b, k) => (b.cpuMs - procCpu0[k]) / ROUNDS);
  const proxySys = (b1.reduce((n, b) => n + b.sysMs, 0) - proxySys0) / ROUNDS;
  await server.stop(100);
  return { latencies, sendLatencies, perRoundMax, serverCpu, proxyCpu, procCpu, serverSys, proxySys, probes };
}

/**
 * Diagnostic only (the budget is the p99 over every round): the rounds the machine ran at full
 * speed, by the probe before and after each (both within 15 % of the fastest probe of the run; see
 * bench/README.md "Machine phases"), and the p99 over their ACKs.
 */
function phaseLine(x: Awaited<ReturnType<typeof deltaRounds>>): void {
  const all = x.probes.flat();
  const fastest = Math.min(...all);
  const full = x.probes.map(([a, b]) => atFullSpeed(Math.max(a, b), fastest));
  const ls = x.latencies.filter((_, i) => full[Math.floor(i / PROXIES)]);
  const sorted = [...all].sort((a, b) => a - b);
  console.log(
    `  machine probe (bench/machine-probe.ts) around each round: ${fmt(fastest, 2)} ns fastest, ` +
      `${fmt(sorted[sorted.length >> 1], 2)} ns median; ${full.filter(Boolean).length} of ${full.length} rounds ran at full ` +
      `speed, p99 over their ACKs ${ls.length ? fmt(quantile(ls, 0.99)) : '-'} ms`,
  );
}

async function main(): Promise<void> {
  const load = os.loadavg().map((l) => l.toFixed(2));
  console.log(
    `distribution benchmark — ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${load.join(' ')}`,
  );
  console.log('  the machine is shared with other work: wall-clock figures are noisy; CPU times are less so');
  console.log(`  proxy processes' node flags: ${PROXY_NODE_FLAGS.join(' ') || '(none)'}`);
  const procs = Array.from(
    { length: Math.max(1, PROXY_PROCS) },
    (_, k) =>
      new Proxies(CLIENT_TRANSPORTS[k % CLIENT_TRANSPORTS.length], PROXY_LOADERS[k % PROXY_LOADERS.length]),
  );
  console.log(
    `  proxies' gRPC client by process: ${procs.map((p) => p.transport).join(', ')} (BENCH_CLIENT); ` +
      `module loader: ${procs.map((p) => p.loader).join(', ')} (BENCH_PROXY_LOADER)\n`,
  );
  try {
    let full: Awaited<ReturnType<typeof fullPlanRuns>> | undefined;
    if (process.env.BENCH_ONLY !== 'delta') {
      console.log(`full plan: ${USERS} changed reservations to 1 proxy`);
      const show = (name: string, r: Awaited<ReturnType<typeof fullPlanRuns>>, note = '') =>
        console.log(
          `  ${name}: publish→ACK ${r.times.map((t) => fmt(t, 0)).join(' / ')} ms; ` +
            `wire ${r.wire.map((b) => fmt(b / USERS)).join(' / ')} B/reservation; ` +
            `CPU server ${r.serverCpu.map((t) => fmt(t, 0)).join(' / ')} ms, proxy ${r.proxyCpu.map((t) => fmt(t, 0)).join(' / ')} ms${note}`,
        );
      full = await fullPlanRuns(procs[0], true, 'sequential', FULL_RUNS);
      show('gzip negotiated (grpc-js, Envoy google_grpc)', full);
      show('no compression (Envoy envoy_grpc)', await fullPlanRuns(procs[0], false, 'sequential', 1));
      show(
        'gzip, 32-hex user ids',
        await fullPlanRuns(procs[0], true, 'hashed', 1),
        ' (random ids do not compress)',
      );
    }
    if (process.env.BENCH_ONLY === 'full') return;
    console.log(
      `\ndelta: 1000 changed users to ${PROXIES} proxies in ${procs.length} processes (base ${DELTA_BASE} users), ${ROUNDS} rounds after ${WARMUP} warm-up rounds`,
    );
    const line = (name: string, x: Awaited<ReturnType<typeof deltaRounds>>) =>
      console.log(
        `  ${name}: publish→ACK over ${x.latencies.length} ACKs p50 ${fmt(median(x.latencies))} ms, ` +
          `p99 ${fmt(quantile(x.latencies, 0.99))} ms, max ${fmt(Math.max(...x.latencies))} ms ` +
          `(slowest ACK of a round: median ${fmt(median(x.perRoundMax))} ms); ` +
          `CPU per round server ${fmt(x.serverCpu)} ms, proxies ${fmt(x.proxyCpu)} ms ` +
          `(of which kernel ${fmt(x.serverSys)} / ${fmt(x.proxySys)} ms; by process ` +
          `${x.procCpu.map((c, k) => `${procs[k].transport} ${fmt(c)}`).join(', ')} ms); ` +
          `server side (publish→response handed to HTTP/2) p99 ${fmt(quantile(x.sendLatencies, 0.99))} ms`,
      );
    const d = await deltaRounds(procs, {});
    line('default (gzip from 256 KiB: deltas raw)', d);
    phaseLine(d);
    if (process.env.BENCH_ONLY === 'delta') return;
    line('gzip from 1 KiB', await deltaRounds(procs, { compression: { minBytes: 1024 } }));
    console.log(
      JSON.stringify({
        delta_1k_to_50_p99_ms: +fmt(quantile(d.latencies, 0.99)),
        full_100k_ms: +fmt(median(full!.times), 0),
        bytes_per_reservation: +fmt(median(full!.wire) / USERS),
      }),
    );
  } finally {
    for (const p of procs) p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
