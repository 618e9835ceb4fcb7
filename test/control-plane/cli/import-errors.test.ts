import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import { testInflux, uniqueDb } from '../../support/influx';
import { tempDir } from '../store/helpers';
import { earmark, FIXTURES } from './import-helpers';

const fx = (name: string): string => path.join(FIXTURES, name);

/** Runs a dry-run import of a bad input and returns stderr; it must fail with exit 1. */
async function rejects(format: string, input: string, ...extra: string[]): Promise<string> {
  const r = await earmark(['import', format, input, '--dry-run', '--no-progress', ...extra]);
  assert.equal(r.code, 1, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`);
  return r.stderr;
}

describe('earmark import: bad trace files get precise errors', function () {
  this.timeout(60_000);

  it('a malformed count names the file, line and column, and nothing is imported', async () => {
    const { url } = await testInflux();
    const db = uniqueDb('bad');
    const spool = tempDir();
    const r = await earmark([
      'import',
      'azure',
      fx('azure-bad-count'),
      '--url',
      url,
      '--db',
      db,
      '--spool-dir',
      spool,
    ]);
    fs.rmSync(spool, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(
        `${fx('azure-bad-count/1000_inv.csv')}:3: minute_2 = "abc" is not a count (a non-negative integer)`,
      ),
      r.stderr,
    );
    assert.match(r.stderr, /nothing was imported/);
    const http = new InfluxHttp({ url });
    const [dbs] = await http.query('SHOW DATABASES');
    http.close();
    assert.ok(!dbs.series[0].values.flat().includes(db), 'the database was not even created');
  });

  it('a row with missing columns', async () => {
    assert.match(
      await rejects('azure', fx('azure-short-row')),
      /1000_inv\.csv:3: 5 columns, the header has 6/,
    );
    assert.match(
      await rejects('nab', fx('nab-extra-column.csv')),
      /nab-extra-column\.csv:2: 3 columns, expected 2/,
    );
  });

  it('an empty file', async () => {
    assert.match(
      await rejects('azure', fx('azure-empty')),
      /invocations\.csv: empty file \(no header line\)/,
    );
    assert.match(await rejects('nab', fx('nab-blank.csv')), /nab-blank\.csv: empty file/);
  });

  it('a file of the wrong layout', async () => {
    assert.match(
      await rejects('azure', fx('azure-no-minutes')),
      /invocations\.csv:1: not an Azure Functions 2019 file: expected per-minute counts/,
    );
    assert.match(
      await rejects('azure', fx('azure-no-function-column')),
      /invocations\.csv:1: not an Azure invocations file: the header has no "HashFunction" column/,
    );
    assert.match(
      await rejects('azure', fx('nab-good.csv')),
      /nab-good\.csv:1: not an Azure Functions 2019 file/,
    );
    assert.match(
      await rejects('nab', fx('azure-small/invocations.csv')),
      /invocations\.csv:1: not a timestamp,value series: header is "HashOwner,HashApp,HashFunction,Trigger,1,2,3,4,5"/,
    );
    assert.match(await rejects('nab', fx('no-such-file.csv')), /no-such-file\.csv: cannot read: ENOENT/);
  });

  it('rows that would silently overwrite others: a repeated function, a timestamp out of order', async () => {
    assert.match(
      await rejects('azure', fx('azure-duplicate-function')),
      /1000_inv\.csv:4: function f1 again \(first on line 2\)/,
    );
    assert.match(
      await rejects('nab', fx('nab-out-of-order.csv')),
      /nab-out-of-order\.csv:3: timestamp 2014-04-10 00:00:00 is not after the one on line 2/,
    );
    assert.match(
      await rejects('azure', fx('azure-small'), '--hash-len', '1'),
      /trace ids f1 and f2 would both become user "f"; use a longer --hash-len/,
    );
  });

  it('values and timestamps that do not parse', async () => {
    assert.match(
      await rejects('nab', fx('nab-bad-value.csv')),
      /nab-bad-value\.csv:3: value "twelve" is not a number/,
    );
    assert.match(
      await rejects('nab', fx('nab-bad-timestamp.csv')),
      /nab-bad-timestamp\.csv:3: timestamp "10\/04\/2014 00:05" is not a real YYYY-MM-DD HH:MM:SS, ISO-8601, epoch s or epoch ms time/,
    );
  });

  it('--on-error skip imports the good rows, lists every skipped one, and exits 3', async () => {
    const r = await earmark(['import', 'nab', fx('nab-bad-value.csv'), '--dry-run', '--on-error', 'skip']);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /would import \(dry run\) 2 points for 1 users/);
    assert.match(r.stdout, /skipped 1 malformed rows/);
    assert.equal(
      r.stderr.match(/^skipped .*nab-bad-value\.csv:3: value "twelve" is not a number$/gm)?.length,
      1,
    );
  });

  it('an unreachable InfluxDB is a clear error, not a hang', async () => {
    const spool = tempDir();
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await earmark(['import', 'nab', fx('nab-good.csv'), '--url', url, '--spool-dir', spool]);
    fs.rmSync(spool, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(`InfluxDB at ${url} is unreachable (start it with: npm run influx:start`),
      r.stderr,
    );
  });

  it('bad options are usage errors (exit 2) with the help', async () => {
    for (const argv of [
      ['import', 'parquet', 'x'],
      ['import', 'azure'],
      ['import', 'nab', 'x.csv', '--rp', 'forever'],
      ['import', 'nab', 'x.csv', '--scale', '-2'],
      ['import', 'nab', 'x.csv', '--start', 'yesterday'],
      ['import', 'nab', 'x.csv', '--bogus'],
    ]) {
      const r = await earmark(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /usage: earmark import azure/);
    }
  });
});
