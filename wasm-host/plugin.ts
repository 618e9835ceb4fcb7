// A configured plugin across the threads it runs on (envoy filters/http/wasm/wasm_filter.h
// FilterConfig, bootstrap/wasm WasmService; cpp-host wasm.cc getOrCreateThreadLocalPlugin):
// per thread, the thread-local VM for the code's vm_key (shared with other plugins of the same
// vm_key) and this plugin's root context in it.

import type { Context, PluginSpec } from './context';
import { HttpStream, type StreamMode } from './http-stream';
import type { StreamInfo } from './stream-properties';
import type { WasmVm } from './vm';

export interface ThreadHandle {
  vm: WasmVm | null;
  root: Context | null;
}

export class Plugin {
  private nextConnectionId = 1;

  constructor(
    readonly spec: PluginSpec,
    readonly handles: ThreadHandle[],
    private readonly allowHeadersStop: boolean,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get rootId(): string {
    return this.spec.rootId;
  }
  get vmId(): string {
    return this.spec.vmId;
  }

  /** One VM per worker (HTTP filter, per-worker service) or [main thread VM] (singleton). */
  get vms(): WasmVm[] {
    return this.handles.map((h) => h.vm).filter((v): v is WasmVm => v !== null);
  }

  vm(worker = 0): WasmVm {
    const h = this.handles[worker];
    if (h === undefined || h.vm === null) throw new Error(`plugin ${this.name}: no VM on thread ${worker}`);
    return h.vm;
  }

  /** This plugin's root context id on a thread (0 if it has none). */
  rootContextId(worker = 0): number {
    return this.handles[worker]?.root?.id ?? 0;
  }

  get failed(): boolean {
    return this.handles.some((h) => h.vm === null || h.vm.failed);
  }

  /** FilterConfig::createFilter on a worker: a context in the VM, or fail open / fail closed. */
  newStream(worker = 0, info: StreamInfo = {}): HttpStream {
    const h = this.handles[worker];
    if (h === undefined)
      throw new Error(`plugin ${this.name}: no thread ${worker} (has ${this.handles.length})`);
    const full: StreamInfo = { connectionId: this.nextConnectionId++, ...info };
    const opts = { allowHeadersStop: this.allowHeadersStop, failOpen: this.spec.failOpen };
    let mode: StreamMode;
    // A thread whose plugin failed to start has no handle: Envoy skips the filter.
    if (h.vm === null || h.root === null) mode = 'fail_open';
    else if (h.vm.failed) mode = this.spec.failOpen ? 'fail_open' : 'fail_closed';
    else mode = 'filter';
    if (mode !== 'filter') return new HttpStream(h.vm, null, mode, full, opts);
    const ctx = h.vm!.newContext(h.root!.id, this.spec);
    const stream = new HttpStream(h.vm, ctx, mode, full, opts);
    ctx.stream = stream;
    return stream;
  }
}
