// The plugin configuration, typed, with its defaults. One JSON document configures both roots
// (filter and sync); each root uses its part. plugin/README.md documents every field; parse.ts
// validates a document into this shape or names the first bad field.
import { Blob } from '../lib/bytes';

/** What a request that cannot be admitted gets (proto earmark.v1.ExhaustedAction). */
export const enum Action {
  Unspecified = 0,
  Queue = 1,
  TopUp = 2,
  Redirect = 3,
  Reject = 4,
}

export const ACTION_NAMES: string[] = ['unspecified', 'queue', 'top_up', 'redirect', 'reject'];

export const enum FailMode {
  Open = 0,
  Closed = 1,
}

export const enum SyncMode {
  /** A singleton service (root id earmark_sync) runs the sync; filters only read shared data. */
  Service = 0,
  /** No singleton (Istio WasmPlugin): filter workers elect one of them to run the sync. */
  Embedded = 1,
}

export class Identity {
  /** Header carrying the user id (lowercase), or empty when a property is used. */
  header: Blob = Blob.utf8('x-earmark-user');
  /** Property path segments (NUL-separated, as the host expects), or empty. */
  property: Blob = new Blob(new ArrayBuffer(0));
  propertyText: string = '';
}

/** Policy for requests whose reservation is exhausted and that leave a field unset. */
export class Defaults {
  onExhausted: Action = Action.Queue;
  maxQueueWaitMs: u32 = 1000;
  fallback: Blob = new Blob(new ArrayBuffer(0));
}

/** Users without a valid reservation share one pool with these limits (0 = no limit). */
export class Unreserved {
  slots: u32 = 0;
  ratePerMinute: u32 = 0;
  burst: u32 = 0;
  onExhausted: Action = Action.Reject;
  priority: u32 = 0;
  maxQueueWaitMs: u32 = 1000;
  fallback: Blob = new Blob(new ArrayBuffer(0));
  /** Routing-header value for admitted unreserved requests; empty = the route's default cluster. */
  route: Blob = new Blob(new ArrayBuffer(0));
}

export class QueueSettings {
  maxDepth: u32 = 1024;
  retriesPerTick: u32 = 64;
}

export class RejectSettings {
  status: u32 = 429;
  retryAfterS: u32 = 1;
}

export class UsageSettings {
  flushMs: u32 = 1000;
  maxUsers: u32 = 4096;
}

export class SyncSettings {
  mode: SyncMode = SyncMode.Service;
  cluster: string = '';
  authority: string = '';
  token: string = '';
  tokenEnv: string = '';
  nodeId: string = '';
  backoffInitialMs: u32 = 500;
  backoffMaxMs: u32 = 30000;
  reportIntervalMs: u32 = 10000;
  maxReportUsers: u32 = 100000;
  sweepPerTick: u32 = 10000;
  tickMs: u32 = 100;
  leaderLeaseMs: u32 = 5000;
  /** How often a connected sync root refreshes the plan's "fresh" mark in shared data. */
  freshnessMs: u32 = 1000;
}

export class Config {
  keyPrefix: Blob = Blob.utf8('earmark/');
  identity: Identity = new Identity();
  maxUserIdBytes: u32 = 128;
  routingHeader: Blob = Blob.utf8('x-earmark-instance');
  decisionHeader: Blob = new Blob(new ArrayBuffer(0));
  failMode: FailMode = FailMode.Open;
  planTtlMs: u32 = 30000;
  defaults: Defaults = new Defaults();
  unreserved: Unreserved = new Unreserved();
  queue: QueueSettings = new QueueSettings();
  reject: RejectSettings = new RejectSettings();
  tickMs: u32 = 100;
  usage: UsageSettings = new UsageSettings();
  slotLeaseMs: u32 = 600000;
  sync: SyncSettings = new SyncSettings();
  /** Whether the document had a "sync" object (required by the sync root and embedded mode). */
  hasSync: bool = false;
}
