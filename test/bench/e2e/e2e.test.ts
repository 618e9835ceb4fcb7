import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULTS, parseOptions, type E2eOptions } from '../../../bench/e2e/options';
import { runE2e, type E2eResult } from '../../../bench/e2e/run';
import { hashUnit } from '../../../sim/random';
import { testInflux } from '../../support/influx';

/** A small Azure-layout trace: a steady function, a periodic one (every 5 min) and a sparse one. */
function fixture(dir: string): void {
  const rows = [
    ['o1', 'a1', 'steady', (m: number) => 20 + (m % 3)],
    ['o2', 'a2', 'periodic', (m: number) => (m % 5 === 0 ? 6 : 0)],
    ['o3', 'a3', 'sparse', (m: number) => (hashUnit(9, m) < 0.2 ? 1 : 0)],
  ] as const;
  const header = `HashOwner,HashApp,HashFunction,Trigger,${Array.from({ length: 1440 }, (_, i) => i + 1).join(',')}`;
  const lines = rows.map(
    ([o, a, f, c]) => `${o},${a},${f},http,${Array.from({ length: 1440 }, (_, m) => c(m)).join(',')}`,
  );
  fs.writeFileSync(path.join(dir, 'invocations.csv'), [header, ...lines].join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'durations.csv'),
    'HashOwner,HashApp,HashFunction,Average\no1,a1,steady,200\no2,a2,periodic,1500\no3,a3,sparse,50\n',
  );
  fs.writeFileSync(
    path.join(dir, 'memory.csv'),
    'HashOwner,HashApp,AverageAllocatedMb\no1,a1,150\no2,a2,256\no3,a3,128\n',
  );
}

describe('e2e benchmark through the real service and filter', function () {
  this.timeout(600_000);
  let tmp: string;
  let options: E2eOptions;
  const runs: E2eResult[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-bench-'));
    fixture(tmp);
    const influx = await testInflux();
    options = {
      ...parseOptions([tmp, '--from', '120', '--minutes', '4', '--warmup', '2', '--history-steps', '120']),
      warmupSteps: 2,
      modelFile: null,
      influxUrl: influx.url,
      outDir: path.join(tmp, 'results'),
      name: 'test',
    };
    for (let i = 0; i < 2; i++) runs.push(await runE2e(options, () => undefined));
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('replays the same requests under every policy, and every request has exactly one fate', () => {
    const [r] = runs;
    assert.deepEqual(
      r.summaries.map((s) => s.policy),
      ['earmark', 'keep-alive', 'reactive', 'static', 'oracle', 'histogram'],
    );
    const n = r.summaries[0].requests;
    assert.ok(n > 50, `${n} requests`);
    for (const s of r.summaries) {
      assert.equal(s.requests, n, `${s.policy} saw the same requests`);
      const f = s.fates;
      assert.equal(f.reserved + f.queued + f.unreserved + f.redirected + f.throttled + f.failed, n, s.policy);
      assert.ok(s.servedReservedPct <= s.warmPct + 1e-9, `${s.policy}: served from a reservation ⊂ warm`);
      assert.ok(s.rejectedOrLatePct >= s.latePct - 1e-9);
      assert.ok(s.p50AddedMs <= s.p99AddedMs && s.p99AddedMs <= s.maxAddedMs);
      assert.ok(s.reservedGbHours <= s.heldGbHours + 1e-9);
    }
  });

  it('ran Earmark through the service: cycles, plans ACKed by the proxies, usage back, requests decided by the filter', () => {
    const live = runs[0].live!;
    assert.ok(live.cycles.length >= 6, `${live.cycles.length} cycles`);
    assert.ok(live.cycles.every((c) => c.ok));
    assert.ok(live.planLagMs.length >= 1);
    assert.ok(live.tally.sent >= runs[0].summaries[0].requests, 'warm-up requests are sent too');
    assert.ok(live.tally.reserved > 0, 'the filter admitted requests on reservations');
    assert.equal(live.tally.fail_open + live.tally.fail_closed, 0, 'the plan never went stale');
    assert.ok(live.backfill.points > 0);
  });

  it('gives the oracle no waits and static provisioning no cold starts, at more memory than the oracle', () => {
    const by = (p: string) => runs[0].summaries.find((s) => s.policy === p)!;
    assert.equal(by('oracle').p99AddedMs, 0);
    assert.equal(by('oracle').servedReservedPct, 100);
    assert.equal(by('static').coldPct, 0);
    assert.ok(by('static').heldGbHours >= by('oracle').heldGbHours);
  });

  it('splits the rejected-or-late requests by fate, adding up to the rejected-or-late share', () => {
    for (const s of runs[0].summaries) {
      const bad = Object.values(s.badByFate).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs((100 * bad) / s.requests - s.rejectedOrLatePct) < 1e-9, s.policy);
      for (const [fate, n] of Object.entries(s.badByFate))
        assert.ok(n <= s.fates[fate as keyof typeof s.fates], `${s.policy} ${fate}`);
    }
  });

  it('is deterministic: the same seed gives the identical JSON line', () => {
    assert.ok(runs[0].json);
    assert.deepEqual(runs[1].json, runs[0].json);
    assert.deepEqual(runs[1].summaries, runs[0].summaries);
  });

  it('writes the Markdown report with its plots and the JSON line', () => {
    const md = fs.readFileSync(runs[0].reportFile, 'utf8');
    assert.match(md, /## Results/);
    assert.ok(md.includes(JSON.stringify(runs[0].json)));
    for (const suffix of ['held', 'late', 'p99', 'gbh']) {
      const svg = path.join(options.outDir, `e2e-test-${suffix}.svg`);
      assert.match(fs.readFileSync(svg, 'utf8'), /^<svg /);
    }
  });

  it('rejects bad options with a message naming them', () => {
    assert.throws(() => parseOptions([]), /--trace <folder or csv> is required/);
    assert.throws(() => parseOptions(['x', '--rate', 'fast']), /--rate: expected a number/);
    assert.throws(() => parseOptions(['x', '--quantile', '1']), /--quantile: expected a number in \(0, 1\)/);
    assert.throws(() => parseOptions(['x', '--what']), /unknown option --what/);
    assert.equal(parseOptions(['x']).sloMs, DEFAULTS.sloMs);
    assert.throws(() => parseOptions(['x', '--hold-peak-min', '-1']), /--hold-peak-min/);
    assert.equal(parseOptions(['x', '--hold-peak-min', '10']).tier.holdPeakMs, 600_000);
    assert.throws(
      () => parseOptions(['x', '--reservable', '1.2']),
      /--reservable: expected a share in \(0, 1\]/,
    );
    assert.throws(() => parseOptions(['x', '--reservable', '0']), /--reservable/);
    assert.equal(parseOptions(['x', '--reservable', '0.9']).reservable, 0.9);
    assert.throws(() => parseOptions(['x', '--max-slots', '2.5']), /--max-slots: expected an integer/);
    assert.equal(parseOptions(['x', '--max-slots', '40']).tier.maxSlots, 40);
    assert.throws(
      () => parseOptions(['x', '--overflow-room', '1.5']),
      /--overflow-room: expected a share in \[0, 1\]/,
    );
    assert.equal(parseOptions(['x', '--overflow-room', '0.5']).tier.overflowRoom, 0.5);
  });
});
