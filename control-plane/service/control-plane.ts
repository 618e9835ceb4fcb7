/**
 * The whole control-plane service in one call:
 *
 *   const cp = await startControlPlane(settings, { clock });
 *   cp.apiUrl, cp.dashboardUrl, cp.grpcAddress, cp.status(), cp.currentPlan()
 *   await cp.stop();   // cycle, retraining, API, gRPC; then flushes the writer and closes the store
 *
 * Wiring: settings → store (writer + readers, schema ensured; InfluxDB must answer) → policy
 * (seeded when the store has none) → forecast engine → distribution server (gRPC, token, usage →
 * top-up → store) → the API over the store with the live plan, proxies and cycle → warm-up → cycle.
 */
import { fencedPublisher, type Fence } from './fence';
import * as path from 'node:path';
import type { Registry } from 'prom-client';
import { resolveToken, seedPolicy } from '../api/api-service';
import { createApi } from '../api/app';
import { startApiServer, type ApiServer } from '../api/server';
import { proxyStatusOf } from '../api/state/proxy-status';
import { StoreState } from '../api/state/store-state';
import type { Settings } from '../config';
import { DistributionServer } from '../distribute';
import { SystemClock, type Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import type { Plan } from '../domain/plan';
import { createForecastEngine, type ForecastEngine } from '../forecast/engine';
import { DEFAULT_MODEL_FILE } from '../forecast/model/default-model';
import { Store, type StoreOptions } from '../store';
import { createRegistry, startMetricsServer } from '../telemetry';
import { Cycle } from './cycle';
import { leveledLogger } from './logger';
import { CycleMetrics } from './metrics';
import { DEFAULT_POLICY_FILE, PolicySource } from './policy-source';
import { championModelFile, RetrainingSchedule, type RetrainingStatus } from './retraining';
import { ScalingDeliverer, type ScalingStatus } from './scaling';
import { CycleStages, type ForecastRecording } from './stages';
import type { CycleReport, CycleStatus } from './status';
import { ShortfallTopUp } from './top-up';
import { UsageIntake } from './usage-intake';
import { cycleCheck, distributionCheck } from './views';
import { warnIfHistoryShort } from './history-needs';
import { waitForInflux } from './influx-wait';

export interface ControlPlaneOptions {
  /** The service clock; a SimClock replays faster than real time. Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
  registry?: Registry;
  /** A ready engine (tests, embedding); default: built from the settings. */
  engine?: ForecastEngine;
  /** ONNX model to forecast with; null = baselines only. Default: the registry's champion, if any. */
  modelFile?: string | null;
  /** Steps of stored history replayed into a fresh engine before the first cycle (default 60). */
  warmupSteps?: number;
  warmupBudgetMs?: number;
  /** Delay after a step ends before a cycle reads it (default: the usage report interval + 2 s). */
  settleMs?: number;
  /** Usage report interval asked of proxies (default 10 s). */
  usageReportIntervalMs?: number;
  recordForecasts?: ForecastRecording | false;
  /** Retraining period on the service clock (default 6 h; 0 = off). */
  retrainEveryMs?: number;
  /**
   * Store writer tuning. Each usage report waits until it is durable, one at a time per proxy, so
   * the batch interval (default 1 s) bounds reports per proxy per second: lower it when time runs
   * faster than real (the demo).
   */
  storeWriter?: StoreOptions['writer'];
  /** Run the first cycle at start (default true) or wait for the first aligned tick. */
  runFirstCycle?: boolean;
  /** How long to wait for InfluxDB to answer at start before giving up (default 10 s). */
  influxWaitMs?: number;
  /**
   * With leader election: whether this replica may act now, checked before every publish and plan
   * record (fence.ts). Default: no fence.
   */
  fence?: Fence;
  /** Called once the gRPC, API and metrics ports listen, before the warm-up and the first cycle. */
  onListening?: () => void;
  onCycle?: (r: CycleReport) => void;
}

export interface ServiceStatus {
  cycle: CycleStatus;
  retraining: RetrainingStatus;
  forecast: ReturnType<ForecastEngine['status']>;
  warmup: { steps: number; users: number; error?: string };
  scaling: ScalingStatus;
}

export interface ControlPlane {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly store: Store;
  readonly engine: ForecastEngine;
  readonly distribution: DistributionServer;
  readonly cycle: Cycle;
  readonly state: StoreState;
  readonly apiUrl: string;
  /** The token-free metrics listener's /metrics, when settings.metricsPort is set. */
  readonly metricsUrl?: string;
  readonly apiToken: string;
  /** Where a generated API token was written (absent when it came from the settings). */
  readonly apiTokenFile?: string;
  /** The dashboard with the token in the URL fragment (never sent to the server). */
  readonly dashboardUrl: string;
  /** host:port of the gRPC distribution server (what proxies' earmark_control_plane cluster names). */
  readonly grpcAddress: string;
  readonly grpcToken: string;
  currentPlan(): Plan | undefined;
  status(): ServiceStatus;
  stop(): Promise<void>;
}

export async function startControlPlane(
  settings: Settings,
  o: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const clock = o.clock ?? new SystemClock();
  const logger = o.logger ?? leveledLogger(settings.logLevel);
  const registry = o.registry ?? createRegistry();
  const closers: (() => Promise<unknown> | unknown)[] = [];
  // Each closer runs once, newest first; a failing one is logged and the rest still run.
  const closeAll = async () => {
    for (let c = closers.pop(); c; c = closers.pop())
      await Promise.resolve()
        .then(c)
        .catch((e) => logger.error('stopping a part failed', { error: String(e?.message ?? e) }));
  };
  warnIfHistoryShort(settings.historySteps, settings.forecastStepMs, logger);
  try {
    await waitForInflux(settings.influxUrl, o.influxWaitMs ?? 10_000);
    const store = await Store.open({
      url: settings.influxUrl,
      database: settings.influxDatabase,
      spoolDir: settings.spoolDir,
      writer: o.storeWriter,
      log: logger,
    });
    closers.push(async () => {
      await store.flush();
      await store.close();
    });
    await store.schemaReady;
    const forecastStepMs = settings.forecastStepMs;
    let planProvider: () => Plan | undefined = () => undefined;
    const state = new StoreState({
      store,
      now: () => clock.now(),
      forecastStepMs,
      plan: () => planProvider(),
      proxies: () => distribution.nodes().map(proxyStatusOf),
      cycle: {
        status: () => cycle.status(),
        recent: (n) => cycle.recent(n),
        trigger: () => cycle.trigger(),
      },
      checks: () => [cycleCheck(cycle.status()), distributionCheck(grpcAddress, distribution.nodes())],
    });
    logger.info(await seedPolicy(state, settings.policyFile || DEFAULT_POLICY_FILE, clock.now()));

    const registryDir = path.resolve(settings.modelsDir || path.join(settings.dataDir, 'models'));
    const modelFile =
      o.modelFile !== undefined ? o.modelFile : (championModelFile(registryDir, DEFAULT_MODEL_FILE) ?? null);
    const engine =
      o.engine ??
      (await createForecastEngine({
        modelFile,
        horizon: settings.forecastHorizonSteps,
        onModelError: (e) => logger.warn('forecast model unavailable; using baselines', { error: e.message }),
      }));
    if (!o.engine) closers.push(() => engine.close());

    const metrics = new CycleMetrics(registry);
    const reportIntervalMs = o.usageReportIntervalMs ?? 10_000;
    // The usage sink is the top-up, which needs the cycle, which needs the server: wired below.
    const intake = new UsageIntake();
    const distribution = new DistributionServer({
      auth: settings.grpcToken ? { tokens: [settings.grpcToken] } : { none: true },
      usageSink: intake,
      registry,
      logger,
      clock,
      usage: { reportIntervalMs },
    });
    const publisher = fencedPublisher(distribution, o.fence);
    const stages = new CycleStages({
      store,
      engine,
      policies: new PolicySource(store),
      publisher,
      fence: o.fence,
      intervalMs: settings.cycleIntervalMs,
      stepMs: forecastStepMs,
      historySteps: settings.historySteps,
      settleMs: o.settleMs ?? reportIntervalMs + 2000,
      horizonSteps: settings.forecastHorizonSteps,
      recordForecasts: o.recordForecasts ?? {},
    });
    const cycle = new Cycle({
      clock,
      stages,
      metrics,
      logger,
      intervalMs: settings.cycleIntervalMs,
      stepMs: forecastStepMs,
      settleMs: o.settleMs ?? reportIntervalMs + 2000,
      onReport: o.onCycle,
      onPublished: (plan, policy) => scaling.deliver(plan, policy),
    });
    const scaling = new ScalingDeliverer({ clock, cycleMs: settings.cycleIntervalMs, metrics, logger });
    planProvider = () => cycle.currentPlan;
    intake.target = new ShortfallTopUp({ sink: store, cycle, publisher, metrics, logger });

    // A restarted control plane serves the last stored plan until its first cycle, so proxies that
    // resync never see their reservations withdrawn in between.
    const stored = await store.readLatestPlan();
    if (stored && [...stored.reservations.values()].some((r) => r.expiresMs > clock.now())) {
      publisher.publishPlan(stored);
      cycle.adopt(stored);
      logger.info('serving the last stored plan until the first cycle', { plan: stored.version });
    }
    const grpc = await distribution.start({ host: settings.grpcHost, port: settings.grpcPort });
    closers.push(async () => {
      await distribution.stop();
      // Streams the proxies ended themselves may still be writing their last reports.
      await intake.quiet();
    });
    const grpcAddress = `${grpc.host}:${grpc.port}`;

    const { token, file } = resolveToken(settings);
    const api = createApi({
      state,
      tokens: [token],
      registry,
      now: () => clock.now(),
      bodyLimitBytes: settings.apiBodyLimitBytes,
      dashboard: { public: settings.dashboardPublic },
      logger,
    });
    const server: ApiServer = await startApiServer(api.app, settings.apiHost, settings.apiPort);
    closers.push(() => server.close());
    const metricsServer =
      settings.metricsPort > 0
        ? await startMetricsServer(registry, settings.apiHost, settings.metricsPort)
        : undefined;
    if (metricsServer) closers.push(() => metricsServer.close());
    o.onListening?.();

    const warmup: ServiceStatus['warmup'] = { steps: 0, users: 0 };
    try {
      Object.assign(
        warmup,
        await stages.warmUp(clock.now(), o.warmupSteps ?? 60, o.warmupBudgetMs ?? 20_000),
      );
    } catch (err) {
      warmup.error = (err as Error).message;
      logger.warn('warm-up skipped', { error: warmup.error });
    }
    cycle.start(o.runFirstCycle ?? true);
    closers.push(() => cycle.stop());
    const retraining = new RetrainingSchedule({
      clock,
      everyMs: o.retrainEveryMs ?? 6 * 3600_000,
      engine,
      registryDir,
      defaultModelFile: DEFAULT_MODEL_FILE,
      store,
      stepMs: forecastStepMs,
      steps: Math.max(settings.historySteps, 1440),
      logger,
    });
    retraining.start();
    closers.push(() => retraining.stop());

    return {
      settings,
      clock,
      logger,
      registry,
      store,
      engine,
      distribution,
      cycle,
      state,
      apiUrl: server.url,
      metricsUrl: metricsServer && `${metricsServer.url}/metrics`,
      apiToken: token,
      apiTokenFile: file,
      dashboardUrl: `${server.url}/dashboard/#token=${encodeURIComponent(token)}`,
      grpcAddress,
      grpcToken: settings.grpcToken,
      currentPlan: () => cycle.currentPlan,
      status: () => ({
        cycle: cycle.status(),
        retraining: retraining.status(),
        forecast: engine.status(),
        warmup: { ...warmup },
        scaling: scaling.status(),
      }),
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
