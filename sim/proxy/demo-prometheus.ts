/**
 * A Prometheus configuration for the running demo (`earmark start`): scrape its control plane
 * (with the API token) and every emulated proxy's /stats/prometheus, and evaluate Earmark's alert
 * rules. The ports change from run to run, so the demo writes it anew each time and prints how to
 * start the Prometheus that scripts/install-deps.sh extracted into var/tools/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RULES = path.resolve(__dirname, '../../control-plane/telemetry/alerts/earmark.rules.yaml');

export interface DemoScrapeTargets {
  /** The control plane's API base URL (its /metrics wants the bearer token). */
  apiUrl: string;
  apiToken: string;
  /** Each proxy's admin base URL (http://host:port). */
  proxyAdmins: string[];
}

export function demoPrometheusConfig(t: DemoScrapeTargets, tokenFile: string): string {
  const host = (u: string) => new URL(u).host;
  return [
    '# Written by `earmark start` for this run (its ports change from run to run). Start it with',
    `#   var/tools/prometheus --config.file=<this file> --storage.tsdb.path=<a folder> --web.listen-address=127.0.0.1:9090`,
    '# then open http://127.0.0.1:9090/alerts. Timing alerts follow real time, not the simulated clock.',
    'global:',
    '  scrape_interval: 5s',
    '  evaluation_interval: 5s',
    'rule_files:',
    `  - ${JSON.stringify(RULES)}`,
    'scrape_configs:',
    '  - job_name: earmark-control-plane',
    '    authorization:',
    '      type: Bearer',
    `      credentials_file: ${JSON.stringify(tokenFile)}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(host(t.apiUrl))}]`,
    '  - job_name: envoy',
    '    metrics_path: /stats/prometheus',
    '    static_configs:',
    `      - targets: [${t.proxyAdmins.map((u) => JSON.stringify(host(u))).join(', ')}]`,
    '',
  ].join('\n');
}

/**
 * Writes the config (and the token it reads, mode 0600, so a token from the settings never lands in
 * a world-readable file) under `dir`; returns the config's path.
 */
export function writeDemoPrometheusConfig(dir: string, t: DemoScrapeTargets): string {
  fs.mkdirSync(dir, { recursive: true });
  const tokenFile = path.join(dir, 'prometheus-api-token');
  fs.writeFileSync(tokenFile, t.apiToken + '\n', { mode: 0o600 });
  fs.chmodSync(tokenFile, 0o600);
  const file = path.join(dir, 'prometheus-demo.yml');
  fs.writeFileSync(file, demoPrometheusConfig(t, tokenFile));
  return file;
}
