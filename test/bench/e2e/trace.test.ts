import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTrace, TraceFormatError } from '../../../bench/e2e/trace';

const minutes = (n: number, prefix = '') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).join(',');
const zeros = (n: number) => Array.from({ length: n }, () => '0').join(',');

/** The original Azure layout: HashOwner,HashApp,HashFunction,Trigger,1..1440. */
function azureFolder(dir: string, rows: string[], extra: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'invocations.csv'),
    [`HashOwner,HashApp,HashFunction,Trigger,${minutes(1440)}`, ...rows].join('\n') + '\n',
  );
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function counts(first: number[]): string {
  return [...first.map(String), ...Array.from({ length: 1440 - first.length }, () => '0')].join(',');
}

async function rejects(p: Promise<unknown>, file: string, line: number, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TraceFormatError, `a TraceFormatError, got ${String(e)}`);
    assert.equal(path.basename(e.file), file);
    assert.equal(e.line, line);
    assert.match(e.message, re);
    return true;
  });
}

describe('e2e trace input', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-trace-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads the Azure layout: one user per function, durations and memory joined, defaults noted', async () => {
    const dir = azureFolder(
      path.join(tmp, 'az'),
      [`o1,a1,f1,http,${counts([3, 0, 2])}`, `o2,a2,f2,queue,${counts([0, 7])}`],
      {
        'durations.csv': 'HashOwner,HashApp,HashFunction,Average,Count\no1,a1,f1,250,5\n',
        'memory.csv': 'HashOwner,HashApp,SampleCount,AverageAllocatedMb\no1,a1,3,180\no2,a2,3,90\n',
      },
    );
    const t = await loadTrace(dir);
    assert.equal(t.format, 'azure');
    assert.equal(t.minutes, 1440);
    assert.deepEqual(t.users, [
      { id: 'fn-f1', durationMs: 250, memoryMb: 180 },
      { id: 'fn-f2', durationMs: 100, memoryMb: 90 },
    ]);
    assert.deepEqual(Array.from(t.counts.subarray(0, 3)), [3, 0, 2]);
    assert.deepEqual(Array.from(t.counts.subarray(1440, 1443)), [0, 7, 0]);
    assert.deepEqual(t.notes, ['1 functions without a durations row: 100 ms assumed']);
  });

  it('names the file and line of a row with a bad count', async () => {
    const dir = azureFolder(path.join(tmp, 'az'), [
      `o1,a1,f1,http,${counts([1])}`,
      `o2,a2,f2,http,${counts([1, -2])}`,
    ]);
    await rejects(loadTrace(dir), 'invocations.csv', 3, /minute 2 = "-2" is not a count/);
  });

  it('names the file and line of a row with the wrong number of columns', async () => {
    const dir = azureFolder(path.join(tmp, 'az'), [`o1,a1,f1,http,${zeros(1439)}`]);
    await rejects(loadTrace(dir), 'invocations.csv', 2, /1443 columns, the header has 1444/);
  });

  it('rejects a function listed twice and a memory file with a non-number', async () => {
    const dup = azureFolder(path.join(tmp, 'dup'), [
      `o,a,f1,http,${zeros(1440)}`,
      `o,a,f1,http,${zeros(1440)}`,
    ]);
    await rejects(loadTrace(dup), 'invocations.csv', 3, /function f1 again \(first on line 2\)/);
    const mem = azureFolder(path.join(tmp, 'mem'), [`o,a,f1,http,${zeros(1440)}`], {
      'memory.csv': 'HashOwner,HashApp,SampleCount,AverageAllocatedMb\no,a,1,lots\n',
    });
    await rejects(loadTrace(mem), 'memory.csv', 2, /AverageAllocatedMb = "lots"/);
  });

  it('rejects a folder with a csv that is neither counts, durations nor memory', async () => {
    const dir = azureFolder(path.join(tmp, 'az'), [`o,a,f1,http,${zeros(1440)}`], {
      'notes.csv': 'what,ever\n1,2\n',
    });
    await rejects(loadTrace(dir), 'notes.csv', 1, /not an Azure Functions 2019 file/);
  });

  it('rejects a folder without any csv, and a path that does not exist', async () => {
    fs.mkdirSync(path.join(tmp, 'empty'));
    fs.writeFileSync(path.join(tmp, 'empty', 'README.md'), 'nothing');
    await assert.rejects(loadTrace(path.join(tmp, 'empty')), /no \.csv files in this folder/);
    await assert.rejects(loadTrace(path.join(tmp, 'nope')), /cannot read: ENOENT/);
  });

  it('reads timestamp,value series: each row spread over its interval, series aligned on their first row', async () => {
    const dir = path.join(tmp, 'series');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'a.csv'),
      'timestamp,value\n2014-02-14 14:30:00,10\n2014-02-14 14:35:00,20\n',
    );
    fs.writeFileSync(
      path.join(dir, 'b.csv'),
      'timestamp,value\n2015-01-01 00:00:00,6\n2015-01-01 00:01:00,0\n',
    );
    const t = await loadTrace(dir);
    assert.equal(t.format, 'series');
    assert.deepEqual(
      t.users.map((u) => u.id),
      ['series-a', 'series-b'],
    );
    assert.equal(t.minutes, 10);
    assert.deepEqual(Array.from(t.counts.subarray(0, 10)), [2, 2, 2, 2, 2, 4, 4, 4, 4, 4]);
    assert.deepEqual(Array.from(t.counts.subarray(10, 12)), [6, 0]);
    const one = await loadTrace(path.join(dir, 'a.csv'));
    assert.equal(one.users.length, 1);
  });

  it('names the file and line of a malformed series row', async () => {
    const f = path.join(tmp, 's.csv');
    fs.writeFileSync(f, 'timestamp,value\n2014-02-14 14:30:00,1\nyesterday,2\n');
    await rejects(loadTrace(f), 's.csv', 3, /timestamp "yesterday" is not a date/);
    fs.writeFileSync(f, 'timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,-4\n');
    await rejects(loadTrace(f), 's.csv', 3, /value "-4" is not a non-negative number/);
    fs.writeFileSync(f, 'timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:30:00,2\n');
    await rejects(loadTrace(f), 's.csv', 3, /not after the previous row/);
    fs.writeFileSync(f, 'time,count\n2014-02-14 14:30:00,1\n');
    await rejects(loadTrace(f), 's.csv', 1, /no "timestamp" column/);
  });
});
