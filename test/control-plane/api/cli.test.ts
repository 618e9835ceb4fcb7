/**
 * `earmark serve` as a real child process on a real influxd, and the inspection commands
 * (`earmark plan`, `earmark reservation`) asking it, as an operator would.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../control-plane/cli/main';
import { Store, silentLogger } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';
import * as seed from './support/seed';

const ROOT = path.join(__dirname, '../../..');

/** Runs the CLI in this process, capturing what it prints. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

/** Resolves with stdout once `pattern` has been printed. */
function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; got: ${seen}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (d) => {
      seen += d;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${seen}`)));
  });
}

describe('cli: earmark serve, plan and reservation', function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let dir: string;
  let url: string;
  let database: string;
  let influxUrl: string;
  const tokenFile = () => path.join(dir, 'api-token');
  const flags = () => ['--url', url, '--api-token-file', tokenFile()];

  before(async () => {
    influxUrl = (await testInflux()).url;
    database = uniqueDb('serve');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-serve-'));
    child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(ROOT, 'control-plane/cli/main-run.ts'),
        'serve',
        '--api-port=0',
        `--influx-url=${influxUrl}`,
        `--influx-database=${database}`,
        `--api-token-file=${tokenFile()}`,
        `--spool-dir=${path.join(dir, 'spool')}`,
        `--policy-file=${path.join(ROOT, 'control-plane/allocate/policies/default.yaml')}`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EARMARK_API_TOKEN: '' } },
    );
    const printed = await waitFor(child, /Ctrl-C stops/);
    url = /earmark API\s+(http:\/\/\S+)/.exec(printed)![1];
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves health, writes the generated token 0600, prints a dashboard link with it, and seeds the policy', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const token = fs.readFileSync(tokenFile(), 'utf8').trim();
    assert.ok(token.length >= 32);
    assert.equal(fs.statSync(tokenFile()).mode & 0o777, 0o600);
    const policy = await fetch(`${url}/v1/policy`, { headers: { authorization: `Bearer ${token}` } });
    const body = await policy.json();
    assert.deepEqual([policy.status, body.version, body.author], [200, 1, 'policyFile']);
    assert.equal(
      body.source,
      fs.readFileSync(path.join(ROOT, 'control-plane/allocate/policies/default.yaml'), 'utf8'),
    );
  });

  it('plan says there is no plan yet (exit 1), then shows the stored plan per instance', async () => {
    const none = await cli(['plan', ...flags()]);
    assert.equal(none.code, 1);
    assert.match(none.err, /No plan has been computed yet/);

    const store = await Store.open({
      url: influxUrl,
      database,
      spoolDir: path.join(dir, 'writer'),
      log: silentLogger,
    });
    const plan = seed.plan(9, seed.instances(3), Date.now());
    await store.writePlan(plan);
    await store.close();

    // The API re-reads the stored plan at most every 10 s: poll until it shows.
    let shown = await cli(['plan', ...flags()]);
    for (let i = 0; i < 30 && shown.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      shown = await cli(['plan', ...flags()]);
    }
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`plan ${plan.version}`));
    assert.match(shown.out, /9 users hold reservations on 3 instances/);
    for (const id of ['inst-0', 'inst-1', 'inst-2'])
      assert.match(shown.out, new RegExp(`^${id}\\s+3\\s`, 'm'));
    const json = await cli(['plan', ...flags(), '--json']);
    assert.equal(JSON.parse(json.out).plan.users, 9);

    const one = await cli(['reservation', 'user-0004', ...flags()]);
    assert.equal(one.code, 0, one.err);
    const r = plan.reservations.get('user-0004')!;
    assert.match(one.out, new RegExp(`instance\\s+${r.instanceId} at ${r.instanceAddress}`));
    assert.match(one.out, new RegExp(`holds\\s+${r.slots} slots`));
    const ghost = await cli(['reservation', 'ghost', ...flags()]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.err, /RESERVATION_NOT_FOUND/);
  });

  it('explains a refused token, an unreachable API and bad usage', async () => {
    const refused = await cli(['plan', '--url', url, '--token', 'wrong']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /AUTH_TOKEN_INVALID/);
    const down = await cli(['plan', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot reach the control plane at http:\/\/127\.0\.0\.1:9/);
    const noUser = await cli(['reservation', ...flags()]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.err, /name exactly one user/);
    const typo = await cli(['serve', '--api-prot', '1']);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /did you mean --api-port/);
    const noToken = await cli(['plan', '--url', url, '--api-token-file', path.join(dir, 'nope')]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.err, /no API token/);
  });

  it('stops cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});
