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
import { testInflux, uniqueDb } from '../../support/influx';
import { seedServeStore } from './support/serve-store';

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

  // Three ready instances, nine gold users and twenty minutes of their usage, stored before the
  // service starts, so its first cycle computes a real plan from them.
  const USERS = Array.from({ length: 9 }, (_, i) => `user-000${i}`);
  const seedStore = (now: number) =>
    seedServeStore({ url: influxUrl, database, spoolDir: path.join(dir, 'writer'), users: USERS, now });

  before(async () => {
    influxUrl = (await testInflux()).url;
    database = uniqueDb('serve');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-serve-'));
    await seedStore(Date.now());
    child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(ROOT, 'control-plane/cli/main-run.ts'),
        'serve',
        '--api-port=0',
        '--grpc-port=0',
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
    assert.match(printed, /plan sync\s+grpc:\/\/127\.0\.0\.1:\d+/);
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

  it('plan and reservation show the plan the service computed from the stored demand', async () => {
    // The first cycle runs at start; poll until the plan command finds it.
    let shown = await cli(['plan', ...flags()]);
    for (let i = 0; i < 60 && shown.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      shown = await cli(['plan', ...flags()]);
    }
    assert.equal(shown.code, 0, shown.err);
    const token = fs.readFileSync(tokenFile(), 'utf8').trim();
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const api = (await (await fetch(`${url}/v1/plan`, auth)).json()) as any;
    assert.match(shown.out, new RegExp(`plan ${api.version.replace(/[.+]/g, '\\$&')}`));

    const json = JSON.parse((await cli(['plan', ...flags(), '--json'])).out);
    assert.equal(json.plan.users, USERS.length, 'every user with demand holds a reservation');
    assert.ok(json.plan.users > 0);

    const one = await cli(['reservation', 'user-0004', ...flags()]);
    assert.equal(one.code, 0, one.err);
    const r = (await (await fetch(`${url}/v1/users/user-0004/reservation`, auth)).json()) as any;
    assert.match(
      one.out,
      new RegExp(`instance\\s+${r.instanceId} at ${r.instanceAddress.replace(/\./g, '\\.')}`),
    );
    assert.match(r.instanceId, /^inst-[0-2]$/, 'reserved on one of the stored instances');
    assert.match(one.out, new RegExp(`holds\\s+${r.slots} slots`));
    const ghost = await cli(['reservation', 'ghost', ...flags()]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.err, /RESERVATION_NOT_FOUND/);
  });

  it('cycle shows the last reports with stage timings, and --run runs one and prints its report', async () => {
    const before = await cli(['cycle', ...flags(), '--json']);
    assert.equal(before.code, 0, before.err);
    const runs = JSON.parse(before.out).runs as number;
    const ran = await cli(['cycle', '--run', ...flags()]);
    assert.equal(ran.code, 0, ran.err);
    assert.match(ran.out, new RegExp(`^cycle ${runs + 1} at .* ok: ${USERS.length} users forecast`));
    assert.match(ran.out, /ms: read \d+ · forecast \d+ · allocate \d+ · publish \d+ · record \d+/);
    const shown = await cli(['cycle', ...flags()]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`runs ${runs + 1} \\(ok ${runs + 1}, failed 0\\)`));
    assert.match(shown.out, new RegExp(`recent \\(newest first\\):\n  cycle ${runs + 1} at`));
    const typo = await cli(['cycle', '--runn', ...flags()]);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /unknown option --runn/);
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
