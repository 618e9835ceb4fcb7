import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultBaselines } from '../../../control-plane/forecast/baselines';
import { CsvError, parseDuration, readSeries } from '../../../control-plane/forecast/eval/csv-series';
import { evaluateSeries, LAST_DAY_Q95, OURS } from '../../../control-plane/forecast/eval/protocol';
import { summarize } from '../../../control-plane/forecast/eval/report';
import { parseSpec, SpecError } from '../../../control-plane/forecast/eval/sources';

const FIX = path.join(__dirname, 'fixtures');
const ROOT = path.resolve(__dirname, '../../..');

function writeCsv(file: string, values: number[], stepMin = 5, start = Date.UTC(2021, 0, 1)): void {
  const rows = values.map(
    (v, i) => `${new Date(start + i * stepMin * 60_000).toISOString().slice(0, 19).replace('T', ' ')},${v}`,
  );
  fs.writeFileSync(file, ['timestamp,value', ...rows].join('\n') + '\n');
}

describe('eval forecast: reading series', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-eval-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const bad: [string, RegExp][] = [
    ['bad-value.csv', /bad-value\.csv:4: value "oops" is not a finite number/],
    [
      'time-goes-back.csv',
      /time-goes-back\.csv:4: timestamp "2020-01-01 00:05:00" is not after the previous row/,
    ],
    ['short-row.csv', /short-row\.csv:3: expected 2 columns, got 1/],
    ['no-header.csv', /no-header\.csv:1: expected a header line/],
    ['header-only.csv', /header-only\.csv:2: no data rows/],
    ['bad-time.csv', /bad-time\.csv:2: timestamp "yesterday" is not a date or a number/],
    ['no-timestamp.csv', /no-timestamp\.csv:1: no "value" column; name one with column=/],
  ];
  for (const [file, message] of bad)
    it(`${file}: an error naming the file and line`, () => {
      assert.throws(
        () => readSeries({ files: [path.join(FIX, file)] }),
        (e: unknown) => e instanceof CsvError && message.test(e.message),
      );
    });

  it('a named column without timestamps needs the interval; joined files form one series', () => {
    const f = path.join(FIX, 'no-timestamp.csv');
    assert.throws(() => readSeries({ files: [f], column: 'avg_cpu' }), /give the sampling interval/);
    assert.throws(
      () => readSeries({ files: [f], column: 'cpu' }),
      /no column "cpu" \(columns: avg_cpu, avg_mem\)/,
    );
    const s = readSeries({ files: [f, f], column: 'avg_mem', intervalMs: 300_000 });
    assert.deepEqual([...s.values], [0.1, 0.2, 0.1, 0.2]);
    assert.equal(s.timesMs[3], 900_000);
  });

  it('numeric timestamps (seconds) and joined timestamped files in order', () => {
    fs.writeFileSync(path.join(dir, 'w1.csv'), 'timestamp,cpu_usage,mem\n0,5,1\n300,6,1\n');
    fs.writeFileSync(path.join(dir, 'w2.csv'), 'timestamp,cpu_usage,mem\n600,7,1\n900,8,1\n');
    const [src] = parseSpec(
      `${path.join(dir, 'w1.csv')}+${path.join(dir, 'w2.csv')},column=cpu_usage,name=vm`,
    );
    const s = readSeries(src);
    assert.equal(s.name, 'vm');
    assert.equal(s.intervalMs, 300_000);
    assert.deepEqual([...s.values], [5, 6, 7, 8]);
    const [back] = parseSpec(`${path.join(dir, 'w2.csv')}+${path.join(dir, 'w1.csv')},column=cpu_usage`);
    assert.throws(() => readSeries(back), /w1\.csv:2: first timestamp is not after the previous file/);
  });

  it('series specs: directories, join, options, mistakes', () => {
    const d = path.join(dir, 'days');
    fs.mkdirSync(d);
    for (const n of ['b.csv', 'a.csv', 'notes.txt']) fs.writeFileSync(path.join(d, n), 'x\n1\n');
    assert.deepEqual(
      parseSpec(d).map((s) => s.files.map((f) => path.basename(f))),
      [['a.csv'], ['b.csv']],
    );
    const [joined] = parseSpec(`${d},join,column=x,interval=5m`);
    assert.deepEqual(
      joined.files.map((f) => path.basename(f)),
      ['a.csv', 'b.csv'],
    );
    assert.equal(joined.intervalMs, 300_000);
    assert.throws(
      () => parseSpec(`${d},colum=x`),
      (e: unknown) => e instanceof SpecError && /unknown option "colum=x"/.test(e.message),
    );
    assert.throws(() => parseSpec(`${d},interval=soon`), /interval "soon" is not a duration/);
    assert.throws(() => parseSpec(path.join(dir, 'missing')), /no such file or directory/);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('1h'), 3_600_000);
  });
});

