/**
 * Prometheus in the demo stack: its config passes `promtool check config` with the alert rules laid
 * out as the container sees them, the rules are the control plane's own file mounted as is, and
 * the scrape targets are the compose services' real ports (Envoy's metrics listener in envoy.yaml,
 * the control plane's API port) with the API token the control plane is given.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { RULES_FILE, promtool } from '../../control-plane/telemetry/alerts/promtool';

const ROOT = path.join(__dirname, '..', '..');
const read = (...p: string[]) => parse(fs.readFileSync(path.join(ROOT, ...p), 'utf8'));
const CONFIG = path.join(ROOT, 'envoy', 'compose', 'prometheus', 'prometheus.yml');

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  authorization?: { type: string; credentials: string };
  static_configs: { targets: string[] }[];
}

/** The host path bound at `target` in a compose service (short syntax). */
function boundAt(service: { volumes?: string[] }, target: string): string | undefined {
  for (const v of service.volumes ?? []) {
    const [src, dst] = v.split(':');
    if (dst === target) return path.resolve(ROOT, src);
  }
  return undefined;
}

/** The config and the rules laid out as in the container (/etc/prometheus), in a scratch folder. */
function containerLayout(config: string): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'earmark-compose-prom-'));
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  fs.mkdirSync(path.join(dir, 'alerts'));
  fs.copyFileSync(RULES_FILE, path.join(dir, 'alerts', 'earmark.rules.yaml'));
  return dir;
}

describe('compose: Prometheus with the alert rules', () => {
  const compose = read('docker-compose.yaml');
  const prom = compose.services.prometheus;
  const config = read('envoy', 'compose', 'prometheus', 'prometheus.yml');

  it('mounts its config and the control plane alert rules folder itself', () => {
    assert.equal(boundAt(prom, '/etc/prometheus/prometheus.yml'), CONFIG);
    assert.equal(boundAt(prom, '/etc/prometheus/alerts'), path.dirname(RULES_FILE));
    assert.deepEqual(config.rule_files, ['alerts/earmark.rules.yaml']);
    assert.ok(prom.command.includes('--config.file=/etc/prometheus/prometheus.yml'));
  });

  it('passes promtool check config, rules included', () => {
    const dir = containerLayout(fs.readFileSync(CONFIG, 'utf8'));
    try {
      const r = promtool(['check', 'config', path.join(dir, 'prometheus.yml')], dir);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
      assert.match(r.output, /SUCCESS: \d+ rules found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('and promtool refuses a broken one (the check can fail)', () => {
    const dir = containerLayout(
      fs.readFileSync(CONFIG, 'utf8').replace('scrape_interval: 15s', 'scrape_interval: soon'),
    );
    try {
      const r = promtool(['check', 'config', path.join(dir, 'prometheus.yml')], dir);
      assert.equal(r.status, 1, r.output);
      assert.match(r.output, /soon/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("scrapes Envoy's metrics listener and the control plane's API port, with its API token", () => {
    const jobs = Object.fromEntries((config.scrape_configs as ScrapeConfig[]).map((j) => [j.job_name, j]));
    const envoy = jobs['envoy'];
    assert.equal(envoy.metrics_path, '/stats/prometheus');
    const [envoyHost, envoyPort] = envoy.static_configs[0].targets[0].split(':');
    assert.ok(compose.services[envoyHost], `service ${envoyHost}`);
    const envoyYaml = fs.readFileSync(path.join(ROOT, 'envoy', 'envoy.yaml'), 'utf8');
    assert.match(
      envoyYaml,
      new RegExp(`port_value: ${envoyPort} \\}[\\s\\S]*?match: \\{ path: /stats/prometheus \\}`),
    );
    const cp = jobs['earmark-control-plane'];
    const [cpHost, cpPort] = cp.static_configs[0].targets[0].split(':');
    const cpEnv = compose.services[cpHost].environment;
    assert.equal(cpEnv.EARMARK_API_PORT, cpPort);
    assert.deepEqual(cp.authorization, { type: 'Bearer', credentials: cpEnv.EARMARK_API_TOKEN });
    assert.equal(cp.metrics_path ?? '/metrics', '/metrics');
  });
});
