/**
 * The distribution server: one gRPC endpoint serving ReservationDiscoveryService.DeltaReservations
 * from the cache to every proxy, and UsageReportingService.StreamUsage into the usage sink.
 * The service constructs it, start()s it, publishes each cycle's plan, reads nodes() for the
 * dashboard, and stop()s it.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { SystemClock, type Clock, type TimerHandle } from '../../domain/clock';
import type { Plan } from '../../domain/plan';
import type { UsageSink } from '../../domain/usage';
import { ReservationCache, type PublishResult, type ReservationChanges } from '../cache/reservation-cache';
import type { CloseInfo, DistributionCallbacks } from '../callbacks';
import { stderrLogger, type Logger } from '../logger';
import { DistributionMetrics } from '../metrics';
import { deltaRequestCodec, DELTA_RESERVATIONS_PATH, STREAM_USAGE_PATH, usageResponseCodec } from '../protos';
import { GrpcServer, type TlsFiles } from '../transport/grpc-server';
import { DEFAULT_USAGE_LIMITS, type UsageLimits } from '../usage/parse-usage-report';
import { SequenceBook } from '../usage/sequence-book';
import { UsageStream } from '../usage/usage-stream';
import { bearerGate, type AuthOptions } from './auth';
import { ChunkSource } from './chunk-source';
import { DeltaStream, type ResourceAckState } from './delta-stream';
import { nodeStatus, msBehind, type NodeStatus } from './node-status';
import { safeCallbacks } from './safe-callbacks';
import type { StreamHost } from './stream-host';

export interface DistributionServerOptions {
  /** Required: tokens, a verify function, or { none: true } for loopback demos. */
  auth: AuthOptions;
  /** Server certificate and key files; plaintext HTTP/2 (h2c) when absent. */
  tls?: TlsFiles;
  /** Where usage reports go (the InfluxDB store). Without it StreamUsage answers UNIMPLEMENTED. */
  usageSink?: UsageSink;
  /** prom-client registry to register metrics on (the service's /metrics). */
  registry?: Registry;
  callbacks?: DistributionCallbacks;
  logger?: Logger;
  clock?: Clock;
  /** A cache to serve from; by default one is created with ttlMs. */
  cache?: ReservationCache;
  /** Resource TTL (default 300 s; 0 = no TTL, no heartbeats). Ignored when `cache` is given. */
  ttlMs?: number;
  /** Heartbeat period (default ttl / 3, so two may be lost before a reservation expires). */
  heartbeatMs?: number;
  /** Largest uncompressed response; bigger change sets are split (default 1 MiB). */
  maxResponseBytes?: number;
  /** Responses awaiting ACK before a stream pauses and coalesces (default 4). */
  maxInFlight?: number;
  /** gRPC message compression of responses, when the client accepts it. false disables it. */
  compression?: false | { encodings?: ('gzip' | 'deflate')[]; minBytes?: number; level?: number };
  usage?: { reportIntervalMs?: number; maxPending?: number; limits?: Partial<UsageLimits> };
}

export class DistributionServer {
  readonly cache: ReservationCache;
  readonly metrics: DistributionMetrics;
  readonly usageBook = new SequenceBook();
  private readonly grpc: GrpcServer;
  private readonly host: StreamHost;
  private readonly streams = new Set<DeltaStream>();
  private readonly byNode = new Map<string, DeltaStream>();
  private readonly departed = new Map<string, NodeStatus>();
  private readonly usageStreams = new Set<UsageStream>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly heartbeatMs: number;
  private heartbeatTimer: TimerHandle | undefined;
  private tick = 0;
  private nextStreamId = 1;
  private unsubscribe: () => void;

  constructor(private readonly opts: DistributionServerOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.logger = opts.logger ?? stderrLogger;
    this.cache = opts.cache ?? new ReservationCache({ ttlMs: opts.ttlMs, clock: this.clock });
    this.metrics = new DistributionMetrics(opts.registry);
    this.heartbeatMs = opts.heartbeatMs ?? Math.floor(this.cache.ttlMs / 3);
    const callbacks = safeCallbacks(opts.callbacks ?? {}, this.logger);
    const compression = opts.compression === false ? undefined : (opts.compression ?? {});
    if ('none' in opts.auth) this.logger.warn('distribution server runs without authentication');
    this.grpc = new GrpcServer({
      tls: opts.tls,
      compression: compression ? (compression.encodings ?? ['gzip', 'deflate']) : [],
      gate: bearerGate(opts.auth, (reason) => this.metrics.authFailures.inc({ reason })),
    });
    const nonce = randomBytes(3).toString('hex') + '-';
    this.host = {
      cache: this.cache,
      chunks: new ChunkSource(this.cache, opts.maxResponseBytes ?? 1 << 20, nonce),
      metrics: this.metrics,
      callbacks,
      logger: this.logger,
      clock: this.clock,
      options: {
        maxInFlight: opts.maxInFlight ?? 4,
        // Compress what is big (full plans, resyncs: 1 MiB responses); a routine delta goes raw, as
        // decompressing it would cost every proxy more CPU than the bytes it saves on a LAN.
        compression: { minBytes: compression?.minBytes ?? 256 * 1024, level: compression?.level ?? 1 },
      },
      requestCodec: deltaRequestCodec(),
      identified: (s) => this.identified(s),
      closed: (s, info) => this.streamClosed(s, info),
    };
    this.grpc.handle(DELTA_RESERVATIONS_PATH, (call) => {
      const s = new DeltaStream(this.nextStreamId++, call, this.host);
      this.streams.add(s);
      this.metrics.streams.inc({ service: 'discovery' });
      this.metrics.streamsOpened.inc({ service: 'discovery' });
      callbacks.onStreamOpen?.(s.info());
    });
    if (opts.usageSink) this.handleUsage(opts.usageSink, callbacks);
    this.unsubscribe = this.cache.onChange(() => {
      this.metrics.publishes.inc();
      for (const s of this.streams) s.notify();
    });
    this.metrics.cacheRevision.set(this.cache.revision);
    this.metrics.setLagSource(() => {
      const now = this.clock.now();
      return [...this.byNode.values()].map((s) => ({
        nodeId: s.nodeId!,
        revisionsBehind: Math.max(0, this.cache.revision - s.ackedRevision),
        secondsBehind: msBehind(this.cache, s.ackedRevision, now) / 1000,
      }));
    });
  }

