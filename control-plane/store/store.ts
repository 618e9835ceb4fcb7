/**
 * The store's public face: one object over InfluxDB for every part of the control plane.
 * Writes go through the batching, spooling writer and resolve once durable; reads query InfluxDB
 * directly (call flush() first to read your own writes).
 */
import type { DemandWindows, ForecastBatch } from '../domain/demand';
import type { DemandEvent } from '../domain/event';
import type { Instance } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { UsageReport, UsageSink } from '../domain/usage';
import type { UserProfile } from '../domain/user';
import type { StoreContext } from './context';
import { readDemandWindows, type DemandQuery } from './demand-windows';
import { deleteEvent, readEvents, writeEvents } from './events';
import {
  readForecasts,
  queueForecasts,
  writeForecasts,
  type ForecastQuery,
  type ForecastWriteOptions,
  type StoredForecast,
} from './forecasts';
import { InfluxHttp, InfluxUnreachableError } from './influx/http-client';
import * as inst from './instances';
import * as plans from './plans';
import * as pol from './policies';
import * as rprof from './resource-profiles';
import { backfillRollups, DEFAULT_DATABASE, ensureSchema } from './schema';
import { readLastUsageSequence, StoreUsageSink } from './usage';
import * as users from './user-profiles';
import { StoreWriter, type WriterOptions, type WriterStats } from './writer/batch-writer';
import { stderrLogger, type Logger } from './writer/logger';

export interface StoreOptions {
  /** InfluxDB 1.x base URL. Default http://127.0.0.1:8086 */
  url?: string;
  /** Default "earmark". */
  database?: string;
  /** Disk spool for writes while InfluxDB is unreachable. Default var/spool (one process per folder). */
  spoolDir?: string;
  /** Batching, backoff and limits; see WriterOptions for the defaults. */
  writer?: Omit<Partial<WriterOptions>, 'url' | 'db' | 'spoolDir' | 'log'>;
  log?: Logger;
}

export class Store implements UsageSink {
  /** Resolves once the database, retention policies and continuous queries exist. */
  readonly schemaReady: Promise<void>;
  private readonly ctx: StoreContext;
  private readonly sink: StoreUsageSink;
  private closed = false;

  private constructor(
    readonly url: string,
    readonly database: string,
    readonly writer: StoreWriter,
    private readonly http: InfluxHttp,
    private readonly log: Logger,
  ) {
    this.ctx = { http, writer, db: database };
    this.sink = new StoreUsageSink(this.ctx);
    this.schemaReady = this.createSchema();
    this.schemaReady.catch(() => {});
  }

  /**
   * Opens the writer (replaying any spool left by an earlier run) and creates the schema if missing.
   * InfluxDB being down does not fail open(): writes spool, schemaReady waits, reads throw.
   */
  static async open(opts: StoreOptions = {}): Promise<Store> {
    const url = opts.url ?? 'http://127.0.0.1:8086';
    const db = opts.database ?? DEFAULT_DATABASE;
    const log = opts.log ?? stderrLogger;
    const http = new InfluxHttp({ url, requestTimeoutMs: opts.writer?.requestTimeoutMs });
    const writer = await StoreWriter.open({
      ...opts.writer,
      url,
      db,
      spoolDir: opts.spoolDir ?? 'var/spool',
      log,
    });
    return new Store(http.url, db, writer, http, log);
  }

