/**
 * Prometheus metrics of plan distribution and usage intake, registered on the Registry the service
 * passes in (it serves /metrics). Per-node lag gauges are computed at scrape time from the live
 * streams, so the hot path only bumps counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface NodeLag {
  nodeId: string;
  revisionsBehind: number;
  secondsBehind: number;
}

export class DistributionMetrics {
  readonly streams: Gauge<'service'>;
  readonly streamsOpened: Counter<'service'>;
  readonly requests: Counter;
  readonly responses: Counter<'kind'>;
  readonly resourcesSent: Counter<'kind'>;
  readonly bytesSent: Counter<'encoding'>;
  readonly rawBytesSent: Counter;
  readonly acks: Counter;
  readonly nacks: Counter;
  readonly staleNonces: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly publishToAck: Histogram;
  readonly publishes: Counter;
  readonly cacheRevision: Gauge;
  readonly cacheResources: Gauge;
  readonly usageReports: Counter<'outcome'>;
  readonly usageUsers: Counter;
  private lagSource: () => NodeLag[] = () => [];

  constructor(readonly registry: Registry = new Registry()) {
    // A server re-created on the same registry (a restart in-process) replaces the old series.
    for (const m of registry.getMetricsAsArray()) {
      const name = (m as unknown as { name: string }).name;
      if (name.startsWith('earmark_distribution_') || name.startsWith('earmark_usage_'))
        registry.removeSingleMetric(name);
    }
    const registers = [registry];
    this.streams = new Gauge({
      name: 'earmark_distribution_streams',
      help: 'Open gRPC streams by service.',
      labelNames: ['service'],
      registers,
    });
    this.streamsOpened = new Counter({
      name: 'earmark_distribution_streams_opened_total',
      help: 'gRPC streams opened by service.',
      labelNames: ['service'],
      registers,
    });
    this.requests = new Counter({
      name: 'earmark_distribution_requests_total',
      help: 'DeltaDiscoveryRequests received.',
      registers,
    });
    this.responses = new Counter({
      name: 'earmark_distribution_responses_total',
      help: 'DeltaDiscoveryResponses sent, by kind (update, heartbeat).',
      labelNames: ['kind'],
      registers,
    });
    this.resourcesSent = new Counter({
      name: 'earmark_distribution_resources_sent_total',
      help: 'Resources sent, by kind (reservation, removal, heartbeat).',
      labelNames: ['kind'],
      registers,
    });
    this.bytesSent = new Counter({
      name: 'earmark_distribution_bytes_sent_total',
      help: 'gRPC message bytes written to proxies (compressed size when compressed), by encoding.',
      labelNames: ['encoding'],
      registers,
    });
    this.rawBytesSent = new Counter({
      name: 'earmark_distribution_raw_bytes_sent_total',
      help: 'Uncompressed size of the messages written to proxies.',
      registers,
    });
    this.acks = new Counter({
      name: 'earmark_distribution_acks_total',
      help: 'Responses ACKed by proxies.',
      registers,
    });
    this.nacks = new Counter({
      name: 'earmark_distribution_nacks_total',
      help: 'Responses NACKed by proxies (error_detail set).',
      registers,
    });
    this.staleNonces = new Counter({
      name: 'earmark_distribution_stale_nonces_total',
      help: 'Requests echoing a nonce the stream does not have in flight.',
      registers,
    });
    this.authFailures = new Counter({
      name: 'earmark_distribution_auth_failures_total',
      help: 'Calls refused with UNAUTHENTICATED, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.publishToAck = new Histogram({
      name: 'earmark_distribution_publish_to_ack_seconds',
      help: 'From a cache revision being published to a proxy ACKing the response that completes it.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.publishes = new Counter({
      name: 'earmark_distribution_publishes_total',
      help: 'Cache revisions published.',
      registers,
    });
    this.cacheRevision = new Gauge({
      name: 'earmark_distribution_cache_revision',
      help: 'Current cache revision.',
      registers,
    });
    this.cacheResources = new Gauge({
      name: 'earmark_distribution_cache_resources',
      help: 'Reservations in the cache.',
      registers,
    });
    this.usageReports = new Counter({
      name: 'earmark_usage_reports_total',
      help: 'Usage reports received, by outcome (accepted, malformed, replay, sink_error).',
      labelNames: ['outcome'],
      registers,
    });
    this.usageUsers = new Counter({
      name: 'earmark_usage_user_rows_total',
      help: 'Per-user usage rows accepted.',
      registers,
    });
    const lag = () => this.lagSource();
    new Gauge({
      name: 'earmark_distribution_node_lag_revisions',
      help: 'Cache revisions a connected proxy is behind (current revision minus the last it ACKed).',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const l of lag()) this.set({ node: l.nodeId }, l.revisionsBehind);
      },
    });
    new Gauge({
      name: 'earmark_distribution_node_lag_seconds',
      help: 'How long a connected proxy has been behind: now minus the publish time of the oldest revision it lacks.',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const l of lag()) this.set({ node: l.nodeId }, l.secondsBehind);
      },
    });
  }

  /** The server supplies per-node lag at scrape time. */
  setLagSource(source: () => NodeLag[]): void {
    this.lagSource = source;
  }
}
