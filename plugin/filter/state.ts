// Everything a filter root owns for its streams, built from a validated configuration.
// What the request path touches on every request is unmanaged (plain memory: streams, counters,
// usage, admission, plan view, the `hot` settings below), so the hot functions run without GC
// shadow-stack frames; the managed parts (configuration, queue, local replies) serve the rarer
// paths and keep alive the buffers the unmanaged parts point into.
import { Config, FailMode } from '../config/config';
import { Blob } from '../lib/bytes';
import { Keys, UserKeys } from '../plan/keys';
import { Admission } from './admission';
import { LocalReplies } from './local_reply';
import { FilterMetrics } from './metrics';
import { PlanView } from './plan_view';
import { WaitQueue } from './queue';
import { StreamPool } from './stream';
import { UsageTable } from './usage';

/** The settings the request path reads, as plain values; byte strings point into the Config. */
@unmanaged
export class HotSettings {
  identityHeaderPtr: usize = 0;
  identityHeaderLen: usize = 0;
  identityPropertyPtr: usize = 0;
  identityPropertyLen: usize = 0;
  maxUserIdBytes: usize = 0;
  routingHeaderPtr: usize = 0;
  routingHeaderLen: usize = 0;
  /** 0 when no decision header is configured. */
  decisionHeaderPtr: usize = 0;
  decisionHeaderLen: usize = 0;
  failClosed: bool = false;
  /** Decision header values ("admitted", ...), from the filter state's Blobs. */
  admittedPtr: usize = 0;
  admittedLen: usize = 0;
  unreservedPtr: usize = 0;
  unreservedLen: usize = 0;
  redirectedPtr: usize = 0;
  redirectedLen: usize = 0;
  failOpenPtr: usize = 0;
  failOpenLen: usize = 0;
}

export class FilterState {
  readonly rootContextId: u32;
  readonly config: Config;
  readonly keys: Keys;
  readonly userKeys: UserKeys;
  readonly hot: HotSettings = new HotSettings();
  /** Carried over when the root is reconfigured in place (streams in flight keep their slot). */
  pool: StreamPool = new StreamPool();
  readonly queue: WaitQueue;
  readonly usage: UsageTable;
  usageQueueToken: i64 = -1;
  /** The queue's consumer stopped stamping (plan/usage_consumer.ts): batches are dropped, counted. */
  usageConsumerGone: bool = false;
  /**
   * The clock as read at the last tick (or configure): what requests use. Reading the clock is a
   * host call; a request needs it only to tick_ms precision (token refill, validity windows,
   * plan freshness), as Envoy's own dispatcher caches its approximate time per event loop.
   */
  clockMs: u64 = 0;
  readonly metrics: FilterMetrics = new FilterMetrics();
  readonly plan: PlanView;
  readonly replies: LocalReplies = new LocalReplies();
  readonly admission: Admission;
  /** Slots whose release lost every CAS attempt (user id, or empty for the pool); retried on tick. */
  readonly pendingReleases: Array<Blob> = [];
  readonly admittedValue: Blob = Blob.utf8('admitted');
  readonly unreservedValue: Blob = Blob.utf8('unreserved');
  readonly redirectedValue: Blob = Blob.utf8('redirected');
  readonly failOpenValue: Blob = Blob.utf8('fail_open');

  constructor(rootContextId: u32, config: Config) {
    const keys = new Keys(config.keyPrefix);
    this.rootContextId = rootContextId;
    this.config = config;
    this.keys = keys;
    this.userKeys = keys.users;
    this.queue = new WaitQueue(<i32>config.queue.maxDepth);
    this.usage = new UsageTable(config.usage.maxUsers, <usize>config.maxUserIdBytes);
    this.plan = new PlanView(keys.meta, <u64>config.planTtlMs);
    this.admission = new Admission(config, keys);
    const h = this.hot;
    h.identityHeaderPtr = config.identity.header.ptr;
    h.identityHeaderLen = config.identity.header.len;
    h.identityPropertyPtr = config.identity.property.ptr;
    h.identityPropertyLen = config.identity.property.len;
    h.maxUserIdBytes = <usize>config.maxUserIdBytes;
    h.routingHeaderPtr = config.routingHeader.ptr;
    h.routingHeaderLen = config.routingHeader.len;
    h.decisionHeaderPtr = config.decisionHeader.ptr;
    h.decisionHeaderLen = config.decisionHeader.len;
    h.failClosed = config.failMode == FailMode.Closed;
    h.admittedPtr = this.admittedValue.ptr;
    h.admittedLen = this.admittedValue.len;
    h.unreservedPtr = this.unreservedValue.ptr;
    h.unreservedLen = this.unreservedValue.len;
    h.redirectedPtr = this.redirectedValue.ptr;
    h.redirectedLen = this.redirectedValue.len;
    h.failOpenPtr = this.failOpenValue.ptr;
    h.failOpenLen = this.failOpenValue.len;
  }
}
