// Host-side contexts (cpp-host include/proxy-wasm/context.h ContextBase, envoy common/wasm/context.h):
// the VM context (id 0), one root context per plugin (parent 0) and one per HTTP stream (parent =
// its root). Host calls resolve "the current context" from the VM's call stack, or the effective
// context set by proxy_set_effective_context.

import type { HeaderMap } from './header-map';
import type { Pairs } from './pairs';
import type { WasmVm } from './vm';

/** A plugin as Envoy's PluginBase knows it. */
export interface PluginSpec {
  name: string;
  rootId: string;
  vmId: string;
  configuration: Uint8Array;
  failOpen: boolean;
  /** cpp-host PluginBase::key(): root_id || configuration. */
  key: string;
  /** Envoy's log prefix " <name> <root_id> <vm_id>" tags. */
  tags: { plugin: string; rootId: string; vmId: string };
}

/** A body or message the module may read (and for HTTP bodies, write) through proxy_*_buffer_*. */
export interface HostBuffer {
  bytes: Uint8Array;
  /** Envoy Buffer::copyFrom semantics; absent = read-only (BAD_ARGUMENT). */
  set?: (start: number, length: number, data: Uint8Array) => number;
}

/** What an HTTP stream provides to host calls made in its context. */
export interface StreamHooks {
  getMap(type: number, mutable: boolean): HeaderMap | null;
  /** Envoy getMap() may create trailers on the last body chunk. */
  headersModified(type: number): void;
  getBuffer(type: number): HostBuffer | null;
  continueStream(type: number): number;
  closeStream(type: number): number;
  sendLocalResponse(
    code: number,
    body: Uint8Array,
    headers: Pairs,
    grpcStatus: number,
    details: string,
  ): number;
  clearRouteCache(): void;
  getProperty(path: string[]): Uint8Array | undefined | null;
  setProperty(path: string, value: Uint8Array): number;
  endOfStream(): boolean;
  /** In proxy_on_log: maps that are gone read as NOT_FOUND instead of BAD_ARGUMENT. */
  readonly accessLogPhase: boolean;
}

export interface GrpcHandle {
  token: number;
  /** Cancel without callbacks (proxy_grpc_cancel, context destruction). */
  cancel(): void;
  /** Half-close (stream) or cancel (call): proxy_grpc_close. */
  close(): void;
  send(message: Uint8Array, endOfStream: boolean): void;
  localClosed: boolean;
  remoteClosed: boolean;
}

export class Context {
  /** in_vm_context_created_: proxy_on_context_create has run for it. */
  declare inVmCreated: boolean;
  /** temp_plugin_: set while the plugin configuration buffer is readable. */
  declare tempPlugin: boolean;
  declare destroyed: boolean;
  declare stream: StreamHooks | null;

  // Root-context state (callbacks for gRPC and queues land on the root).
  declare private grpcCalls: Map<number, GrpcHandle> | null;
  declare grpcReceiveBuffer: Uint8Array | null;
  declare grpcInitialMetadata: HeaderMap | null;
  declare grpcTrailingMetadata: HeaderMap | null;
  declare statusCode: number;
  declare statusMessage: string;

  constructor(
    readonly vm: WasmVm,
    public id: number,
    public parentId: number,
    public plugin: PluginSpec | null,
  ) {
    this.reuse(id, parentId, plugin); // one place sets every field (no class-field initializers)
  }

  /**
   * This (deleted) stream context as a fresh one under a new id: WasmVm pools them, since one
   * per HTTP stream was ~140 bytes of garbage per request. Ids stay unique as in cpp-host; nothing
   * of the old stream survives.
   */
  reuse(id: number, parentId: number, plugin: PluginSpec | null): this {
    this.id = id;
    this.parentId = parentId;
    this.plugin = plugin;
    this.inVmCreated = false;
    this.tempPlugin = false;
    this.destroyed = false;
    this.stream = null;
    this.grpcCalls = null;
    this.grpcReceiveBuffer = null;
    this.grpcInitialMetadata = null;
    this.grpcTrailingMetadata = null;
    this.statusCode = 0;
    this.statusMessage = '';
    return this;
  }

  /** gRPC calls and streams owned by this (root) context, created on first use. */
  get grpc(): Map<number, GrpcHandle> {
    return (this.grpcCalls ??= new Map());
  }

  /** Cancel every call without callbacks (context destruction). */
  cancelGrpc(): void {
    if (this.grpcCalls === null) return;
    for (const g of this.grpcCalls.values()) g.cancel();
    this.grpcCalls.clear();
  }

  get isRoot(): boolean {
    return this.parentId === 0;
  }

  /** root_context(): self for roots and the VM context, else the parent root. */
  get root(): Context {
    if (this.parentId === 0) return this;
    return this.vm.contexts.get(this.parentId) ?? this;
  }
}
