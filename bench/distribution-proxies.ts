/**
 * The emulated proxies of the distribution benchmark (bench/distribution.bench.ts): a child
 * process running reference clients that decode, validate and apply every reservation before they
 * ACK, driven by the benchmark over IPC. Their gRPC client is our node:http2 transport, as an Envoy's
 * is its own gRPC client on its own HTTP/2 codec (bench/README.md); BENCH_CLIENT=grpc-js runs them
 * on @grpc/grpc-js instead. Real proxies are other processes
 * (50 of them in one process would queue on one core), so the benchmark runs a few of these.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { ReservationClient } from '../control-plane/distribute/client/reservation-client';

export const TOKEN = 'bench-token';
/**
 * Node flags of the proxy processes. They stand in for Envoys, which have no GC; 25 emulated
 * proxies per process receive ~9 MB of grpc-js/HTTP/2 message buffers per delta round while their
 * JS heap stays at ~15 MB, and V8 then ran a full mark-compact in about every other process-round
 * (its old-generation limit, computed from that small heap, left less slack than the young
 * generation's size). A 128 MB initial old space keeps V8 from doing so (measured: 33-35 -> 9-10
 * mark-compacts over 30 rounds of 2 processes, proxies' CPU per round -15%). The proxies' work is
 * unchanged; BENCH_PROXY_NODE_FLAGS replaces these (empty: none).
 */
export const PROXY_NODE_FLAGS = (process.env.BENCH_PROXY_NODE_FLAGS ?? '--initial-old-space-size=128')
  .split(' ')
  .filter(Boolean);
const TRACE = Boolean(process.env.BENCH_TRACE);
export type ClientTransport = 'grpc-js' | 'http2';
/**
 * The proxies' gRPC client per process, round-robin: BENCH_CLIENT=grpc-js,http2 runs one of each
 * against the same server and deltas (a paired A/B of the two clients' CPU per round).
 */
export const CLIENT_TRANSPORTS: ClientTransport[] = (process.env.BENCH_CLIENT || 'http2')
  .split(',')
  .map((t) => {
    if (t !== 'grpc-js' && t !== 'http2')
      throw new Error(`BENCH_CLIENT: unknown client ${t} (grpc-js | http2)`);
    return t;
  });

export type ProxyLoader = 'cjs' | 'esm';
/**
 * How a proxy process loads its TypeScript, round-robin per process like BENCH_CLIENT:
 * BENCH_PROXY_LOADER=cjs (default) compiles it through tsx's CommonJS require hook on the main
 * thread, as the compiled CommonJS of a deployment would run (tsconfig "module": "commonjs");
 * esm is `--import tsx`, which adds tsx's ESM loader on a worker thread (its own V8 isolate and
 * GCs) to every proxy process. Measured, one process of each against the same server and deltas
 * (bench/README.md): the proxies' CPU per round is ~10 % lower with cjs, apply included. An Envoy
 * has neither; the loader is harness, not the client's work.
 */
export const PROXY_LOADERS: ProxyLoader[] = (process.env.BENCH_PROXY_LOADER || 'cjs').split(',').map((l) => {
  if (l !== 'cjs' && l !== 'esm') throw new Error(`BENCH_PROXY_LOADER: unknown loader ${l} (cjs | esm)`);
  return l;
});

type ToChild =
  | { kind: 'connect'; address: string; nodes: string[]; relay: boolean; transport: ClientTransport }
  | { kind: 'bytes' }
  | { kind: 'spans' }
  | { kind: 'stop' };
/** cpuMs: CPU time the proxy process has used so far (user + system), robust to other tenants. */
type FromChild =
  | { kind: 'connected' }
  | { kind: 'bytes'; toProxy: number; toServer: number; cpuMs: number; sysMs: number }
  | { kind: 'spans'; spans: Span[]; applyCpuMs: number; cpuMs: number };
/** When one proxy started and finished applying a response (epoch ms, comparable across processes). */
export type Span = [start: number, end: number];
export const epochMs = () => performance.timeOrigin + performance.now();
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** The kernel's part of cpuMs (socket copies, TCP, page faults). */
export const sysMs = () => process.cpuUsage().system / 1000;