  private handleUsage(sink: UsageSink, callbacks: DistributionCallbacks): void {
    const u = this.opts.usage ?? {};
    const usageHost = {
      sink,
      book: this.usageBook,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      callbacks,
      responseCodec: usageResponseCodec(),
      limits: { ...DEFAULT_USAGE_LIMITS, ...u.limits },
      reportIntervalMs: u.reportIntervalMs ?? 0,
      maxPending: u.maxPending ?? 64,
    };
    this.grpc.handle(STREAM_USAGE_PATH, (call) => {
      const s = new UsageStream(this.nextStreamId++, call, usageHost, (done) => {
        this.usageStreams.delete(done);
        this.metrics.streams.dec({ service: 'usage' });
        callbacks.onStreamClose?.(done.info(), { code: 0, message: 'closed' });
      });
      this.usageStreams.add(s);
      this.metrics.streams.inc({ service: 'usage' });
      this.metrics.streamsOpened.inc({ service: 'usage' });
      callbacks.onStreamOpen?.(s.info());
    });
  }

  /** Listens (default 127.0.0.1, port 0 = any free port) and starts the heartbeat ticker. */
  async start(listen: { host?: string; port?: number } = {}): Promise<{ host: string; port: number }> {
    const addr = await this.grpc.listen(listen.port ?? 0, listen.host ?? '127.0.0.1');
    this.scheduleHeartbeat();
    this.logger.info('distribution server listening', { host: addr.address, port: addr.port });
    return { host: addr.address, port: addr.port };
  }

  /** Ends every stream with UNAVAILABLE (proxies keep their reservations and reconnect), then closes. */
  async stop(graceMs = 2000): Promise<void> {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    this.unsubscribe();
    await this.grpc.stop(graceMs);
  }

  /** Drops every connection without a status, as a crash would (tests and failure drills). */
  async kill(): Promise<void> {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    this.unsubscribe();
    await this.grpc.kill();
  }

  private scheduleHeartbeat(): void {
    if (this.cache.ttlMs <= 0 || this.heartbeatMs <= 0) return;
    this.heartbeatTimer = this.clock.setTimer(this.heartbeatMs, () => {
      this.tick++;
      for (const s of this.streams) s.notify(this.tick);
      this.scheduleHeartbeat();
    });
  }

  /** Publishes a whole plan as one cache revision (see ReservationCache.publishPlan). */
  publishPlan(plan: Plan): PublishResult {
    return this.recordPublish(this.cache.publishPlan(plan));
  }

  /** The same, giving the event loop turns while the plan is diffed (ReservationCache.publishPlanYielding). */
  async publishPlanYielding(plan: Plan, o?: { beforeCommit?: () => void }): Promise<PublishResult> {
    return this.recordPublish(await this.cache.publishPlanYielding(plan, o));
  }

  /** Publishes some upserts and removals as one cache revision. */
  publishChanges(changes: ReservationChanges): PublishResult {
    return this.recordPublish(this.cache.publishChanges(changes));
  }

  private recordPublish(r: PublishResult): PublishResult {
    this.metrics.cacheRevision.set(r.revision);
    this.metrics.cacheResources.set(this.cache.size);
    return r;
  }

  private identified(s: DeltaStream): void {
    const id = s.nodeId!;
    const prev = this.byNode.get(id);
    if (prev && prev !== s && prev.isOpen) {
      this.logger.warn('a second stream for the same node id; the newest one is reported', { node: id });
    }
    this.byNode.set(id, s);
    this.departed.delete(id);
  }

  private streamClosed(s: DeltaStream, info: CloseInfo): void {
    if (!this.streams.delete(s)) return;
    this.metrics.streams.dec({ service: 'discovery' });
    const id = s.nodeId;
    if (id && this.byNode.get(id) === s) {
      this.byNode.delete(id);
      this.departed.set(id, nodeStatus(s, this.cache, this.clock.now()));
      if (this.departed.size > 10_000) this.departed.delete(this.departed.keys().next().value!);
    }
    this.host.callbacks.onStreamClose?.(s.info(), info);
  }

  /** Every node seen: connected ones first, then those that disconnected (most recent 10,000). */
  nodes(): NodeStatus[] {
    const now = this.clock.now();
    const live = [...this.byNode.values()].map((s) => nodeStatus(s, this.cache, now));
    return [...live, ...this.departed.values()];
  }

  node(nodeId: string): NodeStatus | undefined {
    const s = this.byNode.get(nodeId);
    return s ? nodeStatus(s, this.cache, this.clock.now()) : this.departed.get(nodeId);
  }

  /** Whether a connected node holds (has ACKed) the current version of a user's reservation. */
  resourceState(
    nodeId: string,
    user: string,
  ): { state: ResourceAckState | 'disconnected'; version?: string } {
    const s = this.byNode.get(nodeId);
    return s ? s.resourceState(user) : { state: 'disconnected' };
  }

  /** Last accepted usage sequence per node. */
  usageNodes(): { nodeId: string; acceptedSequence: number; lastReportAtMs: number }[] {
    return this.usageBook.snapshot();
  }
}
