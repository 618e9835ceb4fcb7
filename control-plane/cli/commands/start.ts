/**
 * `earmark start` (`npm start`): the whole local stack on embedded defaults — a local InfluxDB, the
 * control plane, emulated Envoy proxies running build/earmark.wasm synced over gRPC, simulated
 * companion instances and the synthetic workload — on a clock running --speed times real time.
 * Ctrl-C stops it all cleanly.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
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
import { DemoStack, type DemoOptions } from '../../../sim/proxy/demo-stack';
import { StopRequest } from '../stop-request';

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
minute. The console shows one line per cycle. Ctrl-C (or SIGTERM, SIGHUP) stops the workload, the proxies, the service
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

type DemoArgs = Omit<DemoOptions, 'localInflux'> & { runForMs: number };

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
    // Embedded defaults: fall back to free ports rather than failing when the usual ones are taken.
    if (loaded.origin.apiPort === 'default' && !(await portFree(settings.apiHost, settings.apiPort)))
      settings.apiPort = 0;
    if (loaded.origin.grpcPort === 'default' && !(await portFree(settings.grpcHost, settings.grpcPort)))
      settings.grpcPort = 0;
    if (!settings.grpcToken) settings.grpcToken = randomBytes(18).toString('base64url');
    if (loaded.origin.logLevel === 'default') settings.logLevel = 'warn';

    // Signals first: a Ctrl-C during start-up stops what has started so far.
    const stop = new StopRequest();
    const stack = new DemoStack(
      settings,
      { ...demo, localInflux: loaded.origin.influxUrl === 'default' },
      (line) => process.stdout.write(line + '\n'),
    );
    try {
      await stack.start(() => stop.asked !== undefined);
    } catch (err) {
      await stack.shutdown('start failed').catch(() => undefined);
      stop.dispose();
      throw err;
    }
    const why = await stop.wait(demo.runForMs);
    try {
      await stack.shutdown(why);
      return 0;
    } catch (err) {
      process.stderr.write(`earmark start: stopping failed: ${(err as Error).message}\n`);
      return 1;
    } finally {
      stop.dispose();
    }
  },
};
