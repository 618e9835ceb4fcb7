// Everything a filter root owns for its streams, built from a validated configuration.
import { Config } from '../config/config';
import { Blob, ByteWriter } from '../lib/bytes';
import { Keys } from '../plan/keys';
import { Admission } from './admission';
import { LocalReplies } from './local_reply';
import { FilterMetrics } from './metrics';
import { PlanView } from './plan_view';
import { WaitQueue } from './queue';
import { StreamPool } from './stream';
import { UsageTable } from './usage';

export class FilterState {
  readonly rootContextId: u32;
  readonly config: Config;
  readonly keys: Keys;
  /** Carried over when the root is reconfigured in place (streams in flight keep their slot). */
  pool: StreamPool = new StreamPool();
  readonly queue: WaitQueue;
  readonly usage: UsageTable;
  readonly usageBatch: ByteWriter;
  usageQueueToken: i64 = -1;
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
    this.queue = new WaitQueue(<i32>config.queue.maxDepth);
    this.usage = new UsageTable(config.usage.maxUsers, <usize>config.maxUserIdBytes);
    this.usageBatch = new ByteWriter(64 * 1024);
    this.plan = new PlanView(keys.meta, <u64>config.planTtlMs);
    this.admission = new Admission(config, keys);
  }
}
