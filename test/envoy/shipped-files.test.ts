/**
 * `npm run check:envoy` checks every config under envoy/, including one added later without
 * being listed anywhere: the list is a walk of the folder, not a hand-kept list.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkFiles, NOT_CONFIG_DIRS, shippedFiles } from '../../envoy/check/check';

const ROOT = path.join(__dirname, '..', '..');

function configsUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return configsUnder(p);
    return /\.(ya?ml|json)$/.test(e.name) ? [p] : [];
  });
}

describe('check-envoy: which files', () => {
  it('checks every YAML and JSON file under envoy/ except the checker and the Grafana and Prometheus provisioning', () => {
    const shipped = new Set(shippedFiles());
    const skipped = NOT_CONFIG_DIRS.map((d) => path.join(ROOT, 'envoy', d) + path.sep);
    for (const f of configsUnder(path.join(ROOT, 'envoy'))) {
      if (skipped.some((d) => f.startsWith(d))) continue;
      assert.ok(shipped.has(f), `${path.relative(ROOT, f)} is not checked`);
    }
    assert.ok(shipped.has(path.join(ROOT, 'docker-compose.yaml')));
  });

  it('picks up a config added later (JSON too) and reports its mistakes', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-shipped-'));
    try {
      fs.mkdirSync(path.join(root, 'envoy', 'examples'), { recursive: true });
      fs.mkdirSync(path.join(root, 'envoy', 'compose', 'grafana'), { recursive: true });
      fs.writeFileSync(path.join(root, 'envoy', 'compose', 'grafana', 'ds.yaml'), 'apiVersion: 1\n');
      const added = path.join(root, 'envoy', 'examples', 'edge.json');
      fs.writeFileSync(
        added,
        JSON.stringify({ admin: { adress: { socket_address: { address: '127.0.0.1', port_value: 9901 } } } }),
      );
      const files = shippedFiles(root);
      assert.deepEqual(files, [added]);
      const report = await checkFiles(files, { plugin: false });
      assert.ok(
        report.findings.some(
          (f) => f.severity === 'error' && /adress/.test(f.message) && /address/.test(f.message),
        ),
        JSON.stringify(report.findings),
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
