/**
 * A bad policyFile at start (missing, not YAML, not a valid policy) stops the service with an error
 * naming the file and what is wrong, stores no policy version, and leaves no port open; the same
 * store then starts fine with a good file.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryLogger } from '../../../control-plane/distribute';
import { DEFAULT_POLICY_FILE, startControlPlane } from '../../../control-plane/service';
import { Store } from '../../../control-plane/store';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { testSettings } from './support';

const portFree = (port: number) =>
  new Promise<void>((ok, fail) => {
    const s = net.createServer().once('error', fail);
    s.listen(port, '127.0.0.1', () => s.close(() => ok()));
  });

describe('control-plane/service: a bad policyFile at start', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-bad-policy-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing.yaml', undefined, /cannot read it: ENOENT/],
    ['broken.yaml', 'tiers:\n  - name: gold\n   quantile: [0.9\n', /not valid YAML: .*line \d+/s],
    ['wrong.yaml', 'tiers: 5\n', /tiers/],
  ];

  for (const [name, text, reason] of cases) {
    it(`${name}: fails naming the file and why, stores nothing, leaves no port open`, async () => {
      const file = path.join(dir, name);
      if (text !== undefined) fs.writeFileSync(file, text);
      const apiPort = await freePort();
      const settings = await testSettings({ policyFile: file, apiPort });
      await assert.rejects(
        startControlPlane(settings, { logger: new MemoryLogger(), retrainEveryMs: 0 }),
        (err: Error) => {
          assert.ok(err.message.startsWith(`policyFile ${file}: `), err.message);
          assert.match(err.message, reason);
          return true;
        },
      );
      await portFree(apiPort);
      const store = await Store.open({
        url: settings.influxUrl,
        database: settings.influxDatabase,
        spoolDir: path.join(settings.dataDir, 'check-spool'),
      });
      try {
        assert.equal(await store.readPolicyVersion('1'), undefined, 'no policy version stored');
      } finally {
        await store.close();
      }
      // Fixed: the same store starts with a good file, as version 1.
      const cp = await startControlPlane(
        { ...settings, policyFile: DEFAULT_POLICY_FILE },
        { logger: new MemoryLogger(), retrainEveryMs: 0, runFirstCycle: false, warmupSteps: 0 },
      );
      try {
        assert.equal((await cp.state.currentPolicy())?.version, 1);
      } finally {
        await cp.stop();
        fs.rmSync(settings.dataDir, { recursive: true, force: true });
      }
    });
  }
});
