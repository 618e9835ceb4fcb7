import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { influxdEnv, ping, runningInstance, startLocalInflux } from '../../scripts/influxdb/local-influxd';

describe('local influxd lifecycle', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-lifecycle-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts on loopback with ifql and the monitor store off, tracks its PID, and stops cleanly', async () => {
    const inst = await startLocalInflux({ dir });
    try {
      assert.ok(await ping(inst.url));
      assert.equal(Number(fs.readFileSync(path.join(dir, 'influxd.pid'), 'utf8')), inst.pid);
      const conf = fs.readFileSync(path.join(dir, 'influxdb.conf'), 'utf8');
      assert.match(conf, /\[http\][^[]*bind-address = "127\.0\.0\.1:\d+"/);
      assert.match(conf, /\[ifql\]\s*\n\s*enabled = false/);
      assert.match(conf, /\[monitor\]\s*\n\s*store-enabled = false/);
      assert.ok(fs.existsSync(path.join(dir, 'data')), 'data lives under the given folder');
      // A second start in the same folder finds the running instance instead of launching another.
      const again = await startLocalInflux({ dir });
      assert.equal(again.pid, inst.pid);
    } finally {
      await inst.stop();
    }
    assert.equal(await ping(inst.url), false);
    assert.equal(fs.existsSync(path.join(dir, 'influxd.pid')), false);
    assert.equal(await runningInstance(dir), undefined);
  });

  it("starts influxd with the project's Go GC settings, which an option overrides", async () => {
    const environ = (pid: number) =>
      fs
        .readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter((v) => /^(GOGC|GOMEMLIMIT)=/.test(v));
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-lifecycle-'));
    const a = await startLocalInflux({ dir });
    const b = await startLocalInflux({ dir: dir2, goGC: '200', goMemLimit: '1GiB' });
    try {
      const defaults = influxdEnv();
      assert.ok(environ(a.pid).includes(`GOGC=${defaults.GOGC}`), environ(a.pid).join(' '));
      assert.ok(environ(a.pid).includes(`GOMEMLIMIT=${defaults.GOMEMLIMIT}`));
      assert.deepEqual(environ(b.pid).sort(), ['GOGC=200', 'GOMEMLIMIT=1GiB']);
    } finally {
      await a.stop();
      await b.stop();
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('gives two instances different ports so they never collide', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-lifecycle-'));
    const a = await startLocalInflux({ dir });
    const b = await startLocalInflux({ dir: dir2 });
    try {
      assert.notEqual(a.port, b.port);
      assert.ok((await ping(a.url)) && (await ping(b.url)));
    } finally {
      await a.stop();
      await b.stop();
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });
});
