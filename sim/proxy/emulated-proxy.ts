/**
 * One emulated Envoy: an EnvoyProcess (wasm-host) with the filter root on N worker VMs and the sync
 * root as a singleton service, both from the real build/earmark.wasm and one configuration document,
 * the sync root dialling the control plane over real gRPC with a bearer token from its environment.
 * Its clock is virtual and moves only through advanceTo(), so it follows whatever clock drives it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  compileModule,
  EnvoyProcess,
  startAdmin,
  type AdminServer,
  type LogLevelName,
  type Plugin,
} from '../../wasm-host';
import {
  configHeaders,
  CONTROL_PLANE_CLUSTER,
  ENVOY_YAML_CONFIG,
  FILTER_ROOT,
  mergeConfig,
  SYNC_ROOT,
  TOKEN_ENV,
  VM_ID,
  type PluginConfig,
} from './plugin-config';
import { ProxyRequest } from './proxy-request';
import { decodeMeta, decodeReservation, type PlanMeta, type SharedReservation } from './shared-records';

export const DEFAULT_WASM = path.resolve(__dirname, '../../build/earmark.wasm');

/** Compiles the filter once for many proxies (build it first: npm run build:plugin). */
export function loadFilterModule(file = DEFAULT_WASM): WebAssembly.Module {
  if (!fs.existsSync(file))
    throw new Error(`${file} not found: build the filter first (npm run build:plugin)`);
  return compileModule(new Uint8Array(fs.readFileSync(file)));
}

export interface EmulatedProxyOptions {
  nodeId: string;
  /** Worker threads (envoy --concurrency). Default 2. */
  workers?: number;
  /** host:port of the control plane's gRPC distribution server. */
  controlPlane: string;
  /** Bearer token for the control plane, passed as EARMARK_GRPC_TOKEN (token_env), as in envoy.yaml. */
  token?: string;
  /** Fields merged over envoy.yaml's configuration. */
  config?: PluginConfig;
  wasm?: WebAssembly.Module;
  /** The virtual clock's start, epoch ms (the driving clock's now). */
  startTime: number;
  logLevel?: LogLevelName;
  /** Run the singleton sync root (default true); false = the filter only, plan planted by hand. */
  sync?: boolean;
}

export interface RequestOptions {
  worker?: number;
  method?: string;
  path?: string;
  authority?: string;
  /** More request headers (the identity header is set from `user`). */
  headers?: Record<string, string>;
  /** Request body size in bytes (sent after the headers when > 0). */
  bytesIn?: number;
}

export class EmulatedProxy {
  readonly envoy: EnvoyProcess;
  readonly filter: Plugin;
  readonly sync: Plugin | undefined;
  readonly config: PluginConfig;
  private readonly headers: ReturnType<typeof configHeaders>;
  private readonly prefix: string;
  private readonly pending = new Set<ProxyRequest>();
  private nextWorker = 0;
  private admin: AdminServer | undefined;

  constructor(
    readonly index: number,
    readonly o: EmulatedProxyOptions,
  ) {
    this.config = mergeConfig(ENVOY_YAML_CONFIG, o.config);
    this.headers = configHeaders(this.config);
    this.prefix = (this.config.key_prefix as string | undefined) ?? 'earmark/';
    this.envoy = new EnvoyProcess({
      concurrency: o.workers ?? 2,
      clock: 'virtual',
      startTime: o.startTime,
      logLevel: o.logLevel ?? 'warn',
      node: { id: o.nodeId, cluster: 'earmark-edge' },
      clusters: { [CONTROL_PLANE_CLUSTER]: o.controlPlane },
    });
    const common = {
      vmId: VM_ID,
      wasm: o.wasm ?? loadFilterModule(),
      configuration: JSON.stringify(this.config),
      environmentVariables: (o.token ? { [TOKEN_ENV]: o.token } : {}) as Record<string, string>,
    };
    const logged = this.envoy.logSink.entries.length;
    try {
      this.sync =
        o.sync === false
          ? undefined
          : this.envoy.addWasmService({
              name: 'earmark-sync',
              rootId: SYNC_ROOT,
              singleton: true,
              ...common,
            });
      // fail_open: false as in envoy.yaml: a filter VM that cannot load answers 503.
      this.filter = this.envoy.addHttpFilter({
        name: 'earmark',
        rootId: FILTER_ROOT,
        failOpen: false,
        ...common,
      });
    } catch (err) {
      // Envoy's own message is generic; the filter's log lines say which field is wrong and why.
      const said = this.envoy.logSink.entries
        .slice(logged)
        .filter((l) => /warn|error|critical/.test(l.level))
        .map((l) => l.message);
      void this.envoy.close();
      throw new Error(
        `emulated proxy ${o.nodeId}: ${said.length ? said.join(' | ') : 'the filter refused its configuration'} ` +
          `(Envoy: ${(err as Error).message})`,
        { cause: err },
      );
    }
  }

