/**
 * `earmark start` (`npm start`): the whole local stack on embedded defaults — a local InfluxDB, the
 * control plane, emulated Envoy proxies running build/earmark.wasm synced over gRPC, simulated
 * companion instances and the synthetic workload — on a clock running --speed times real time.
 * Ctrl-C stops it all cleanly.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Command, UsageError } from '../command';
import {
  loadSettings,
  parseDurationMs,
  SETTINGS,
  SettingsError,
  settingsHelp,
  type Settings,
} from '../../config';
import { suggest } from '../../config/load-settings';
import { SimClock } from '../../domain/clock';
import { startControlPlane, type ControlPlane } from '../../service';
import { runningInstance, startLocalInflux, type LocalInflux } from '../../../scripts/influxdb/local-influxd';
import { DemoTraffic } from '../../../sim/proxy/demo-traffic';
import { progressLine } from '../../../sim/proxy/demo-console';
import { Pacer } from '../../../sim/proxy/pacer';
import type { DecisionCounts } from '../../../sim/proxy/traffic';
import { randomBytes } from 'node:crypto';

const DEMO = { speed: 30, users: 50, proxies: 2, workers: 2, instances: 4, seed: 1, history: '24h' };
const DEMO_FLAGS = [
  '--speed',
  '--users',
  '--proxies',
  '--workers',
  '--instances',
  '--seed',
  '--history',
  '--run-for',
];

const HELP = `usage: earmark start [options] [setting flags]

Runs Earmark's local demo stack until Ctrl-C:
  - a local InfluxDB (Debian's influxd; data under var/influxdb), unless --influx-url is given;
  - the control plane: the forecast -> allocate -> publish cycle, the gRPC distribution server and the
    HTTP API with its dashboard;
  - emulated Envoy proxies, each running build/earmark.wasm (filter on every worker, sync root as a
    singleton) synced over real gRPC;
  - simulated companion instances and the synthetic workload (diurnal, bursty and sparse users).
Time runs --speed times faster than real time, so cycles, plans and the dashboard fill within a
minute. The console shows one line per cycle. Ctrl-C stops the workload, the proxies, the service
(flushing the writer) and the InfluxDB it started, then exits 0.

options:
  --speed <x>        simulated seconds per real second (default ${DEMO.speed}: a simulated minute every 2 s; 1 = real time)
  --users <n>        synthetic users (default ${DEMO.users})
  --proxies <n>      emulated Envoy proxies (default ${DEMO.proxies})
  --workers <n>      worker threads per proxy (default ${DEMO.workers})
  --instances <n>    simulated companion instances (default ${DEMO.instances})
  --seed <n>         workload seed (default ${DEMO.seed}); the same seed gives the same users
  --history <dur>    usage history written first when the store has none (default ${DEMO.history}; 0 = none)
  --run-for <dur>    stop by itself after this much real time (e.g. 5m; default: until Ctrl-C)

setting flags (the same as \`earmark serve\`; the demo uses the defaults except where noted):
${settingsHelp()}

The dashboard URL printed at start carries the API token in its fragment. The token is also written
to var/api-token (apiTokenFile); use it as: curl -H "authorization: Bearer $(cat var/api-token)" ...

example: npm start -- --speed 60 --users 200`;

interface DemoArgs {
  speed: number;
  users: number;
  proxies: number;
  workers: number;
  instances: number;
  seed: number;
  historyMs: number;
  runForMs: number;
}

function parseDemoArgs(rest: string[]): DemoArgs {
  const out: DemoArgs = { ...DEMO, historyMs: 24 * 3600_000, runForMs: 0 };
  const positive = (name: string, v: string, integer: boolean) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new UsageError(`--${name} needs a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split('=', 2);
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const duration = (v: string) => {
      const ms = parseDurationMs(v);
      if (ms === undefined) throw new UsageError(`${flag} needs a duration like 90s, 5m or 24h, got "${v}"`);
      return ms;
    };
    if (flag === '--speed') out.speed = positive('speed', value(), false);
    else if (flag === '--users') out.users = positive('users', value(), true);
    else if (flag === '--proxies') out.proxies = positive('proxies', value(), true);
    else if (flag === '--workers') out.workers = positive('workers', value(), true);
    else if (flag === '--instances') out.instances = positive('instances', value(), true);
    else if (flag === '--seed') out.seed = positive('seed', value(), true);
    else if (flag === '--history') out.historyMs = duration(value());
    else if (flag === '--run-for') out.runForMs = duration(value());
    else {
      const near = suggest(flag, [...DEMO_FLAGS, ...SETTINGS.map((d) => d.flag)]);
      throw new UsageError(`unknown option ${rest[i]}${near ? ` (did you mean ${near}?)` : ''}`);
    }
  }
  return out;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
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

export const command: Command = {
  name: 'start',
  summary: 'Run the local demo: InfluxDB, control plane, emulated Envoy proxies, synthetic users',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    let loaded;
    try {
      loaded = loadSettings({ env: process.env, argv, allowOtherFlags: true });
    } catch (err) {
      if (err instanceof SettingsError) throw new UsageError(err.message);
      throw err;
    }
    const demo = parseDemoArgs(loaded.rest);
    const settings: Settings = { ...loaded.settings };
    const say = (line: string) => process.stdout.write(line + '\n');
    // Embedded defaults: fall back to free ports rather than failing when the usual ones are taken.
    if (loaded.origin.apiPort === 'default' && !(await portFree(settings.apiHost, settings.apiPort)))
      settings.apiPort = 0;
    if (loaded.origin.grpcPort === 'default' && !(await portFree(settings.grpcHost, settings.grpcPort)))
      settings.grpcPort = 0;
    if (!settings.grpcToken) settings.grpcToken = randomBytes(18).toString('base64url');
    if (loaded.origin.logLevel === 'default') settings.logLevel = 'warn';

    let influx: LocalInflux | undefined;
    let startedInflux = false;
    if (loaded.origin.influxUrl === 'default') {
      const dir = path.resolve(settings.dataDir, 'influxdb');
      const running = await runningInstance(dir);
      // Its own process group: Ctrl-C reaches only us, and we stop influxd after the last flush.
      influx = running ?? (await startLocalInflux({ dir, detached: true }));
      startedInflux = !running;
      settings.influxUrl = influx.url;
      say(
        `InfluxDB ${running ? 'already running' : 'started'}: ${influx.url} (pid ${influx.pid}, data in ${dir})`,
      );
    }
    const clock = new SimClock(startTime(settings));
    const pacer = new Pacer(clock, demo.speed);
    let traffic: DemoTraffic | undefined;
    let cp: ControlPlane | undefined;
    let lastMinute: { startMs: number; counts: DecisionCounts } | undefined;
    let stopping: Promise<number> | undefined;

    const shutdown = (why: string): Promise<number> =>
      (stopping ??= (async () => {
        say(`\nstopping (${why}): workload, proxies, control plane${startedInflux ? ', InfluxDB' : ''} ...`);
        await pacer.stop();
        await traffic?.stop();
        await cp?.stop();
        fs.mkdirSync(path.dirname(clockFile(settings)), { recursive: true });
        fs.writeFileSync(clockFile(settings), JSON.stringify({ simulatedMs: clock.now() }) + '\n');
        if (startedInflux) await influx?.stop();
        say('stopped cleanly.');
        return 0;
      })());
    try {
      cp = await startControlPlane(settings, {
        clock,
        storeWriter: { flushIntervalMs: Math.max(20, Math.round(1000 / demo.speed)) },
        runFirstCycle: false,
        onCycle: (report) => {
          const versions = () => traffic?.fleet?.planVersions() ?? [];
          const print = () =>
            say(progressLine({ report, minute: lastMinute, proxyVersions: versions(), lagMs: pacer.lagMs }));
          if (!report.ok || !traffic?.fleet) return print();
          void traffic.fleet
            .waitForPlan(report.planVersion!, 1000)
            .catch(() => undefined)
            .then(print);
        },
      });
      say(`control plane: API ${cp.apiUrl}, gRPC ${cp.grpcAddress} (proxy token required)`);
      traffic = new DemoTraffic({
        clock,
        controlPlane: cp.grpcAddress,
        token: cp.grpcToken,
        registry: cp.state,
        store: cp.store,
        users: demo.users,
        seed: demo.seed,
        proxies: demo.proxies,
        workers: demo.workers,
        instances: demo.instances,
        capacity: { slots: 256, cpuMillicores: 4000, memoryMb: 16384, bandwidthKbps: 1_000_000 },
        historyMs: demo.historyMs,
      });
      await traffic.start();
      traffic.driver.onMinute = (startMs, counts) => (lastMinute = { startMs, counts });
      say(
        `simulation: ${demo.users} users (seed ${demo.seed}), ${demo.proxies} proxies × ${demo.workers} workers, ` +
          `${demo.instances} companion instances, ${demo.speed}× real time` +
          (traffic.backfilledMinutes
            ? `; wrote ${traffic.backfilledMinutes} minutes of usage history first`
            : ''),
      );
      say(`\ndashboard: ${cp.dashboardUrl}`);
      say(`API token: ${cp.apiTokenFile ? `in ${cp.apiTokenFile}` : 'from your settings'} — e.g.`);
      say(`  curl -s -H "authorization: Bearer ${cp.apiToken}" ${cp.apiUrl}/v1/plan | head -c 400`);
      say(`Ctrl-C stops everything.\n`);
      cp.cycle.trigger();
      pacer.start();
    } catch (err) {
      await shutdown('start failed').catch(() => undefined);
      throw err;
    }
    return new Promise<number>((resolve) => {
      const onSignal = (sig: string) => {
        process.once(sig as NodeJS.Signals, () => process.exit(130)); // a second Ctrl-C: give up waiting
        shutdown(sig).then(resolve, (err) => {
          process.stderr.write(`earmark start: stopping failed: ${err?.message ?? err}\n`);
          resolve(1);
        });
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      if (demo.runForMs > 0) setTimeout(() => onSignal('--run-for elapsed'), demo.runForMs).unref();
    });
  },
};