  private async createSchema(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await ensureSchema(this.http, this.database);
        if (attempt > 0) this.log.info(`schema of ${this.database} created at ${this.url}`);
        return;
      } catch (e) {
        if (!(e instanceof InfluxUnreachableError) || this.closed) throw e;
        if (attempt === 0)
          this.log.error(`${e.message}; will create the schema when it answers (writes spool meanwhile)`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)).unref());
      }
    }
  }

  ping(): Promise<boolean> {
    return this.http.ping();
  }
  stats(): WriterStats {
    return this.writer.stats();
  }
  /** Resolves once every write made before the call is durable. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.writer.close();
    this.http.close();
  }
  /** Runs the hourly roll-ups over a past range (imports, long outages). */
  backfillRollups(fromMs: number, toMs: number): Promise<void> {
    return backfillRollups(this.http, this.database, fromMs, toMs);
  }

  // usage and demand
  writeUsage(report: UsageReport): Promise<void> {
    return this.sink.writeUsage(report);
  }
  readLastUsageSequence(nodeId: string, sinceMs: number): Promise<number> {
    return readLastUsageSequence(this.ctx, nodeId, sinceMs);
  }
  readDemandWindows(q: DemandQuery): Promise<DemandWindows> {
    return readDemandWindows(this.ctx, q);
  }
  writeResourceProfiles(p: readonly rprof.ResourceProfile[]): Promise<void> {
    return rprof.writeResourceProfiles(this.ctx, p);
  }
  readResourceProfiles(only?: readonly string[]): Promise<Map<string, rprof.ResourceProfile>> {
    return rprof.readResourceProfiles(this.ctx, only);
  }

  // users
  writeProfiles(p: readonly UserProfile[]): Promise<void> {
    return users.writeProfiles(this.ctx, p);
  }
  readProfiles(only?: readonly string[]): Promise<Map<string, UserProfile>> {
    return users.readProfiles(this.ctx, only);
  }
  writeContexts(obs: readonly users.ContextObservation[]): Promise<void> {
    return users.writeContexts(this.ctx, obs);
  }
  readContexts(q: {
    fromMs: number;
    toMs: number;
    users?: readonly string[];
  }): Promise<users.ContextObservation[]> {
    return users.readContexts(this.ctx, q);
  }

  // policies
  writePolicy(p: pol.PolicyVersion): Promise<void> {
    return pol.writePolicy(this.ctx, p);
  }
  readLatestPolicy(): Promise<pol.PolicyVersion | undefined> {
    return pol.readLatestPolicy(this.ctx);
  }
  readPolicyHistory(limit?: number): Promise<pol.PolicyVersion[]> {
    return pol.readPolicyHistory(this.ctx, limit);
  }
  readPolicyVersion(version: string): Promise<pol.PolicyVersion | undefined> {
    return pol.readPolicyVersion(this.ctx, version);
  }

  // events
  writeEvents(e: readonly DemandEvent[]): Promise<void> {
    return writeEvents(this.ctx, e);
  }
  deleteEvent(id: string, atMs: number): Promise<void> {
    return deleteEvent(this.ctx, id, atMs);
  }
  readEvents(fromMs?: number, toMs?: number): Promise<DemandEvent[]> {
    return readEvents(this.ctx, fromMs, toMs);
  }

  // plans and forecasts
  writePlan(plan: Plan): Promise<void> {
    return plans.writePlan(this.ctx, plan);
  }
  /** See plans.queuePlan: resolves once every point is queued, with `durable`. */
  queuePlan(plan: Plan, o?: { beforeHeader?: () => void }): Promise<{ durable: Promise<void> }> {
    return plans.queuePlan(this.ctx, plan, o);
  }
  readLatestPlan(): Promise<Plan | undefined> {
    return plans.readLatestPlan(this.ctx, this.log);
  }
  writeForecasts(b: ForecastBatch, opts?: ForecastWriteOptions): Promise<void> {
    return writeForecasts(this.ctx, b, opts);
  }
  /** Resolves once every point is queued, with `stored` (forecasts.ts queueForecasts). */
  queueForecasts(b: ForecastBatch, opts?: ForecastWriteOptions): Promise<{ stored: Promise<void> }> {
    return queueForecasts(this.ctx, b, opts);
  }
  readForecasts(q: ForecastQuery): Promise<StoredForecast[]> {
    return readForecasts(this.ctx, q);
  }

  // instances
  writeInstances(list: readonly Instance[], atMs: number): Promise<void> {
    return inst.writeInstances(this.ctx, list, atMs);
  }
  removeInstance(id: string, atMs: number): Promise<void> {
    return inst.removeInstance(this.ctx, id, atMs);
  }
  readInstances(): Promise<Instance[]> {
    return inst.readInstances(this.ctx);
  }
  writeInstanceLoad(loads: readonly inst.InstanceLoadSample[]): Promise<void> {
    return inst.writeInstanceLoad(this.ctx, loads);
  }
  readLatestInstanceLoad(sinceMs: number): Promise<Map<string, inst.InstanceLoadSample>> {
    return inst.readLatestInstanceLoad(this.ctx, sinceMs);
  }
  readInstanceLoadWindows(q: inst.InstanceLoadQuery): Promise<inst.InstanceLoadWindows> {
    return inst.readInstanceLoadWindows(this.ctx, q);
  }
}
