import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPolicyFile } from '../../../control-plane/allocate/load-policy';
import { keepAliveScore, scoreReservations } from '../../../control-plane/allocate/replay/accounting';
import { readFunctionTrace, TraceError } from '../../../control-plane/allocate/replay/azure-trace';
import { reportJson } from '../../../control-plane/allocate/replay/report';
import { runReplay } from '../../../control-plane/allocate/replay/run-replay';
import { command as evalReplay } from '../../../control-plane/cli/commands/eval-replay';
import { UsageError } from '../../../control-plane/cli/command';
import { mulberry32 } from '../../../sim/random';

const POLICY = path.join(__dirname, '../../../control-plane/allocate/policies/serverless.yaml');

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-replay-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a trace in the sample-1000fn layout; `counts[f][t]`, memory MB per function. */
function writeTrace(name: string, counts: number[][], memMb: number[]): { inv: string; mem: string } {
  const T = counts[0].length;
  const inv = path.join(dir, `${name}_inv.csv`);
  const mem = path.join(dir, `${name}_mem.csv`);
  const header = [
    'HashFunction',
    'HashOwner',
    'HashApp',
    ...Array.from({ length: T }, (_, t) => `minute_${t + 1}`),
  ];
  fs.writeFileSync(
    inv,
    [header.join(','), ...counts.map((c, f) => [`f${f}`, `f${f}`, `f${f}`, ...c].join(','))].join('\n') +
      '\n',
  );
  fs.writeFileSync(
    mem,
    ['HashOwner,HashApp,SampleCount,AverageAllocatedMb', ...memMb.map((m, f) => `f${f},f${f},10,${m}`)].join(
      '\n',
    ) + '\n',
  );
  return { inv, mem };
}