  get nodeId(): string {
    return this.o.nodeId;
  }
  get workers(): number {
    return this.envoy.concurrency;
  }
  now(): number {
    return this.envoy.clock.now();
  }

  /** Sends a request for `user` (workers round-robin unless given) and reads the filter's decision. */
  send(user: string, o: RequestOptions = {}): ProxyRequest {
    const worker = o.worker ?? this.nextWorker++ % this.workers;
    const s = this.filter.newStream(worker);
    const body = o.bytesIn ?? 0;
    const req = new ProxyRequest(user, this.index, worker, this.now(), s, this.headers);
    s.sendRequestHeaders(
      {
        ':method': o.method ?? 'GET',
        ':path': o.path ?? '/',
        ':authority': o.authority ?? 'companion',
        ...o.headers,
        [this.headers.identity]: user,
      },
      body === 0,
    );
    if (body > 0) s.sendRequestBody(new Uint8Array(body), true);
    if (!req.observe(this.now())) this.pending.add(req);
    return req;
  }

  /** Moves the proxy's virtual clock to `ms` (never back), firing ticks; returns requests that settled. */
  advanceTo(ms: number): ProxyRequest[] {
    const d = ms - this.now();
    if (d > 0) this.envoy.advance(d);
    else this.envoy.drain();
    return this.settle();
  }

  /** Queued requests the filter has decided since the last look. */
  settle(): ProxyRequest[] {
    const done: ProxyRequest[] = [];
    if (this.pending.size === 0) return done;
    const now = this.now();
    for (const r of this.pending) {
      if (r.finished || r.observe(now)) {
        this.pending.delete(r);
        if (r.settled) done.push(r);
      }
    }
    return done;
  }

  get queued(): number {
    return this.pending.size;
  }

  planMeta(): PlanMeta | undefined {
    const e = this.envoy.sharedData.get(VM_ID, this.prefix + 'meta');
    return e && decodeMeta(e.value);
  }

  /** The plan version the proxy applied (system_version_info), if any. */
  planVersion(): string | undefined {
    return this.planMeta()?.version || undefined;
  }

  /** The user's reservation as the proxy holds it in shared data. */
  reservation(user: string): SharedReservation | undefined {
    const e = this.envoy.sharedData.get(VM_ID, `${this.prefix}r/${user}`);
    return e && decodeReservation(e.value);
  }

  /** The filter's and sync root's metrics (counters and gauges by name; histograms: their sum). */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.envoy.metrics.all()) out[m.name] = m.value;
    return out;
  }

  /**
   * Serves this proxy's `/stats/prometheus` and `/ready` on a free loopback port, as envoy.yaml's
   * :9902 listener does for a real Envoy (a scraper and the alert rules see the same names).
   */
  async startAdmin(): Promise<string> {
    this.admin ??= await startAdmin(this.envoy.metrics);
    return this.admin.url;
  }

  async close(): Promise<void> {
    for (const r of this.pending) r.finish();
    this.pending.clear();
    await this.admin?.close();
    await this.envoy.close();
  }
}
