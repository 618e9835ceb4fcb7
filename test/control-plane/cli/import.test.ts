import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demandIndex } from '../../../control-plane/domain/demand';
import { Store, silentLogger } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';
import { tempDir } from '../store/helpers';
import { earmark, FIXTURES, TRACES } from './import-helpers';

const DAY = 86_400_000;
const MIN = 60_000;

/** Per-minute sums of an Azure counts file, computed here independently of the importer. */
function azureTotals(file: string): { total: number; nonZero: number; functions: number } {
  const [header, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const first = header.split(',').findIndex((h) => /^(minute_)?1$/.test(h));
  let total = 0;
  let nonZero = 0;
  for (const r of rows) {
    for (const c of r.split(',').slice(first)) {
      total += Number(c);
      if (Number(c) > 0) nonZero++;
    }
  }
  return { total, nonZero, functions: rows.length };
}

describe('earmark import', function () {
  this.timeout(120_000);
  let url: string;
  let db: string;
  let spool: string;
  let store: Store | undefined;
  const args = () => ['--url', url, '--db', db, '--spool-dir', spool, '--no-progress'];
  const open = async () =>
    (store = await Store.open({ url, database: db, spoolDir: tempDir(), log: silentLogger }));

  before(async () => (url = (await testInflux()).url));
  beforeEach(() => {
    db = uniqueDb('import');
    spool = tempDir();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(spool, { recursive: true, force: true });
  });

  it('loads an Azure trace (original layout): counts at their minutes, resource profiles from durations and memory', async () => {
    const start = Math.floor(Date.now() / DAY) * DAY - DAY;
    const r = await earmark([
      'import',
      'azure',
      path.join(FIXTURES, 'azure-small'),
      '--start',
      String(start),
      ...args(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /imported 4 points for 2 users \(total 13\) into .*\.raw, .*, 3 resource profiles/,
    );
    await open();
    const w = await store!.readDemandWindows({ fromMs: start, toMs: start + 5 * MIN });
    assert.deepEqual(w.users, ['f1', 'f2']); // f3 was never invoked: no points, but a profile
    const req = (u: number) => [0, 1, 2, 3, 4].map((t) => w.values[demandIndex(w, u, 0, t)]);
    assert.deepEqual(req(0), [3, 0, 0, 2, 1]);
    assert.deepEqual(req(1), [0, 0, 7, 0, 0]);
    // f2 runs 60 s per invocation: 7 invocations in a minute hold 7 slots (Little's law), 300 MB each.
    assert.equal(w.values[demandIndex(w, 1, 1, 2)], 7);
    assert.equal(w.values[demandIndex(w, 1, 3, 2)], 7 * 300);
    const profiles = await store!.readResourceProfiles();
    assert.deepEqual([...profiles.values()].map((p) => [p.user, p.durationMs, p.memoryMb]).sort(), [
      ['f1', 1500, 300],
      ['f2', 60000, 300],
      ['f3', 100, 128],
    ]);
    assert.match(profiles.get('f3')!.source!, /default duration.*default memory/);
  });

  it('imports the real 10-function sample exactly: every non-zero minute, the day total, an hourly roll-up', async () => {
    const dir = path.join(TRACES, 'azure-functions-2019', 'sample-10fn-original-format');
    const expect = azureTotals(path.join(dir, 'invocations.csv'));
    const r = await earmark(['import', 'azure', dir, '--hash-len', '10', '--user-prefix', 'fn-', ...args()]);
    assert.equal(r.code, 0, r.stderr);
    await open();
    const dayStart = Math.floor(Date.now() / DAY) * DAY - DAY;
    const w = await store!.readDemandWindows({ fromMs: dayStart, toMs: dayStart + DAY });
    assert.equal(w.users.length, expect.functions);
    assert.ok(w.users.every((u) => /^fn-[0-9a-f]{10}$/.test(u)));
    let total = 0;
    let nonZero = 0;
    for (let u = 0; u < w.users.length; u++) {
      for (let t = 0; t < w.steps; t++) {
        const v = w.values[demandIndex(w, u, 0, t)];
        total += v;
        if (v > 0) nonZero++;
      }
    }
    assert.equal(total, expect.total);
    assert.equal(nonZero, expect.nonZero);
    const hourly = await (store as any).http.query(
      `SELECT sum(requests) FROM "${db}"."hourly"."usage_1h"`,
      db,
    );
    assert.equal(hourly[0].series[0].values[0][1], expect.total);
  });

  it('adds up the functions of an app with --user-key app', async () => {
    const start = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
    const r = await earmark([
      'import',
      'azure',
      path.join(FIXTURES, 'azure-small'),
      '--user-key',
      'app',
      '--start',
      new Date(start).toISOString(),
      ...args(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    await open();
    const w = await store!.readDemandWindows({ fromMs: start, toMs: start + 5 * MIN, users: ['a1'] });
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((t) => w.values[demandIndex(w, 0, 0, t)]),
      [3, 0, 7, 2, 1],
    );
  });

  it('loads a timestamp,value series as one user, as the resource and scale asked, at --start', async () => {
    const start = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN - 60 * MIN;
    const file = path.join(FIXTURES, 'nab-good.csv');
    const r = await earmark([
      'import',
      'nab',
      file,
      '--user',
      'ec2',
      '--resource',
      'cpu',
      '--scale',
      '10',
      '--start',
      String(start),
      ...args(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 3 points for 1 users/);
    await open();
    const w = await store!.readDemandWindows({ fromMs: start, toMs: start + 15 * MIN, stepMs: 5 * MIN });
    assert.deepEqual(w.users, ['ec2']);
    assert.deepEqual(
      [0, 1, 2].map((t) => w.values[demandIndex(w, 0, 2, t)]),
      [100, 125, 70],
    );
  });

  it('puts a series longer than the raw retention into the archive policy (auto), and refuses raw for it', async () => {
    const file = path.join(TRACES, 'nab', 'realKnownCause', 'nyc_taxi.csv');
    const refused = await earmark(['import', 'nab', file, '--rp', 'raw', ...args()]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /older than the raw retention policy keeps \(14 days\).*--rp archive/);
    const r = await earmark(['import', 'nab', file, ...args()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 10,320 points for 1 users .* into .*\.archive/);
    await open();
    const now = Date.now();
    const w = await store!.readDemandWindows({
      fromMs: now - 300 * DAY,
      toMs: now,
      stepMs: 30 * MIN,
      retention: 'archive',
    });
    assert.deepEqual(w.users, ['nyc_taxi']);
  });
});
