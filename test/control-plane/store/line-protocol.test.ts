import { strict as assert } from 'node:assert';
import { formatPoint } from '../../../control-plane/store';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import { lineTimestamp } from '../../../control-plane/store/influx/line-protocol';
import { ensureSchema } from '../../../control-plane/store/schema';
import { testInflux, uniqueDb } from '../../support/influx';
import { recentMinute } from './helpers';

describe('store: line protocol', () => {
  it('formats tags sorted, numbers as floats, strings quoted, and leaves out empty tags and undefined fields', () => {
    const line = formatPoint({
      measurement: 'usage',
      tags: { user: 'u1', node: 'n1', empty: '' },
      fields: { requests: 3, ok: true, plan: 'p "7"', missing: undefined },
      timeMs: 1234,
    });
    assert.equal(line, 'usage,node=n1,user=u1 requests=3,ok=true,plan="p \\"7\\"" 1234');
  });

  it('rejects what InfluxDB could not store, naming the point', () => {
    const p = { measurement: 'm', fields: { v: 1 }, timeMs: 1 };
    assert.throws(() => formatPoint({ ...p, fields: { v: NaN } }), /m\.v: field is not a finite number/);
    assert.throws(() => formatPoint({ ...p, fields: {} }), /at least one field/);
    assert.throws(() => formatPoint({ ...p, timeMs: 1.5 }), /timeMs must be an integer/);
    assert.throws(() => formatPoint({ ...p, tags: { user: 'ends\\' } }), /ends in a backslash/);
    assert.throws(() => formatPoint({ ...p, tags: { user: 'two\nlines' } }), /newline/);
  });

  it('finds the timestamp at the end of a raw line', () => {
    assert.equal(lineTimestamp('m v=1 1700000000000'), 1700000000000);
    assert.ok(Number.isNaN(lineTimestamp('m v=1')));
    assert.ok(Number.isNaN(lineTimestamp('m s="a 12"')));
  });

  it('round-trips awkward user ids and string values through a real InfluxDB', async () => {
    const influx = await testInflux();
    const db = uniqueDb('lp');
    const http = new InfluxHttp({ url: influx.url });
    await ensureSchema(http, db);
    const users = ['a b', 'c,d', 'e=f', 'quote"s', "it's", 'back\\slash', 'ünï-cödé', 'x,y z=w'];
    const text = 'line 1\nline "2" with \\ backslash\n';
    const t = recentMinute(5);
    const body = users
      .map((u, i) =>
        formatPoint({ measurement: 'odd name,1', tags: { user: u }, fields: { text, i }, timeMs: t + i }),
      )
      .join('\n');
    await http.write(db, 'raw', body);
    const [res] = await http.query(`SELECT * FROM "odd name,1" GROUP BY "user"`, db);
    const got = res.series.map((s) => [s.tags!.user, s.values[0][1], s.values[0][2]]); // columns: time, i, text
    assert.deepEqual(
      got.sort((a, b) => (a[1] as number) - (b[1] as number)),
      users.map((u, i) => [u, i, text]),
    );
    http.close();
  });
});
