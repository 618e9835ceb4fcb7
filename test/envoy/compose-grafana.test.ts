/**
 * Grafana in the demo stack: the dashboard Grafana provisions is the control plane's own file
 * (control-plane/api/grafana/earmark.json) mounted as is, not a copy that could go stale, and the
 * provisioned datasource is the one its panels query (InfluxDB, database earmark).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { defaultSettings } from '../../control-plane/config';

const ROOT = path.join(__dirname, '..', '..');
const read = (...p: string[]) => parse(fs.readFileSync(path.join(ROOT, ...p), 'utf8'));

/** Host path mounted at `target` in a compose service (bind mounts, short syntax). */
function hostPathOf(service: { volumes?: string[] }, target: string): string | undefined {
  for (const v of service.volumes ?? []) {
    const [src, dst] = v.split(':');
    if (dst === target) return path.resolve(ROOT, src);
    // A file inside a mounted folder.
    if (target.startsWith(dst + '/')) return path.join(path.resolve(ROOT, src), target.slice(dst.length + 1));
  }
  return undefined;
}

function jsonFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const full = path.join(e.parentPath ?? e.path, e.name);
    return e.isFile() && e.name.endsWith('.json') ? [full] : [];
  });
}

describe('compose: Grafana provisioning', () => {
  const compose = read('docker-compose.yaml');
  const grafana = compose.services.grafana;

  it('provisions the control plane dashboard file itself, and no copy of it exists under envoy/', () => {
    const provisioning = hostPathOf(grafana, '/etc/grafana/provisioning');
    assert.ok(provisioning, 'provisioning folder mounted');
    const providers = parse(
      fs.readFileSync(path.join(provisioning, 'dashboards', 'earmark.yaml'), 'utf8'),
    ).providers;
    const dashboardsDir = hostPathOf(grafana, providers[0].options.path);
    assert.equal(dashboardsDir, path.join(ROOT, 'control-plane', 'api', 'grafana'));
    const files = jsonFilesUnder(dashboardsDir!);
    assert.deepEqual(files, [path.join(ROOT, 'control-plane', 'api', 'grafana', 'earmark.json')]);
    const uid = JSON.parse(fs.readFileSync(files[0], 'utf8')).uid;
    for (const f of jsonFilesUnder(path.join(ROOT, 'envoy'))) {
      const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
      assert.notEqual(doc.uid, uid, `${f} is a copy of the dashboard`);
    }
  });

  it("provisions the datasource its panels query: InfluxDB, the store's database, the stack's influxdb", () => {
    const provisioning = hostPathOf(grafana, '/etc/grafana/provisioning')!;
    const ds = parse(
      fs.readFileSync(path.join(provisioning, 'datasources', 'influxdb.yaml'), 'utf8'),
    ).datasources;
    assert.equal(ds.length, 1);
    const dash = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'control-plane', 'api', 'grafana', 'earmark.json'), 'utf8'),
    );
    const dsVar = dash.templating.list.find((v: { name: string }) => v.name === 'DS_EARMARK');
    assert.equal(dsVar.type, 'datasource');
    assert.equal(ds[0].type, dsVar.query, 'the variable picks a datasource of the provisioned type');
    assert.equal(ds[0].isDefault, true, 'the variable defaults to the default datasource');
    const cp = compose.services['earmark-control-plane'].environment;
    assert.equal(ds[0].jsonData.dbName, cp.EARMARK_INFLUX_DATABASE ?? defaultSettings().influxDatabase);
    assert.equal(ds[0].url, cp.EARMARK_INFLUX_URL);
    assert.ok(grafana.depends_on.influxdb, 'Grafana starts after InfluxDB');
  });

  it('provisions the Prometheus operations dashboard file itself, and the Prometheus it queries', () => {
    const provisioning = hostPathOf(grafana, '/etc/grafana/provisioning')!;
    const providers = parse(fs.readFileSync(path.join(provisioning, 'dashboards', 'earmark.yaml'), 'utf8'))
      .providers as { name: string; options: { path: string } }[];
    const ops = providers.find((p) => p.name === 'earmark-operations');
    assert.ok(ops, 'a provider for the operations dashboard');
    const dir = hostPathOf(grafana, ops.options.path);
    assert.equal(dir, path.join(ROOT, 'control-plane', 'telemetry', 'grafana'));
    const files = jsonFilesUnder(dir!);
    assert.deepEqual(files, [path.join(dir!, 'earmark-operations.json')]);
    const dash = JSON.parse(fs.readFileSync(files[0], 'utf8'));
    const uid = dash.uid;
    for (const f of jsonFilesUnder(path.join(ROOT, 'envoy'))) {
      assert.notEqual(JSON.parse(fs.readFileSync(f, 'utf8')).uid, uid, `${f} is a copy of the dashboard`);
    }
    const dsVar = dash.templating.list.find((v: { name: string }) => v.name === 'DS_PROMETHEUS');
    const ds = parse(
      fs.readFileSync(path.join(provisioning, 'datasources', 'prometheus.yaml'), 'utf8'),
    ).datasources;
    assert.equal(ds.length, 1);
    assert.equal(ds[0].type, dsVar.query, 'the variable picks a datasource of the provisioned type');
    const [host, port] = new URL(ds[0].url).host.split(':');
    assert.ok(compose.services[host], `the datasource names the stack's ${host}`);
    assert.ok(
      compose.services[host].ports.some((p: string) => p.endsWith(`:${port}`)),
      'on its port',
    );
    assert.ok(grafana.depends_on[host], 'Grafana starts after Prometheus');
  });
});
