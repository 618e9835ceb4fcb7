import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
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

describe('local influxd: not outliving the process that started it', () => {
  const script = (dir: string, then: string, before = '') =>
    `const { startLocalInflux } = require(${JSON.stringify(path.resolve(__dirname, '../../scripts/influxdb/local-influxd.ts'))});` +
    before +
    `startLocalInflux({ dir: ${JSON.stringify(dir)} }).then((i) => { console.log(i.pid); ${then} });`;
  const gone = async (pid: number) => {
    for (let i = 0; i < 400; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  // The child prints influxd's PID, then is stopped the way a user stops a bench.
  async function run(then: string, stop?: NodeJS.Signals, before = '', exit?: unknown[]): Promise<number> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-lifecycle-'));
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script(dir, then, before)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
      child.once('exit', (code, signal) => r([code, signal])),
    );
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(Number(String(b).trim())));
        child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting influxd`)));
      });
      assert.ok(pid > 0);
      if (stop) child.kill(stop);
      exit?.push(...(await exited));
      await exited;
      return pid;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const)
    it(`stops influxd when the process is killed with ${sig}`, async () => {
      const pid = await run('setInterval(() => {}, 1000);', sig);
      assert.ok(await gone(pid), `influxd ${pid} still runs after its parent got ${sig}`);
    });

  it("leaves the stop to a handler of the process's own, even one registered with once before influxd started", async () => {
    // Like `earmark serve`: process.once, then a graceful stop of its own, then exit 0. Node removes a
    // once handler before calling it, so a check made after it would find nobody handling the signal.
    const before =
      "let inst; process.once('SIGTERM', () => { inst.stop().then(() => { console.log('graceful'); process.exit(0); }); });";
    const exit: unknown[] = [];
    const pid = await run('inst = i; setInterval(() => {}, 1000);', 'SIGTERM', before, exit);
    assert.deepEqual(
      exit,
      [0, null],
      'the graceful stop ran to its end (not killed by the re-raised signal)',
    );
    assert.ok(await gone(pid));
  });

  it('stops influxd when the process exits without stopping it', async () => {
    const pid = await run('process.exit(3);');
    assert.ok(await gone(pid), `influxd ${pid} still runs after its parent exited`);
  });
});
