/**
 * `earmark serve`: the whole control plane on the settings: the forecast → allocate → publish cycle,
 * the gRPC distribution server the proxies sync from, and the HTTP API and dashboard, over the store
 * on InfluxDB. (`earmark start` runs the same service inside a local demo stack.)
 */
import { Command, UsageError } from '../command';
import { loadSettings, redactedSettings, SettingsError, settingsHelp, type Settings } from '../../config';
import { startControlPlane, type ControlPlane } from '../../service/control-plane';
import { LeaderConfigError } from '../../leader/in-cluster';
import { runElected } from '../../leader/run-elected';
import { pingOnce } from '../../service/influx-wait';
import { createRegistry } from '../../telemetry/registry';
import type { Logger } from '../../api/logger';
import { StopRequest } from '../stop-request';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

function consoleLogger(level: (typeof LEVELS)[number]): Logger {
  const min = LEVELS.indexOf(level);
  const at = (l: (typeof LEVELS)[number]) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(l) < min) return;
    const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
    process.stderr.write(`${new Date().toISOString()} ${l} ${msg}${extra}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function banner(svc: ControlPlane, settings: { influxUrl: string; influxDatabase: string }): string {
  return [
    `earmark API     ${svc.apiUrl}   (OpenAPI ${svc.apiUrl}/openapi.json, metrics ${svc.apiUrl}/metrics)`,
    `dashboard       ${svc.dashboardUrl}`,
    svc.apiTokenFile ? `API token in    ${svc.apiTokenFile}` : 'API token from  the apiToken setting',
    `plan sync       grpc://${svc.grpcAddress} (proxies: /earmark.v1.ReservationDiscoveryService)`,
    `store           ${settings.influxUrl} database ${settings.influxDatabase}`,
    'Ctrl-C stops.',
    '',
  ].join('\n');
}

/** `serve` with leader election: stand by, lead, stop (control-plane/leader/run-elected.ts). */
async function serveElected(settings: Settings, logger: Logger, stop: StopRequest): Promise<number> {
  const registry = createRegistry();
  const out = await runElected({
    settings,
    logger,
    registry,
    stopRequested: stop.wait(),
    start: (hooks) =>
      startControlPlane(settings, { logger, registry, fence: hooks.fence, onListening: hooks.listening }),
    onLeading: (svc) => process.stdout.write(banner(svc, settings)),
    // A standby is ready only if it could start: its InfluxDB answers.
    preflight: async () => {
      const problem = await pingOnce(settings.influxUrl);
      return problem && `InfluxDB at ${settings.influxUrl} does not answer (${problem})`;
    },
  }).catch((err: unknown) => {
    throw err instanceof LeaderConfigError ? new UsageError(err.message) : err;
  });
  process.stdout.write(`stopped (${out.why}).\n`);
  return out.code;
}

export const command: Command = {
  name: 'serve',
  summary: 'Run the control plane: cycle, gRPC plan distribution, HTTP API and dashboard',
  help: [
    'usage: earmark serve [--config settings.yaml] [--<setting> <value> ...]',
    '',
    'Starts the control plane over the store in InfluxDB at influxUrl (start one with',
    '`npm run influx:start`): every cycleIntervalMs it reads demand, forecasts, allocates and',
    'publishes the plan to the proxies over gRPC on grpcHost:grpcPort (bearer grpcToken); the HTTP',
    'API (/v1, /openapi.json, /metrics, /healthz, /readyz) and the dashboard (/dashboard) listen on',
    'apiHost:apiPort. Stops cleanly on Ctrl-C, SIGTERM or SIGHUP (the store is flushed first).',
    '',
    'The API needs a bearer token. With no apiToken set, a new one is generated at each start, written',
    'to apiTokenFile (mode 0600; `earmark plan` and `earmark reservation` read it there) and printed',
    'as part of the dashboard link (#token=..., which the browser keeps and never sends to a server).',
    '',
    'With policyFile set and no policy stored yet, the file is stored as policy version 1.',
    '',
    'With leaderElection=kubernetes, replicas compete for a Lease (leaseName): the one holding it runs',
    'the control plane, the others stand by (healthy and ready to take over, 503 STANDBY to anything',
    'else on the API port; in a pod, labeled earmark.io/role=standby while the leader is labeled',
    'leader, which the Service selects) and take over within about leaseDurationMs when it stops or',
    'fails. A leader that loses the lease stops at once and exits 1, so that its pod restarts as a',
    'standby (control-plane/leader/README.md).',
    'For a self-contained demo with emulated proxies and synthetic traffic, use `earmark start`.',
    '',
    'settings (file < environment < flags):',
    settingsHelp(),
    '',
    'examples:',
    '  earmark serve',
    '  EARMARK_API_PORT=9090 earmark serve --policy-file control-plane/allocate/policies/default.yaml',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    let settings;
    try {
      settings = loadSettings({ argv }).settings;
    } catch (err) {
      if (err instanceof SettingsError) throw new UsageError(err.message);
      throw err;
    }
    const logger = consoleLogger(settings.logLevel);
    logger.debug('settings', redactedSettings(settings));
    // Listen first: a signal during start-up is kept and stops the service once it is up, instead of
    // killing the process half-started.
    const stop = new StopRequest();
    try {
      if (settings.leaderElection === 'kubernetes') return await serveElected(settings, logger, stop);
      const svc = await startControlPlane(settings, { logger });
      process.stdout.write(banner(svc, settings));
      const why = await stop.wait();
      process.stdout.write(`stopping (${why})…\n`);
      await svc.stop();
    } finally {
      stop.dispose();
    }
    return 0;
  },
};
