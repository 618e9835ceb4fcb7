// An emulated Envoy process: a main thread and N workers, one clock, one log, and the process-wide
// stores every VM shares (shared data, shared queues, stats), plus the gRPC bridge.
// Loading follows cpp-host wasm.cc createWasm + canary and Envoy's per-thread cloning: one base VM
// per vm_key, a throwaway canary VM that must start and configure (else the configuration is
// rejected), then a thread-local VM per thread, each with the plugin's root context started and
// configured. A per-thread plugin (HTTP filter, non-singleton service) gets that on the main thread
// too: Envoy hands it out through a ThreadLocal slot, and SlotImpl::set (common/thread_local/
// thread_local_impl.cc) posts to every worker and then runs inline on the main thread.

import { createHash } from 'node:crypto';
import { LogLevel, LogLevelName } from './abi';
import { HostClock } from './clock';
import { compile, CompiledCode, WasmLoadError, type WasmSource } from './code';
import type { Context, PluginSpec } from './context';
import { GrpcBridge } from './grpc-bridge';
import { LogSink, type LogEntry } from './logs';
import { toBytes } from './memory';
import { Metrics } from './metrics';
import { Plugin, type ThreadHandle } from './plugin';
import type { ProcessCore } from './process-core';
import * as cb from './root-callbacks';
import { SharedData } from './shared-data';
import { SharedQueues } from './shared-queue';
import { HostThread } from './thread';
import { WasmVm } from './vm';

export interface ProcessOptions {
  /** Worker threads (envoy --concurrency). Default 1. */
  concurrency?: number;
  clock?: 'virtual' | 'real';
  /** Virtual clock start, epoch ms. */
  startTime?: number;
  logLevel?: LogLevelName;
  node?: { id?: string; cluster?: string };
  /** gRPC cluster name → "host:port". */
  clusters?: Record<string, string>;
  countHostCalls?: boolean;
  logToConsole?: boolean;
  maxLogs?: number;
  /** Run Envoy's configuration canary VM before the real ones (default true). */
  canary?: boolean;
}

export interface PluginConfig {
  name: string;
  rootId?: string;
  vmId?: string;
  wasm: WasmSource;
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  failOpen?: boolean;
  environmentVariables?: Record<string, string>;
  /** PluginConfig.allow_on_headers_stop_iteration (default false: StopIteration stops all). */
  allowOnHeadersStopIteration?: boolean;
}

export interface ConfigCheck {
  ok: boolean;
  error?: string;
  logs: LogEntry[];
}

export class EnvoyProcess implements ProcessCore {
  readonly clock: HostClock;
  readonly logSink: LogSink;
  readonly metrics = new Metrics();
  readonly sharedData = new SharedData();
  readonly sharedQueues = new SharedQueues();
  readonly countHostCalls: boolean;
  readonly node: { id: string; cluster: string };
  readonly grpc: GrpcBridge;
  readonly mainThread: HostThread;
  readonly workers: HostThread[];
  readonly plugins: Plugin[] = [];
  private readonly bases = new Map<string, WasmVm>();
  private readonly pendingDone = new Set<Context>();
  private readonly canary: boolean;
  private posted = false;
  private draining = false;
  private immediate = false;
  private closed = false;

  constructor(options: ProcessOptions = {}) {
    this.clock = new HostClock(options.clock ?? 'virtual', options.startTime);
    this.logSink = new LogSink(
      options.logLevel ?? 'info',
      options.maxLogs ?? 10_000,
      () => this.clock.now(),
      options.logToConsole ?? false,
    );
    this.countHostCalls = options.countHostCalls ?? false;
    this.node = { id: options.node?.id ?? 'earmark-node', cluster: options.node?.cluster ?? 'earmark' };
    this.canary = options.canary ?? true;
    const onPost = (): void => this.onPost();
    const onError = (thread: string, e: unknown): void =>
      this.logSink.write(
        LogLevel.error,
        'envoy',
        thread,
        `posted task failed: ${(e as Error)?.stack ?? String(e)}`,
      );
    this.mainThread = new HostThread('main_thread', onPost, onError);
    const n = options.concurrency ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new Error(`concurrency must be a positive integer, got ${n}`);
    this.workers = Array.from({ length: n }, (_, i) => new HostThread(`worker_${i}`, onPost, onError));
    this.grpc = new GrpcBridge(options.clusters ?? {}, (root, task) => root.vm.thread.post(task));
  }

