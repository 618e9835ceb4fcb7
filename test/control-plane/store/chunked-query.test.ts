/**
 * Chunked query responses (store/influx/chunked-query.ts, InfluxHttp.queryChunked): a large result
 * is parsed a chunk at a time with turns of the event loop between, against the real influxd and
 * against a stand-in that streams errors and broken responses.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InfluxHttp,
  InfluxHttpError,
  InfluxQueryError,
  InfluxUnreachableError,
  type Series,
} from '../../../control-plane/store/influx/http-client';
import { testInflux, uniqueDb } from '../../support/influx';

/** A stand-in /query endpoint that answers with `status` and writes `parts`, then ends or cuts. */
async function standIn(status: number, parts: string[], cut = false) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      for (const p of parts) res.write(p);
      if (cut) res.socket?.destroy();
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((r) => server.close(r)) };
}

const doc = (rows: unknown[][]) =>
  JSON.stringify({
    results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: rows }] }],
  }) + '\n';

describe('store: chunked query responses', function () {
  this.timeout(30_000);

  it('gives every row, a chunk at a time, with a turn of the event loop between chunks (influxd)', async () => {
    const influx = await testInflux();
    const db = uniqueDb('chunks');
    const client = new InfluxHttp({ url: influx.url });
    try {
      await client.query(`CREATE DATABASE "${db}" WITH DURATION INF NAME "forever"`);
      const t0 = Date.now() - 3_600_000;
      const lines = Array.from({ length: 50 }, (_, i) => `m,user=u${i % 5} v=${i} ${t0 + i * 1000}`);
      await client.write(db, 'forever', lines.join('\n'));
      const q = 'SELECT "v", "user"::tag FROM "m"';
      const [whole] = await client.query(q, db);
      const events: string[] = [];
      const got: Series[] = [];
      let spinning = true;
      const spin = (): void => {
        if (!spinning) return;
        events.push('turn');
        setImmediate(spin);
      };
      setImmediate(spin);
      await client.queryChunked(q, db, 7, (s) => {
        got.push(s);
        events.push('chunk');
      });
      spinning = false;
      assert.deepEqual(
        got.flatMap((s) => s.values),
        whole.series[0].values,
        'the same rows, in order',
      );
      assert.ok(got.length >= 8 && got.every((s) => s.values.length <= 7), `${got.length} chunks`);
      const chunks = events.flatMap((e, i) => (e === 'chunk' ? [i] : []));
      for (let k = 1; k < chunks.length; k++)
        assert.ok(events.slice(chunks[k - 1], chunks[k]).includes('turn'), `a turn before chunk ${k}`);
    } finally {
      await client.query(`DROP DATABASE "${db}"`).catch(() => undefined);
      client.close();
    }
  });

  it('rejects with the InfluxQL error a chunk carries, after the rows before it', async () => {
    const srv = await standIn(200, [
      doc([[1, 1]]),
      '{"results":[{"statement_id":0,"error":"max-select-point limit exceeded"}]}\n',
    ]);
    const client = new InfluxHttp({ url: srv.url });
    const rows: unknown[][] = [];
    try {
      await assert.rejects(
        client.queryChunked('SELECT * FROM m', 'd', 10, (s) => rows.push(...s.values)),
        (e: unknown) => e instanceof InfluxQueryError && /max-select-point limit exceeded/.test(e.message),
      );
      assert.deepEqual(rows, [[1, 1]]);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('says InfluxDB is unreachable when the response is cut mid-chunk', async () => {
    const srv = await standIn(200, [doc([[1, 1]]), '{"results":[{"statement_id":0,"ser'], true);
    const client = new InfluxHttp({ url: srv.url });
    try {
      await assert.rejects(
        client.queryChunked('SELECT * FROM m', 'd', 10, () => undefined),
        (e: unknown) => e instanceof InfluxUnreachableError,
      );
    } finally {
      client.close();
      await srv.close();
    }
  });

  it("reports an error status with its body, and passes on the consumer's own error as it is", async () => {
    const bad = await standIn(500, ['{"error":"timeout"}']);
    const client = new InfluxHttp({ url: bad.url });
    try {
      await assert.rejects(
        client.queryChunked('SELECT * FROM m', 'd', 10, () => undefined),
        (e: unknown) => e instanceof InfluxHttpError && e.status === 500 && /timeout/.test(e.message),
      );
    } finally {
      client.close();
      await bad.close();
    }
    const good = await standIn(200, [doc([[1, 1]]), doc([[2, 2]])]);
    const c2 = new InfluxHttp({ url: good.url });
    const mine = new Error('the consumer refused a row');
    try {
      await assert.rejects(
        c2.queryChunked('SELECT * FROM m', 'd', 10, () => {
          throw mine;
        }),
        (e: unknown) => e === mine,
      );
    } finally {
      c2.close();
      await good.close();
    }
  });
});
