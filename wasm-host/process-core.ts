// What a VM needs from its process: clock, log, stores, the gRPC bridge and node identity.

import type { HostClock } from './clock';
import type { Context } from './context';
import type { LogSink } from './logs';
import type { Metrics } from './metrics';
import type { SharedData } from './shared-data';
import type { SharedQueues } from './shared-queue';
import type { HostThread } from './thread';

export interface GrpcTarget {
  /** envoy_grpc.cluster_name or google_grpc.target_uri */
  cluster?: string;
  targetUri?: string;
  /** GrpcService.initial_metadata */
  metadata: Array<[string, string]>;
  timeoutMs?: number;
}

export interface GrpcStartRequest {
  kind: 'call' | 'stream';
  token: number;
  target: GrpcTarget;
  service: string;
  method: string;
  /** Initial metadata from the module (latin1 pairs). */
  metadata: Array<[string, string]>;
  /** Unary request bytes (null for streams). */
  request: Uint8Array | null;
  timeoutMs: number;
}

export interface GrpcStarter {
  /** Start a unary call or a stream on behalf of a root context; returns a WasmResult. */
  start(root: Context, req: GrpcStartRequest): number;
  hasCluster(name: string): boolean;
}

export interface ProcessCore {
  readonly clock: HostClock;
  readonly logSink: LogSink;
  readonly metrics: Metrics;
  readonly sharedData: SharedData;
  readonly sharedQueues: SharedQueues;
  readonly countHostCalls: boolean;
  readonly node: { id: string; cluster: string };
  readonly grpc: GrpcStarter;
  /** Deliver on_queue_ready on `thread` to the VM with vmKey, context contextId (posted task). */
  notifyQueue(thread: HostThread, vmKey: string, contextId: number, token: number): void;
  /** Run posted tasks if any were posted (end of every driver call). */
  afterDriverCall(): void;
  /** proxy_done from a root context: WasmBase::done. */
  rootDone(vm: import('./vm').WasmVm, ctx: Context): number;
  /** Arm/disarm a root context's tick timer on its VM's thread. */
  setTickPeriod(ctx: Context, periodMs: number): void;
}
