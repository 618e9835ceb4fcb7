/**
 * A fleet of emulated Envoy proxies following one clock (the control plane's: a SimClock for tests
 * and replays, paced for the demo). Requests go to a proxy chosen by a stable hash of the user id
 * (as an affinity load balancer in front of the edge would), then round-robin over its workers.
 */
import type { Clock, TimerHandle } from '../../control-plane/domain/clock';
import type { LogLevelName } from '../../wasm-host';
import { EmulatedProxy, loadFilterModule, type RequestOptions } from './emulated-proxy';
import type { PluginConfig } from './plugin-config';
import type { ProxyRequest } from './proxy-request';
import type { SharedReservation } from './shared-records';

export interface ProxyFleetOptions {
  /** The driving clock; proxies start at its now() and follow it. */
  clock: Clock;
  /** host:port of the control plane's gRPC distribution server. */
  controlPlane: string;
  token?: string;
  /** Default 1. */
  proxies?: number;
  /** Workers per proxy. Default 2. */
  workers?: number;
  /** Node ids are `${nodePrefix}-1`, `-2`, ... Default "edge". */
  nodePrefix?: string;
  /** Fields merged over envoy.yaml's plugin configuration (e.g. { sync: { report_interval_ms: 1000 } }). */
  config?: PluginConfig;
  /** Path of the filter (default build/earmark.wasm). */
  wasmFile?: string;
  logLevel?: LogLevelName;
  /**
   * Follow the clock with a timer every this many ms (default 100, the filter's tick); 0 = only
   * when advanceTo() is called (a driver that advances the fleet itself).
   */
  followMs?: number;
  /** Which proxy serves a user (default: a stable hash of the id). */
  route?: (user: string, proxies: number) => number;
}

/** FNV-1a: the same user always lands on the same proxy, run after run. */
export function hashRoute(user: string, proxies: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), 0x01000193);
  return (h >>> 0) % proxies;
}

export class ProxyFleet {
  readonly proxies: EmulatedProxy[];
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly route: (user: string, proxies: number) => number;
  /** Called with every request that settles after waiting in a filter's queue. */
  onSettled: ((r: ProxyRequest) => void) | undefined;

  constructor(private readonly o: ProxyFleetOptions) {
    const n = o.proxies ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new Error(`proxies must be a positive integer, got ${n}`);
    const wasm = loadFilterModule(o.wasmFile);
    const startTime = o.clock.now();
    this.proxies = Array.from(
      { length: n },
      (_, i) =>
        new EmulatedProxy(i, {
          nodeId: `${o.nodePrefix ?? 'edge'}-${i + 1}`,
          workers: o.workers ?? 2,
          controlPlane: o.controlPlane,
          token: o.token,
          config: o.config,
          wasm,
          startTime,
          logLevel: o.logLevel,
        }),
    );
    this.route = o.route ?? hashRoute;
    if ((o.followMs ?? 100) > 0) this.follow(o.followMs ?? 100);
  }

  private follow(everyMs: number): void {
    this.timer = this.o.clock.setTimer(everyMs, () => {
      if (this.closed) return;
      this.advanceTo(this.o.clock.now());
      this.follow(everyMs);
    });
  }

  proxyOf(user: string): number {
    return this.route(user, this.proxies.length);
  }

  /** Sends a request for `user` to its proxy (or `proxy`) and returns it with the filter's decision. */
  send(user: string, o: RequestOptions & { proxy?: number } = {}): ProxyRequest {
    return this.proxies[o.proxy ?? this.proxyOf(user)].send(user, o);
  }

  /** Moves every proxy's clock to `ms` (never back); returns the queued requests that settled. */
  advanceTo(ms: number): ProxyRequest[] {
    const settled: ProxyRequest[] = [];
    for (const p of this.proxies) settled.push(...p.advanceTo(ms));
    if (this.onSettled) for (const r of settled) this.onSettled(r);
    return settled;
  }

  now(): number {
    return this.proxies[0].now();
  }

  planVersions(): (string | undefined)[] {
    return this.proxies.map((p) => p.planVersion());
  }

  /** The user's reservation as its proxy (or `proxy`) holds it in shared data. */
  reservation(user: string, proxy = this.proxyOf(user)): SharedReservation | undefined {
    return this.proxies[proxy].reservation(user);
  }

  /** Metrics summed over the proxies. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.proxies)
      for (const [k, v] of Object.entries(p.metrics())) out[k] = (out[k] ?? 0) + v;
    return out;
  }

  /**
   * Waits in real time (gRPC is real I/O) until `pred` holds, without moving the clock. For tests
   * and drivers that must see the control plane's answer before going on.
   */
  async waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`emulated fleet: timed out after ${timeoutMs} ms waiting for ${what}`);
      for (const p of this.proxies) p.envoy.drain();
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Waits until every proxy has applied plan `version` (exactly, or a top-up of it: "<version>+t<n>"). */
  waitForPlan(version: string, timeoutMs?: number): Promise<void> {
    const has = (v: string | undefined) => v === version || !!v?.startsWith(version + '+');
    return this.waitFor(() => this.planVersions().every(has), `plan ${version} on every proxy`, timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}
