// The whole sync, as run by the singleton sync root or by the elected worker in embedded mode:
// the reservation stream (PlanSync) and the usage stream (UsageReporter) to the same control
// plane, plus draining the workers' usage queue. gRPC callbacks are routed by stream token.
import { encodeGrpcService, encodeMetadata } from '../abi/grpc';
import { getProperty, log, returned } from '../abi/hostcalls';
import { encodePropertyPath } from '../abi/serde';
import { LogLevel, WasmResult } from '../abi/types';
import { getEnv } from '../abi/wasi';
import { Config } from '../config/config';
import { Blob } from '../lib/bytes';
import { Keys } from '../plan/keys';
import { stampConsumer } from '../plan/usage_consumer';
import { Channel } from './channel';
import { PlanSync } from './plan_sync';
import { SyncMetrics } from './sync_metrics';
import { UsageReporter } from './usage_report';

function readProperty(path: Array<string>): string {
  const p = encodePropertyPath(path);
  if (getProperty(p.ptr, p.len) != WasmResult.Ok) return '';
  return String.UTF8.decodeUnsafe(returned.ptr, returned.len);
}

export class SyncEngine {
  readonly plan: PlanSync;
  readonly usage: UsageReporter;
  readonly metrics: SyncMetrics;
  running: bool = false;
  private readonly keys: Keys;
  /** This root's tick period, written into the consumer stamp. */
  private readonly tickMs: u32;

  /** tickMs: the period of the root whose ticks drive this engine (sync root or filter root). */
  constructor(config: Config, keys: Keys, now: u64, tickMs: u32) {
    const s = config.sync;
    this.keys = keys;
    this.tickMs = tickMs;
    const service = encodeGrpcService(s.cluster, s.authority);
    let token = s.token;
    if (s.tokenEnv.length > 0) {
      const v = getEnv(s.tokenEnv);
      if (v === null)
        log(
          LogLevel.Warn,
          'earmark: sync.token_env names ' + s.tokenEnv + ', which is not set in the VM environment',
        );
      else token = v;
    }
    const kv: Array<Blob> = [];
    if (token.length > 0) {
      kv.push(Blob.utf8('authorization'));
      kv.push(Blob.utf8('Bearer ' + token));
    }
    const metadata = encodeMetadata(kv);
    const initial = <u64>s.backoffInitialMs;
    const max = <u64>s.backoffMaxMs;
    // Envoy exposes the node as xds.node (current attribute names) or node (older releases).
    let nodeId = s.nodeId.length ? s.nodeId : readProperty(['xds', 'node', 'id']);
    if (nodeId.length == 0) nodeId = readProperty(['node', 'id']);
    let nodeCluster = readProperty(['xds', 'node', 'cluster']);
    if (nodeCluster.length == 0) nodeCluster = readProperty(['node', 'cluster']);
    const metrics = new SyncMetrics();
    metrics.define();
    const planChannel = new Channel(
      'reservation',
      service,
      'earmark.v1.ReservationDiscoveryService',
      'DeltaReservations',
      metadata,
      initial,
      max,
    );
    const usageChannel = new Channel(
      'usage',
      service,
      'earmark.v1.UsageReportingService',
      'StreamUsage',
      metadata,
      initial,
      max,
    );
    this.metrics = metrics;
    this.plan = new PlanSync(config, keys, planChannel, metrics, nodeId, nodeCluster);
    this.usage = new UsageReporter(
      usageChannel,
      metrics,
      keys.usageQueue,
      s.maxReportUsers,
      s.reportIntervalMs,
      nodeId,
      now,
    );
  }

  start(now: u64): bool {
    if (!this.usage.register()) {
      log(LogLevel.Error, 'earmark: cannot register the usage queue');
      return false;
    }
    stampConsumer(this.keys.usageConsumer, now, this.tickMs);
    this.plan.start(now);
    this.usage.connect(now);
    this.running = true;
    return true;
  }

  stop(): void {
    this.plan.stop();
    this.usage.channel.shutdown();
    this.running = false;
  }

  tick(now: u64): void {
    if (!this.running) return;
    // Alive: the workers keep enqueuing (plan/usage_consumer.ts).
    stampConsumer(this.keys.usageConsumer, now, this.tickMs);
    this.usage.drain();
    this.plan.tick(now);
    this.usage.tick(now, this.plan.versionText);
  }

  onQueueReady(token: u32): void {
    if (this.running && this.usage.queueToken >= 0 && <u32>this.usage.queueToken == token) this.usage.drain();
  }

  onGrpcReceiveInitialMetadata(token: u32, headers: u32): void {
    this.plan.onGrpcReceiveInitialMetadata(token, headers);
    this.usage.onGrpcInitialMetadata(token);
  }

  onGrpcReceive(token: u32, size: u32, now: u64): void {
    if (this.plan.channel.is(token)) this.plan.onGrpcReceive(token, size, now);
    else this.usage.onGrpcReceive(token, size);
  }

  onGrpcClose(token: u32, status: u32, now: u64): void {
    this.plan.onGrpcClose(token, status, now);
    this.usage.onGrpcClose(token, status, now);
  }
}