describe('allocate: eval replay', () => {
  it('scores cold starts and idle memory as the protocol says', () => {
    // One function of 1024 MB, invoked at minutes 1 and 5 (0-based 0 and 4); evaluate minutes 2..7.
    const { inv, mem } = writeTrace('acct', [[1, 0, 0, 0, 3, 0, 0]], [1024]);
    const trace = readFunctionTrace(inv, mem);
    const win = { from: 1, to: 7 };
    const reserved = new Set([1, 2, 4]); // minutes 2, 3 (idle) and 5 (used)
    const s = scoreReservations(trace, win, (_f, m) => reserved.has(m));
    assert.deepEqual(s, { coldPct: 0, idleGbH: 2 / 60, coldMinutes: 0, invokedMinutes: 1 });
    // Keep-alive 2: loaded in minutes 2-3 after minute 1 (idle), cold at 5, loaded 6-7 (idle).
    const k = keepAliveScore(trace, win, 2);
    assert.deepEqual(k, { coldPct: 100, idleGbH: 4 / 60, coldMinutes: 1, invokedMinutes: 1 });
  });

  it('reads the original Azure layout too, joining memory by function', () => {
    const inv = path.join(dir, 'orig_inv.csv');
    const mem = path.join(dir, 'orig_mem.csv');
    fs.writeFileSync(
      inv,
      'HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,fn1,http,0,2,0\no,a,fn2,timer,1,0,1\n',
    );
    fs.writeFileSync(mem, 'HashOwner,HashApp,HashFunction,SampleCount,AverageAllocatedMb\no,a,fn1,5,100\n');
    const t = readFunctionTrace(inv, mem);
    assert.deepEqual(t.ids, ['fn1']);
    assert.deepEqual([...t.counts], [0, 2, 0]);
    assert.deepEqual(t.withoutMemory, ['fn2']);
  });

  for (const [name, inv, mem, message] of [
    [
      'a short row',
      'HashFunction,HashApp,minute_1,minute_2\nf,f,1\n',
      null,
      'bad_inv.csv:2: expected 4 columns as in the header, got 3',
    ],
    [
      'a bad count',
      'HashFunction,HashApp,minute_1,minute_2\nf,f,1,x\n',
      null,
      'bad_inv.csv:2: minute_2: expected a count >= 0, got "x"',
    ],
    [
      'no minute columns',
      'HashFunction,HashApp\nf,f\n',
      null,
      'bad_inv.csv:1: no minute columns (minute_1.. or 1..)',
    ],
    [
      'minutes out of order',
      'HashFunction,HashApp,minute_2\nf,f,1\n',
      null,
      'bad_inv.csv:1: minute column "minute_2" out of order (expected minute 1)',
    ],
    [
      'a bad memory value',
      'HashFunction,HashApp,minute_1\nf,f,1\n',
      'HashOwner,HashApp,AverageAllocatedMb\nf,f,-3\n',
      'bad_mem.csv:2: AverageAllocatedMb: expected a number >= 0, got "-3"',
    ],
    [
      'no memory column',
      'HashFunction,HashApp,minute_1\nf,f,1\n',
      'HashOwner,HashApp,Mb\nf,f,3\n',
      'bad_mem.csv:1: missing column AverageAllocatedMb (header: HashOwner,HashApp,Mb...)',
    ],
  ] as const) {
    it(`rejects a trace with ${name}, naming the file and line`, () => {
      const i = path.join(dir, 'bad_inv.csv');
      const m = path.join(dir, 'bad_mem.csv');
      fs.writeFileSync(i, inv);
      fs.writeFileSync(m, mem ?? 'HashOwner,HashApp,AverageAllocatedMb\nf,f,128\n');
      assert.throws(
        () => readFunctionTrace(i, m),
        (e: unknown) =>
          e instanceof TraceError &&
          e.message.startsWith(path.join(dir, message.split(':')[0])) &&
          e.message.endsWith(message.slice(message.indexOf(':'))),
      );
    });
  }

  it('names a missing file', () => {
    assert.throws(
      () => readFunctionTrace(path.join(dir, 'none.csv'), path.join(dir, 'none2.csv')),
      /none\.csv:0: cannot read: ENOENT/,
    );
  });

  it('replays online through the allocator, calibrating the quantile on the history half', () => {
    // 40 functions: timers with various periods and random sparse ones, 240 minutes.
    const rnd = mulberry32(5);
    const counts = Array.from({ length: 40 }, (_, f) =>
      Array.from({ length: 240 }, (_, t) =>
        f < 20 ? (t % (5 + f) === f % 3 ? 1 : 0) : rnd() < 0.05 ? 1 + Math.floor(rnd() * 3) : 0,
      ),
    );
    const { inv, mem } = writeTrace(
      'syn',
      counts,
      counts.map((_, f) => 100 + 10 * f),
    );
    const trace = readFunctionTrace(inv, mem);
    const r = runReplay(trace, loadPolicyFile(POLICY), {
      historyMinutes: 120,
      budgetKeepAlive: 10,
      keepAlives: [10, 20, 60],
      curve: [0.5, 0.9, 0.99],
    });
    assert.ok(r.calibration, 'a quantile was calibrated');
    assert.ok(r.calibration.atQuantile.idleGbH <= r.calibration.budgetGbH);
    assert.equal(r.quantile, r.calibration.quantile);
    // Timers are foreseeable: Earmark's cold starts are well below keep-alive 10's at no more memory on the backtest.
    const k10 = r.keepAlive.find((k) => k.minutes === 10)!.score;
    assert.ok(r.ours.coldPct < k10.coldPct, `${r.ours.coldPct} < ${k10.coldPct}`);
    // The curve trades memory for cold starts monotonically.
    for (let i = 1; i < r.curve.length; i++) {
      assert.ok(r.curve[i].score.idleGbH >= r.curve[i - 1].score.idleGbH);
      assert.ok(r.curve[i].score.coldPct <= r.curve[i - 1].score.coldPct);
    }
    assert.deepEqual(Object.keys(JSON.parse(reportJson(r))), [
      'cold_pct',
      'idle_gb_h',
      'keepalive10',
      'keepalive20',
      'keepalive60',
    ]);
    const fixed = runReplay(trace, loadPolicyFile(POLICY), {
      historyMinutes: 120,
      quantile: 0.9,
      budgetKeepAlive: 10,
      keepAlives: [],
      curve: [0.9],
    });
    assert.equal(fixed.calibration, undefined);
    assert.deepEqual(
      fixed.ours,
      fixed.curve[0].score,
      'the allocator and the curve agree at the same quantile',
    );
  });

  it('refuses bad arguments as usage errors', async () => {
    await assert.rejects(
      evalReplay.run(['--memory', 'x']),
      (e: unknown) => e instanceof UsageError && /--invocations and --memory are required/.test(e.message),
    );
    await assert.rejects(
      evalReplay.run(['--invocations', 'a', '--memory', 'b', '--quantile', '1.5']),
      /--quantile: "1.5" is out of range/,
    );
    await assert.rejects(evalReplay.run(['--invocations']), /--invocations needs a value/);
    await assert.rejects(evalReplay.run(['--bogus', '1']), /unknown argument "--bogus"/);
  });
});
