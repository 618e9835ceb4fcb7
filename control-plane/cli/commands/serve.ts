/** `earmark serve`: the HTTP API (and dashboard) on the settings, over the store on InfluxDB. */
import { Command, UsageError } from '../command';
import { loadSettings, redactedSettings, SettingsError, settingsHelp } from '../../config';
import { startApiService } from '../../api/api-service';
import type { Logger } from '../../api/logger';

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

export const command: Command = {
  name: 'serve',
  summary: 'Run the control plane HTTP API and dashboard (reads InfluxDB)',
  help: [
    'usage: earmark serve [--config settings.yaml] [--<setting> <value> ...]',
    '',
    'Starts the HTTP API (/v1, /openapi.json, /metrics, /healthz, /readyz) and the dashboard',
    '(/dashboard) on apiHost:apiPort, over the store in InfluxDB at influxUrl (start one with',
    '`npm run influx:start`). Stops cleanly on Ctrl-C.',
    '',
    'The API needs a bearer token. With no apiToken set, a new one is generated at each start, written',
    'to apiTokenFile (mode 0600; `earmark plan` and `earmark reservation` read it there) and printed',
    'as part of the dashboard link (#token=..., which the browser keeps and never sends to a server).',
    '',
    'This runs the API only; the forecast → allocate → publish cycle and the gRPC distribution',
    'server join it in the full service (`npm start`). With policyFile set and no policy stored yet,',
    'the file is stored as policy version 1.',
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
    const svc = await startApiService(settings, { logger });
    process.stdout.write(
      [
        `earmark API     ${svc.url}   (OpenAPI ${svc.url}/openapi.json, metrics ${svc.url}/metrics)`,
        `dashboard       ${svc.dashboardUrl}`,
        svc.tokenFile ? `API token in    ${svc.tokenFile}` : 'API token from  the apiToken setting',
        `store           ${settings.influxUrl} database ${settings.influxDatabase}`,
        'Ctrl-C stops.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write('stopping…\n');
    await svc.close();
    return 0;
  },
};
