import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promtool } from '../../../control-plane/telemetry/alerts/promtool';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/earmark.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('earmark start (npm start): the local demo stack as a process', function () {
  this.timeout(180_000);
  let child: ChildProcess | undefined;
  let influxPid = 0;
  // A failed run must not leave the demo or its influxd behind.
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      for (let i = 0; i < 100 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (influxPid && alive(influxPid)) process.kill(influxPid, 'SIGTERM');
  });

  it('documents its options and refuses a misspelled one with a suggestion', () => {
    const help = spawnSync('node', [BIN, 'start', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const opt of [
      '--speed',
      '--users',
      '--proxies',
      '--workers',
      '--instances',
      '--seed',
      '--history',
      '--run-for',
      '--api-port',
    ])
      assert.ok(help.stdout.includes(opt), `--help mentions ${opt}`);
    const bad = spawnSync('node', [BIN, 'start', '--sped', '3'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --sped \(did you mean --speed\?\)/);
  });

  it('runs InfluxDB, the control plane, proxies and workload; serves real data; Ctrl-C stops everything and exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-start-'));
    // Every path under the temporary folder: a demo running in this checkout keeps its var/.
    const paths = [
      '--data-dir',
      dir,
      '--spool-dir',
      path.join(dir, 'spool'),
      '--api-token-file',
      path.join(dir, 'api-token'),
    ];
    const sizes = [
      '--speed',
      '120',
      '--users',
      '8',
      '--history',
      '1h',
      '--api-port',
      '0',
      '--grpc-port',
      '0',
    ];
    const args = ['start', ...paths, ...sizes];
    child = spawn('node', [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const waitFor = async (re: RegExp, what: string) => {
      const deadline = Date.now() + 90_000;
      while (!re.test(out)) {
        if (Date.now() > deadline || child!.exitCode !== null) throw new Error(`no ${what} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return re.exec(out)!;
    };
    influxPid = Number((await waitFor(/InfluxDB started: \S+ \(pid (\d+)/, 'InfluxDB start'))[1]);
    const [, dashboard] = await waitFor(/dashboard: (\S+)/, 'dashboard URL');
    const url = new URL(dashboard);
    const token = decodeURIComponent(url.hash.replace('#token=', ''));
    assert.equal(fs.readFileSync(path.join(dir, 'api-token'), 'utf8').trim(), token);
    await waitFor(/cycle 3: \d+ users forecast, \d+ reserved, plan \d+ on \d\/2 proxies/, 'three cycles');
    await waitFor(/on 2\/2 proxies/, 'both proxies on a plan');
    await waitFor(/\d+ requests — reserved hit \d+%/, 'a minute of traffic');

    const get = async (p: string) => {
      const res = await fetch(url.origin + p, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, p);
      return (await res.json()) as Record<string, any>;
    };
    const plan = await get('/v1/plan');
    assert.ok(plan.users > 0);
    const proxies = await get('/v1/proxies');
    assert.deepEqual(
      proxies.items.map((p: { nodeId: string; connected: boolean }) => [p.nodeId, p.connected]),
      [
        ['edge-1', true],
        ['edge-2', true],
      ],
    );
    const decisions = await get('/v1/decisions');
    assert.ok(
      decisions.points.some((p: { reserved: number }) => p.reserved > 0),
      'proxies reported reserved requests',
    );
    const metrics = await (
      await fetch(url.origin + '/metrics', { headers: { authorization: `Bearer ${token}` } })
    ).text();
    assert.match(metrics, /earmark_cycle_stage_seconds_count\{stage="forecast"\} [1-9]/);

    // Each proxy's metrics as Envoy's /stats/prometheus prints them, and a Prometheus config that
    // scrapes them and the control plane with the alert rules (Prometheus's own check).
    const [, firstProxy] = await waitFor(
      /proxies' metrics \(as Envoy's \/stats\/prometheus\): (\S+) \S+/,
      'proxy metrics URLs',
    );
    const stats = await (await fetch(firstProxy)).text();
    assert.match(stats, /^earmark_requests_total [1-9]/m);
    assert.match(stats, /^earmark_sync_stream_state 2$/m);
    const [, promConfig] = await waitFor(
      /Prometheus config with the alert rules: (\S+)/,
      'the Prometheus config',
    );
    const checked = promtool(['check', 'config', promConfig], dir);
    assert.equal(checked.status, 0, checked.output);
    assert.match(checked.output, /SUCCESS: \d+ rules found/);
    assert.equal(fs.statSync(path.join(dir, 'prometheus-api-token')).mode & 0o777, 0o600);

    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(
      out,
      /stopping \(SIGINT\): workload, proxies, control plane, InfluxDB \.\.\.\nstopped cleanly\./,
    );
    assert.equal(alive(influxPid), false, 'the influxd it started is stopped');
    await assert.rejects(fetch(url.origin + '/healthz'), 'the API is closed');
    assert.ok(fs.existsSync(path.join(dir, 'demo-clock.json')));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