  get concurrency(): number {
    return this.workers.length;
  }
  get logs(): LogEntry[] {
    return this.logSink.entries;
  }
  clearLogs(): void {
    this.logSink.entries.length = 0;
  }
  get logLevel(): LogLevelName {
    return this.logSink.levelName;
  }
  set logLevel(level: LogLevelName) {
    if (!(level in LogLevel)) throw new Error(`unknown log level ${level}`);
    this.logSink.level = LogLevel[level];
  }

  addCluster(name: string, address: string): void {
    this.grpc.addCluster(name, address);
  }

  /**
   * envoy.filters.http.wasm: a VM and root per worker, plus one on the main thread that never gets
   * a stream (PluginConfig's ThreadLocal slot). Throws WasmLoadError where Envoy rejects the config.
   */
  addHttpFilter(config: PluginConfig): Plugin {
    return this.load(config, true);
  }

  /** envoy.bootstrap.wasm: singleton → one root on the main thread; else as an HTTP filter. */
  addWasmService(config: PluginConfig & { singleton?: boolean }): Plugin {
    return this.load(config, config.singleton !== true);
  }

  /** Only what Envoy checks when it accepts a configuration: load, then the canary's start + configure. */
  checkConfiguration(config: PluginConfig): ConfigCheck {
    const from = this.logSink.entries.length;
    try {
      const code = this.compile(config);
      this.base(code);
      this.runCanary(code, this.spec(config));
      return { ok: true, logs: this.logSink.entries.slice(from) };
    } catch (e) {
      return { ok: false, error: (e as Error).message, logs: this.logSink.entries.slice(from) };
    }
  }

  private compile(config: PluginConfig): CompiledCode {
    if (this.closed) throw new Error('process closed');
    const envs = Object.entries(config.environmentVariables ?? {});
    return compile(config.wasm, config.vmId ?? '', toBytes(config.vmConfiguration), envs);
  }

  private spec(config: PluginConfig): PluginSpec {
    const rootId = config.rootId ?? '';
    const configuration = toBytes(config.configuration);
    const key = createHash('sha256')
      .update(rootId)
      .update('||')
      .update(configuration)
      .update('||')
      .update(config.name)
      .digest('hex');
    const vmId = config.vmId ?? '';
    return {
      name: config.name,
      rootId,
      vmId,
      configuration,
      failOpen: config.failOpen ?? false,
      key,
      tags: { plugin: config.name, rootId, vmId },
    };
  }

  private base(code: CompiledCode): WasmVm {
    let base = this.bases.get(code.vmKey);
    if (base === undefined) {
      base = new WasmVm(this, this.mainThread, code);
      if (!base.initialize()) throw new WasmLoadError(`Unable to create Wasm: ${base.failMessage}`);
      this.bases.set(code.vmKey, base);
    }
    return base;
  }

  private runCanary(code: CompiledCode, spec: PluginSpec): void {
    if (!this.canary) return;
    const vm = new WasmVm(this, this.mainThread, code);
    try {
      if (!vm.initialize()) throw new WasmLoadError(`Failed to initialize Wasm code: ${vm.failMessage}`);
      const root = cb.startRoot(vm, spec);
      if (root === null)
        throw new WasmLoadError(`Failed to start base Wasm${vm.failMessage ? `: ${vm.failMessage}` : ''}`);
      if (!cb.configureRoot(vm, root, spec)) {
        throw new WasmLoadError(
          `Failed to configure base Wasm plugin${vm.failMessage ? `: ${vm.failMessage}` : ''}`,
        );
      }
    } finally {
      vm.kill(); // configuration_canary_handle->kill(): gone without on_done
    }
  }

