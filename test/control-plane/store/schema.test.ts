import { strict as assert } from 'node:assert';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import { backfillRollups, ensureSchema, RP } from '../../../control-plane/store/schema';
import { testInflux, uniqueDb } from '../../support/influx';

describe('store: schema', () => {
  let http: InfluxHttp;
  let db: string;
  before(async () => {
    http = new InfluxHttp({ url: (await testInflux()).url });
  });
  beforeEach(() => (db = uniqueDb('schema')));
  after(() => http.close());

  async function policies(): Promise<Record<string, [string, string, boolean]>> {
    const [res] = await http.query(`SHOW RETENTION POLICIES ON "${db}"`);
    return Object.fromEntries(res.series[0].values.map((v) => [v[0], [v[1], v[2], v[4]]]));
  }

  it('creates the retention policies (raw 14 d default, hourly 182 d, state and archive forever) and roll-up CQs', async () => {
    await ensureSchema(http, db);
    assert.deepEqual(await policies(), {
      raw: ['336h0m0s', '24h0m0s', true],
      hourly: ['4368h0m0s', '168h0m0s', false],
      state: ['0s', '8736h0m0s', false],
      archive: ['0s', '720h0m0s', false],
    });
    const [cqs] = await http.query('SHOW CONTINUOUS QUERIES');
    const mine = cqs.series.find((s) => s.name === db)!.values.map((v) => v[0]);
    assert.deepEqual(mine.sort(), ['cq_allocation_1h', 'cq_instance_load_1h', 'cq_usage_1h']);
  });

  it('is idempotent, and puts back a retention policy someone changed', async () => {
    await ensureSchema(http, db);
    await http.query(`ALTER RETENTION POLICY "raw" ON "${db}" DURATION 2d`);
    await http.query(`DROP CONTINUOUS QUERY "cq_usage_1h" ON "${db}"`);
    await ensureSchema(http, db);
    await ensureSchema(http, db);
    assert.equal((await policies()).raw[0], '336h0m0s');
    const [cqs] = await http.query('SHOW CONTINUOUS QUERIES');
    assert.equal(cqs.series.find((s) => s.name === db)!.values.length, 3);
    assert.equal(Object.keys(RP).length, Object.keys(await policies()).length);
  });

  it('backfills hourly roll-ups of past usage (sums, peaks) per user and node', async () => {
    await ensureSchema(http, db);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    await http.write(
      db,
      'raw',
      [
        `usage,node=n1,user=a requests=5,peak_in_flight=2 ${hour}`,
        `usage,node=n1,user=a requests=7,peak_in_flight=4 ${hour + 60_000}`,
        `usage,node=n1,user=a requests=1,peak_in_flight=1 ${hour + 3_600_000}`,
      ].join('\n'),
    );
    await backfillRollups(http, db, hour, hour + 2 * 3_600_000);
    const [res] = await http.query(
      `SELECT requests, peak_in_flight FROM "${db}"."hourly"."usage_1h" WHERE "user" = 'a' AND "node" = 'n1'`,
      db,
    );
    assert.deepEqual(res.series[0].values, [
      [hour, 12, 4],
      [hour + 3_600_000, 1, 1],
    ]);
  });
});
