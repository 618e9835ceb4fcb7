// The filter's metrics. Counting a request must not cost a host call, so counters accumulate
// in the worker and are flushed with one proxy_increment_metric per changed counter on tick:
// totals are exact, at most one tick (tick_ms, default 100 ms) behind, which is far below any
// scrape interval. The queue-depth gauge is moved by deltas so the workers' depths add up.
import { defineMetric, incrementMetric, recordMetric } from '../abi/metrics';
import { MetricType } from '../abi/types';

export const enum Counter {
  Requests = 0,
  Admitted,
  UnreservedAdmitted,
  Queued,
  Dequeued,
  Redirected,
  Rejected,
  FailOpen,
  FailClosed,
  Shortfall,
  QueueTimeouts,
  QueueOverflows,
  IdentityMissing,
  RecordsInvalid,
  ReleaseDeferred,
  UsageDropped,
  COUNT,
}

const COUNTER_NAMES: string[] = [
  'earmark_requests_total',
  'earmark_requests_admitted',
  'earmark_requests_unreserved_admitted',
  'earmark_requests_queued',
  'earmark_requests_dequeued',
  'earmark_requests_redirected',
  'earmark_requests_rejected',
  'earmark_requests_fail_open',
  'earmark_requests_fail_closed',
  'earmark_requests_shortfall',
  'earmark_queue_timeouts',
  'earmark_queue_overflows',
  'earmark_identity_missing',
  'earmark_records_invalid',
  'earmark_slot_release_deferred',
  'earmark_usage_batches_dropped',
];

/** Unmanaged (plain memory): counting on the request path needs no GC frame. */
@unmanaged
export class FilterMetrics {
  /** Metric ids (u32) and pending increments (u64) per counter. */
  private readonly ids: usize = heap.alloc((<usize>Counter.COUNT) << 2);
  private readonly pending: usize = FilterMetrics.zeroed((<usize>Counter.COUNT) << 3);
  private queueDepthId: u32 = 0;
  private reportedDepth: i64 = 0;
  private queueWaitId: u32 = 0;
  private planGenerationId: u32 = 0;
  private planAgeId: u32 = 0;
  private planStaleId: u32 = 0;
  private planResourcesId: u32 = 0;

  private static zeroed(bytes: usize): usize {
    const p = heap.alloc(bytes);
    memory.fill(p, 0, bytes);
    return p;
  }

  define(): void {
    for (let i = 0; i < Counter.COUNT; i++)
      store<u32>(this.ids + ((<usize>i) << 2), defineMetric(MetricType.Counter, COUNTER_NAMES[i]));
    this.queueDepthId = defineMetric(MetricType.Gauge, 'earmark_queue_depth');
    this.queueWaitId = defineMetric(MetricType.Histogram, 'earmark_queue_wait_ms');
    this.planGenerationId = defineMetric(MetricType.Gauge, 'earmark_plan_generation');
    this.planAgeId = defineMetric(MetricType.Gauge, 'earmark_plan_age_ms');
    this.planStaleId = defineMetric(MetricType.Gauge, 'earmark_plan_stale');
    this.planResourcesId = defineMetric(MetricType.Gauge, 'earmark_plan_resources');
  }

  count(c: Counter): void {
    const p = this.pending + ((<usize>c) << 3); // c is a Counter below COUNT
    store<u64>(p, load<u64>(p) + 1);
  }

  /** Records one queue wait (a host call: queued requests are off the hot path). */
  queueWait(ms: u64): void {
    recordMetric(this.queueWaitId, ms);
  }

  /** Flushes counters and gauges (on tick). */
  flush(queueDepth: i32): void {
    for (let i = 0; i < Counter.COUNT; i++) {
      const p = this.pending + ((<usize>i) << 3);
      const n = load<u64>(p);
      if (n != 0) {
        incrementMetric(load<u32>(this.ids + ((<usize>i) << 2)), <i64>n);
        store<u64>(p, 0);
      }
    }
    const delta = <i64>queueDepth - this.reportedDepth;
    if (delta != 0) {
      incrementMetric(this.queueDepthId, delta);
      this.reportedDepth = queueDepth;
    }
  }

  plan(generation: u64, ageMs: u64, stale: bool, resources: u32): void {
    recordMetric(this.planGenerationId, generation);
    recordMetric(this.planAgeId, ageMs);
    recordMetric(this.planStaleId, stale ? 1 : 0);
    recordMetric(this.planResourcesId, <u64>resources);
  }

  /** Takes this worker's queue depth out of the shared gauge (root going away). */
  retire(): void {
    this.flush(0);
  }
}