  /** perThread: every worker plus the main thread (ThreadLocal slot); else the main thread only. */
  private load(config: PluginConfig, perThread: boolean): Plugin {
    const code = this.compile(config);
    const spec = this.spec(config);
    const base = this.base(code);
    this.runCanary(code, spec);
    // SlotImpl::set runs the main thread's callback inline, before any worker runs its posted one.
    const main = this.startOn(this.mainThread, code, spec, base);
    const handles = perThread ? this.workers.map((t) => this.startOn(t, code, spec, base)) : [main];
    const plugin = new Plugin(
      spec,
      handles,
      config.allowOnHeadersStopIteration ?? false,
      perThread ? main : null,
    );
    this.plugins.push(plugin);
    this.afterDriverCall();
    return plugin;
  }

  /** cpp-host getOrCreateThreadLocalPlugin: the thread's VM for the vm_key (made if needed), a root. */
  private startOn(thread: HostThread, code: CompiledCode, spec: PluginSpec, base: WasmVm): ThreadHandle {
    let vm = thread.vms.get(code.vmKey);
    if (vm === undefined || vm.failed) {
      vm = new WasmVm(this, thread, code);
      if (!vm.initialize()) {
        base.error(`Failed to initialize Wasm code on ${thread.name}`);
        return { vm, root: null };
      }
      thread.vms.set(code.vmKey, vm);
    }
    const root = cb.startRoot(vm, spec);
    if (root === null || !cb.configureRoot(vm, root, spec)) {
      base.error(`Failed to start or configure thread-local Wasm plugin on ${thread.name}`);
      return { vm, root: null };
    }
    return { vm, root };
  }

  // ---- time and posted tasks ----

  advance(ms: number): number {
    const fired = this.clock.advance(ms, () => this.drain());
    this.drain();
    return fired;
  }

  private onPost(): void {
    this.posted = true;
    if (!this.draining && !this.immediate) {
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        this.drain();
      });
    }
  }

  /** Run every posted task (and the tasks they post) on every thread. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let round = 0; this.posted && round < 10_000; round++) {
        this.posted = false;
        this.mainThread.runTasks();
        for (const w of this.workers) w.runTasks();
      }
    } finally {
      this.draining = false;
    }
  }

  afterDriverCall(): void {
    if (this.posted && !this.draining) this.drain();
  }

  /** Wait (real time) until pred() holds, running posted tasks meanwhile; for async gRPC events. */
  async waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      this.drain();
      if (pred()) return;
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  // ---- ProcessCore ----

  notifyQueue(thread: HostThread, vmKey: string, contextId: number, token: number): void {
    const vm = thread.vms.get(vmKey);
    const ctx = vm?.contexts.get(contextId);
    if (vm !== undefined && ctx !== undefined && vm.alive) cb.queueReady(vm, ctx, token);
  }

  /** Wasm::setTimerPeriod / tickHandler: re-armed after each tick; 0 disarms. */
  setTickPeriod(root: Context, periodMs: number): void {
    const vm = root.vm;
    const old = vm.timers.get(root.id);
    if (old !== undefined) old.cancel();
    vm.timers.delete(root.id);
    if (periodMs === 0) return;
    const arm = (): void => {
      const handle = this.clock.schedule(periodMs, () => {
        if (!vm.alive || vm.timers.get(root.id) !== entry) return;
        const ctx = vm.contexts.get(root.id);
        if (ctx !== undefined) cb.tick(vm, ctx);
        if (vm.timers.get(root.id) === entry) arm();
        this.afterDriverCall();
      });
      entry.cancel = () => handle.cancel();
    };
    const entry = { period: periodMs, cancel: () => undefined as void };
    vm.timers.set(root.id, entry);
    arm();
  }

  rootDone(vm: WasmVm, ctx: Context): number {
    return cb.rootDone(vm, ctx, this.pendingDone);
  }

  /** Shut down like Envoy on exit: every root gets on_done (and on_delete), gRPC and timers stop. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const p of this.plugins) {
      for (const h of p.threads)
        if (h.vm !== null && h.root !== null && h.vm.alive) cb.shutdownRoot(h.vm, h.root, this.pendingDone);
    }
    this.drain();
    this.closed = true;
    for (const t of [this.mainThread, ...this.workers]) for (const vm of t.vms.values()) vm.kill();
    for (const b of this.bases.values()) b.kill();
    this.grpc.close();
    this.clock.close();
  }
}