describe('eval forecast: the protocol', () => {
  it('scores the value 15 minutes ahead of every origin in the last 30 %, MASE scaled in-sample', async () => {
    // y = 2t: one-step naive MAE is 2; at 5-minute steps the lead is 3 steps, so naive misses by 6.
    const values = Float64Array.from({ length: 400 }, (_, t) => 2 * t);
    const s = {
      name: 'line',
      values,
      timesMs: Float64Array.from(values, (_, t) => t * 300_000),
      intervalMs: 300_000,
      files: [],
    };
    const r = await evaluateSeries(s, { baselines: defaultBaselines() });
    assert.equal(r.split, 280);
    assert.equal(r.horizonSteps, 3);
    assert.equal(r.origins, 400 - 3 + 1 - 280);
    assert.equal(r.scale, 2);
    const naive = r.methods.find((m) => m.name === 'naive')!;
    assert.ok(Math.abs(naive.mase - 3) < 1e-6, `naive MASE ${naive.mase}`);
    const ours = r.methods.find((m) => m.name === OURS)!;
    assert.ok(ours.mase < naive.mase, 'a trend follower is found');
    // 30-minute series: one step.
    const half = await evaluateSeries({ ...s, intervalMs: 1_800_000 }, { baselines: defaultBaselines() });
    assert.equal(half.horizonSteps, 1);
    assert.ok(Math.abs(half.methods.find((m) => m.name === 'naive')!.mase - 1) < 1e-6);
    const sum = summarize([r, half]);
    assert.deepEqual(Object.keys(sum), [
      'mase_geomean',
      'naive_mase_geomean',
      'worse_than_naive',
      'coverage_q95',
      'pinball_q95_ratio',
    ]);
    assert.ok(r.methods.some((m) => m.name === LAST_DAY_Q95));
  });

  it('refuses a series too short or flat to score', async () => {
    const flat = {
      name: 'flat',
      values: new Float64Array(50).fill(3),
      timesMs: new Float64Array(50),
      intervalMs: 300_000,
      files: [],
    };
    await assert.rejects(
      evaluateSeries(flat, { baselines: defaultBaselines() }),
      /flat: the first 35 points never change/,
    );
  });
});

describe('earmark CLI (bin shim): eval forecast, models', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-cli-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const earmark = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin/earmark.js'), ...args], {
      encoding: 'utf8',
      cwd: ROOT,
    });

  it('prints the table and ends with the JSON line', () => {
    const file = path.join(dir, 'wave.csv');
    writeCsv(
      file,
      Array.from({ length: 900 }, (_, i) => Math.round(50 + 20 * Math.sin(i / 20) + ((i * 7919) % 11))),
    );
    const r = earmark('eval', 'forecast', '--no-model', file);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    assert.deepEqual(Object.keys(last), [
      'mase_geomean',
      'naive_mase_geomean',
      'worse_than_naive',
      'coverage_q95',
      'pinball_q95_ratio',
    ]);
    assert.match(r.stdout, /^wave\s+900\s+5m\s+3\s+268/m);
  });

  it('a bad CSV: exit 1 and the file and line', () => {
    const r = earmark('eval', 'forecast', '--no-model', path.join(FIX, 'bad-value.csv'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad-value\.csv:4: value "oops" is not a finite number/);
    assert.equal(earmark('eval', 'forecast', '--bogus').status, 2);
  });

  it('models retrain runs its worker thread from the bin shim (tsx inside the worker)', () => {
    const reg = path.join(dir, 'models');
    const r = earmark('models', 'retrain', '--dir', reg, '--synthetic', '8x1', '--epochs', '1');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.candidate, 1);
    assert.ok(fs.existsSync(path.join(reg, 'v1', 'model.onnx')));
    assert.match(earmark('models', 'list', '--dir', reg).stdout, /^v1 {2}(champion|rejected)/m);
  });
});
