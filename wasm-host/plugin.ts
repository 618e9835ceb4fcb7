// A configured plugin across the threads it runs on (envoy filters/http/wasm/wasm_filter.h
// FilterConfig, bootstrap/wasm WasmService; cpp-host wasm.cc getOrCreateThreadLocalPlugin):
// per thread, the thread-local VM for the code's vm_key (shared with other plugins of the same
// vm_key) and this plugin's root context in it. A per-thread plugin also has a root on the main
// thread (its ThreadLocal slot is set there too), which ticks and may call out but gets no stream.

import type { Context, PluginSpec } from './context';
import type { HttpStream, StreamMode } from './http-stream';
import * as httpStream from './http-stream';
import type { StreamInfo } from './stream-properties';
import type { WasmVm } from './vm';
const { HttpStream: HttpStreamClass } = httpStream; // read once: tsx module exports are getters

const NO_INFO: StreamInfo = {};

export interface ThreadHandle {
  vm: WasmVm | null;
  root: Context | null;
}

export class Plugin {
  private nextConnectionId = 1;
  private readonly streamOptions: { allowHeadersStop: boolean; failOpen: boolean };

  constructor(
    readonly spec: PluginSpec,
    /** Per worker (streams run there), or [main thread] for a singleton service. */
    readonly handles: ThreadHandle[],
    allowHeadersStop: boolean,
    /** A per-thread plugin's main-thread VM and root (null for a singleton: handles[0] is it). */
    readonly main: ThreadHandle | null = null,
  ) {
    this.streamOptions = { allowHeadersStop, failOpen: spec.failOpen };
  }

  get name(): string {
    return this.spec.name;
  }
  get rootId(): string {
    return this.spec.rootId;
  }
  get vmId(): string {
    return this.spec.vmId;
  }

  /** Every thread's handle: the main thread's first (it is configured first), then the workers'. */
  get threads(): ThreadHandle[] {
    return this.main === null ? this.handles : [this.main, ...this.handles];
  }

  /** The VMs it runs in: main thread, then one per worker (or only the main thread's: singleton). */
  get vms(): WasmVm[] {
    return this.threads.map((h) => h.vm).filter((v): v is WasmVm => v !== null);
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
    return this.threads.some((h) => h.vm === null || h.vm.failed);
  }

  /** FilterConfig::createFilter on a worker: a context in the VM, or fail open / fail closed. */
  newStream(worker = 0, info: StreamInfo = NO_INFO): HttpStream {
    const h = this.handles[worker];
    if (h === undefined)
      throw new Error(`plugin ${this.name}: no thread ${worker} (has ${this.handles.length})`);
    const connectionId = this.nextConnectionId++;
    const opts = this.streamOptions;
    let mode: StreamMode;
    // A thread whose plugin failed to start has no handle: Envoy skips the filter.
    if (h.vm === null || h.root === null) mode = 'fail_open';
    else if (h.vm.failed) mode = this.spec.failOpen ? 'fail_open' : 'fail_closed';
    else mode = 'filter';
    if (mode !== 'filter') return new HttpStreamClass(h.vm, null, mode, info, connectionId, opts);
    const ctx = h.vm!.newContext(h.root!.id, this.spec);
    const stream = new HttpStreamClass(h.vm, ctx, mode, info, connectionId, opts);
    ctx.stream = stream;
    return stream;
  }
}
