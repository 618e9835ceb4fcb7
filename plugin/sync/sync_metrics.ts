// Metrics of the sync (whichever root runs it): stream state, ACKs and NACKs, reconnects,
// resources held, expiries and removals, usage reports. Updated as events happen: the sync is not
// on the request path, so a host call per event is fine.
import { defineMetric, incrementMetric, recordMetric } from '../abi/metrics';
import { MetricType } from '../abi/types';

export class SyncMetrics {
  private state: u32 = 0;
  private acks: u32 = 0;
  private nacks: u32 = 0;
  private reconnects: u32 = 0;
  private resourcesGauge: u32 = 0;
  private expiredCounter: u32 = 0;
  private removedCounter: u32 = 0;
  private reportsSent: u32 = 0;
  private reportsAcked: u32 = 0;
  private reportsDropped: u32 = 0;
  private usageState: u32 = 0;
  private usersDropped: u32 = 0;

  define(): void {
    this.state = defineMetric(MetricType.Gauge, 'earmark_sync_stream_state');
    this.acks = defineMetric(MetricType.Counter, 'earmark_sync_responses_acked');
    this.nacks = defineMetric(MetricType.Counter, 'earmark_sync_responses_nacked');
    this.reconnects = defineMetric(MetricType.Counter, 'earmark_sync_reconnects');
    this.resourcesGauge = defineMetric(MetricType.Gauge, 'earmark_sync_resources');
    this.expiredCounter = defineMetric(MetricType.Counter, 'earmark_sync_resources_expired');
    this.removedCounter = defineMetric(MetricType.Counter, 'earmark_sync_resources_removed');
    this.reportsSent = defineMetric(MetricType.Counter, 'earmark_usage_reports_sent');
    this.reportsAcked = defineMetric(MetricType.Counter, 'earmark_usage_reports_acked');
    this.reportsDropped = defineMetric(MetricType.Counter, 'earmark_usage_reports_dropped');
    this.usageState = defineMetric(MetricType.Gauge, 'earmark_usage_stream_state');
    this.usersDropped = defineMetric(MetricType.Counter, 'earmark_usage_users_dropped');
  }

  streamState(s: u32): void {
    recordMetric(this.state, <u64>s);
  }
  ack(): void {
    incrementMetric(this.acks, 1);
  }
  nack(): void {
    incrementMetric(this.nacks, 1);
  }
  reconnect(): void {
    incrementMetric(this.reconnects, 1);
  }
  resources(n: i32): void {
    recordMetric(this.resourcesGauge, <u64>n);
  }
  expired(n: i32): void {
    incrementMetric(this.expiredCounter, <i64>n);
  }
  removed(n: i32): void {
    incrementMetric(this.removedCounter, <i64>n);
  }
  reportSent(): void {
    incrementMetric(this.reportsSent, 1);
  }
  reportAcked(n: i64): void {
    incrementMetric(this.reportsAcked, n);
  }
  reportDropped(): void {
    incrementMetric(this.reportsDropped, 1);
  }
  usageStreamState(s: u32): void {
    recordMetric(this.usageState, <u64>s);
  }
  usersDroppedBy(n: i64): void {
    incrementMetric(this.usersDropped, n);
  }
}
