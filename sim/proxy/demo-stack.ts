/**
 * Everything `earmark start` runs, in start order and stopped in reverse: a local influxd (unless the
 * settings name one), the control plane on a SimClock, the simulated world (DemoTraffic) and the
 * pacer that makes time run `speed` times faster than real time. Prints one line per cycle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings } from '../../control-plane/config';
import { SimClock } from '../../control-plane/domain/clock';
import { startControlPlane, type ControlPlane } from '../../control-plane/service';
import { runningInstance, startLocalInflux, type LocalInflux } from '../../scripts/influxdb/local-influxd';
import { progressLine } from './demo-console';
import { DemoTraffic } from './demo-traffic';
import { writeDemoPrometheusConfig } from './demo-prometheus';
import { Pacer } from './pacer';
import type { DecisionCounts } from './traffic';

export interface DemoOptions {
  speed: number;
  users: number;
  proxies: number;
  workers: number;
  instances: number;
  seed: number;
  historyMs: number;
  /** Start a local influxd under dataDir/influxdb (else settings.influxUrl is used as is). */
  localInflux: boolean;
}

/** Simulated time only moves forward across runs, so stored "latest" state is never from the future. */
function clockFile(s: Settings): string {
  return path.resolve(s.dataDir, 'demo-clock.json');
}
function startTime(s: Settings): number {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  try {
    const last = Number(JSON.parse(fs.readFileSync(clockFile(s), 'utf8')).simulatedMs);
    return Number.isFinite(last) ? Math.max(now, Math.ceil(last / 60_000) * 60_000 + 60_000) : now;
  } catch {
    return now;
  }
}

export class DemoStack {
  readonly clock: SimClock;
  readonly pacer: Pacer;
  influx: LocalInflux | undefined;
  private startedInflux = false;
  cp: ControlPlane | undefined;
  traffic: DemoTraffic | undefined;
  private lastMinute: { startMs: number; counts: DecisionCounts } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly settings: Settings,
    private readonly o: DemoOptions,
    private readonly say: (line: string) => void,
  ) {
    this.clock = new SimClock(startTime(settings));
    this.pacer = new Pacer(this.clock, o.speed);
  }

  /** Starts each part in turn; stops early (leaving the rest unstarted) once `stopAsked()` is true. */
  async start(stopAsked: () => boolean): Promise<void> {
    const { settings, o, say } = this;
    if (o.localInflux) {
      const dir = path.resolve(settings.dataDir, 'influxdb');
      const running = await runningInstance(dir);
      // Its own process group: Ctrl-C reaches only us, and we stop influxd after the last flush.
      this.influx = running ?? (await startLocalInflux({ dir, detached: true }));
      this.startedInflux = !running;
      // Detached, influxd would outlive a crash of this process: take it down on any exit.
      if (this.startedInflux) process.once('exit', this.killInflux);
      settings.influxUrl = this.influx.url;
      say(
        `InfluxDB ${running ? 'already running' : 'started'}: ${this.influx.url} (pid ${this.influx.pid}, data in ${dir})`,
      );
    }
    if (stopAsked()) return;
    const cp = (this.cp = await startControlPlane(settings, {
      clock: this.clock,
      // Every usage report waits for its batch: batches must close as fast as simulated time runs.
      storeWriter: { flushIntervalMs: Math.max(20, Math.round(1000 / o.speed)) },
      runFirstCycle: false,
      onCycle: (report) => {
        const fleet = this.traffic?.fleet;
        const print = () =>
          say(
            progressLine({
              report,
              minute: this.lastMinute,
              proxyVersions: fleet?.planVersions() ?? [],
              lagMs: this.pacer.lagMs,
            }),
          );
        if (!report.ok || !fleet) return print();
        void fleet
          .waitForPlan(report.planVersion!, 1000)
          .catch(() => undefined)
          .then(print);
      },
    }));
    say(`control plane: API ${cp.apiUrl}, gRPC ${cp.grpcAddress} (proxy token required)`);
    if (stopAsked()) return;
    const traffic = (this.traffic = new DemoTraffic({
      clock: this.clock,
      controlPlane: cp.grpcAddress,
      token: cp.grpcToken,
      registry: cp.state,
      store: cp.store,
      users: o.users,
      seed: o.seed,
      proxies: o.proxies,
      workers: o.workers,
      instances: o.instances,
      capacity: { slots: 256, cpuMillicores: 4000, memoryMb: 16384, bandwidthKbps: 1_000_000 },
      historyMs: o.historyMs,
    }));
    await traffic.start();
    traffic.driver.onMinute = (startMs, counts) => (this.lastMinute = { startMs, counts });
    say(
      `simulation: ${o.users} users (seed ${o.seed}), ${o.proxies} proxies × ${o.workers} workers, ` +
        `${o.instances} companion instances, ${o.speed}× real time` +
        (traffic.backfilledMinutes
          ? `; wrote ${traffic.backfilledMinutes} minutes of usage history first`
          : ''),
    );
    say(
      `proxies' metrics (as Envoy's /stats/prometheus): ${traffic.adminUrls.map((u) => `${u}/stats/prometheus`).join(' ')}`,
    );
    const promConfig = writeDemoPrometheusConfig(path.resolve(settings.dataDir), {
      apiUrl: cp.apiUrl,
      apiToken: cp.apiToken,
      proxyAdmins: traffic.adminUrls,
    });
    say(`Prometheus config with the alert rules: ${promConfig}`);
    say(`\ndashboard: ${cp.dashboardUrl}`);
    say(`API token: ${cp.apiTokenFile ? `in ${cp.apiTokenFile}` : 'from your settings'} — e.g.`);
    say(`  curl -s -H "authorization: Bearer ${cp.apiToken}" ${cp.apiUrl}/v1/plan | head -c 400`);
    say(`Ctrl-C stops everything.\n`);
    if (stopAsked()) return;
    cp.cycle.trigger();
    this.pacer.start();
  }

  private readonly killInflux = (): void => {
    try {
      if (this.influx) process.kill(this.influx.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };

  /** Stops what was started, newest first: time, workload and proxies, the service, influxd. */
  shutdown(why: string): Promise<void> {
    return (this.stopping ??= (async () => {
      this.say(
        `\nstopping (${why}): workload, proxies, control plane${this.startedInflux ? ', InfluxDB' : ''} ...`,
      );
      await this.pacer.stop();
      await this.traffic?.stop();
      await this.cp?.stop();
      fs.mkdirSync(path.dirname(clockFile(this.settings)), { recursive: true });
      fs.writeFileSync(clockFile(this.settings), JSON.stringify({ simulatedMs: this.clock.now() }) + '\n');
      if (this.startedInflux) {
        await this.influx?.stop();
        process.off('exit', this.killInflux);
      }
      this.say('stopped cleanly.');
    })());
  }
}