// ---------------------------------------------------------------- child: the proxies
function runChild(): void {
  let clients: ReservationClient[] = [];
  let spans: Span[] = [];
  /** CPU ms spent inside apply (decode, validate, store) since the last 'spans' request. */
  let applyCpu = 0;
  let cpuAtSpans = cpuMs();
  const counted = { toProxy: 0, toServer: 0 };
  const send = (m: FromChild) => process.send!(m);
  /** A loopback relay that counts every byte each way: what the proxy's socket carries. */
  function relay(target: string): Promise<string> {
    const [host, port] = target.split(':');
    const server = net.createServer((downstream) => {
      const upstream = net.connect(Number(port), host);
      upstream.on('data', (b) => (counted.toProxy += b.length));
      downstream.on('data', (b) => (counted.toServer += b.length));
      downstream.pipe(upstream).pipe(downstream);
      const close = () => (downstream.destroy(), upstream.destroy());
      upstream.on('error', close);
      downstream.on('error', close);
    });
    return new Promise((r) =>
      server.listen(0, '127.0.0.1', () => r(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)),
    );
  }
  process.on('message', async (m: ToChild) => {
    if (m.kind === 'connect') {
      for (const c of clients) c.stop();
      const address = m.relay ? await relay(m.address) : m.address;
      clients = m.nodes.map((id) =>
        new ReservationClient({ address, nodeId: id, token: TOKEN, transport: m.transport }).start(),
      );
      if (TRACE) {
        for (const c of clients) {
          const apply = c.state.apply.bind(c.state);
          c.state.apply = (bytes, now) => {
            const t = epochMs();
            const c0 = cpuMs();
            const r = apply(bytes, now);
            applyCpu += cpuMs() - c0;
            spans.push([t, epochMs()]);
            return r;
          };
        }
      }
      await Promise.all(clients.map((c) => c.waitFor(() => c.stats.responses > 0, 60_000)));
      send({ kind: 'connected' });
    } else if (m.kind === 'bytes') send({ kind: 'bytes', ...counted, cpuMs: cpuMs(), sysMs: sysMs() });
    else if (m.kind === 'spans') {
      const now = cpuMs();
      send({ kind: 'spans', spans, applyCpuMs: applyCpu, cpuMs: now - cpuAtSpans });
      spans = [];
      applyCpu = 0;
      cpuAtSpans = now;
    } else {
      for (const c of clients) c.stop();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- parent side
export class Proxies {
  private readonly child: ChildProcess;
  private waiting: ((m: FromChild) => void)[] = [];
  constructor(
    readonly transport: ClientTransport,
    readonly loader: ProxyLoader = 'cjs',
  ) {
    const prof = process.env.BENCH_TRACE_GC
      ? ['--trace-gc']
      : process.env.BENCH_PROFILE_PROXIES
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_PROXIES}`]
        : [];
    this.child = fork(__filename, ['--proxies'], {
      execArgv: [
        ...(loader === 'cjs' ? ['--require', 'tsx/cjs'] : ['--import', 'tsx']),
        ...PROXY_NODE_FLAGS,
        ...prof,
      ],
      stdio: 'inherit',
    });
    this.child.on('message', (m: FromChild) => this.waiting.shift()?.(m));
  }
  private ask(m: ToChild): Promise<FromChild> {
    return new Promise((r) => {
      this.waiting.push(r);
      this.child.send(m);
    });
  }
  async connect(address: string, nodes: string[], relay: boolean): Promise<void> {
    await this.ask({ kind: 'connect', address, nodes, relay, transport: this.transport });
  }
  async bytes(): Promise<{ toProxy: number; toServer: number; cpuMs: number; sysMs: number }> {
    return (await this.ask({ kind: 'bytes' })) as {
      toProxy: number;
      toServer: number;
      cpuMs: number;
      sysMs: number;
    };
  }
  /** Apply spans since the last call, and the CPU the process spent meanwhile (in apply, in all). */
  async spans(): Promise<{ spans: Span[]; applyCpuMs: number; cpuMs: number }> {
    return (await this.ask({ kind: 'spans' })) as { spans: Span[]; applyCpuMs: number; cpuMs: number };
  }
  stop(): void {
    this.child.send({ kind: 'stop' });
  }
}

if (process.argv.includes('--proxies')) runChild();
