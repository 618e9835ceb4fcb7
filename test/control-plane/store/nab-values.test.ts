/**
 * What the NAB (`timestamp,value`) reader accepts: epoch seconds and milliseconds told apart by
 * size, no impossible calendar dates (Date.parse would roll them over), no negative or absurd
 * values — each refused with the file and line, never imported quietly.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NabSeries, parseTimestamp } from '../../../control-plane/store/import/nab';
import { IssueLog } from '../../../control-plane/store/import/trace';
import { tempDir } from './helpers';

describe('store/import: NAB timestamps and values', () => {
  it('reads 10-digit epoch timestamps as seconds and 13-digit ones as milliseconds', () => {
    assert.equal(parseTimestamp('1700000000'), 1_700_000_000_000);
    assert.equal(parseTimestamp('1700000000000'), 1_700_000_000_000);
    assert.equal(parseTimestamp('2023-11-14 22:13:20'), 1_700_000_000_000);
    assert.equal(parseTimestamp('2023-11-14T23:13:20+01:00'), 1_700_000_000_000);
  });

  it('refuses dates that do not exist instead of rolling them over', () => {
    for (const t of [
      '2026-04-31 00:00:00',
      '2026-02-29 12:00:00',
      '2026-13-01 00:00:00',
      '2026-01-01 24:00:00',
      '2026-01-01 10:60:00',
    ])
      assert.ok(Number.isNaN(parseTimestamp(t)), t);
    assert.equal(parseTimestamp('2024-02-29 00:00:00'), Date.UTC(2024, 1, 29));
  });

  it('a week of epoch seconds spans a week; negative and absurd values are refused with their line', async () => {
    const dir = tempDir('earmark-nab-');
    try {
      const file = path.join(dir, 'series.csv');
      const t0 = 1_700_000_000;
      const rows = Array.from({ length: 2016 }, (_, i) => `${t0 + i * 300},${i % 10}`);
      rows[5] = `${t0 + 5 * 300},-50`;
      rows[9] = `${t0 + 9 * 300},1e308`;
      fs.writeFileSync(file, ['timestamp,value', ...rows].join('\n') + '\n');
      const issues = new IssueLog('skip');
      const s = new NabSeries({ file, user: 'u', resource: 'requests', scale: 1, node: 'n', issues });
      await s.scan();
      assert.equal(s.firstMs, t0 * 1000);
      assert.equal(s.lastMs - s.firstMs, 2015 * 300_000, 'seven days, not ten minutes');
      assert.deepEqual(
        issues.skipped.map((e) => e.message.replace(/^.*series\.csv:/, '')),
        [
          '7: value -50 is negative: usage cannot be',
          '11: value 1e308 is beyond any usage figure (above 1000000000000000)',
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
