import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import {
  PointsRejectedError,
  StoreWriter,
  silentLogger,
  type WriterOptions,
} from '../../../control-plane/store';
import { queueChunks } from '../../../control-plane/store/chunked-write';
import type { StoreContext } from '../../../control-plane/store/context';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import type { Point } from '../../../control-plane/store/influx/line-protocol';
import { ensureSchema } from '../../../control-plane/store/schema';
import { testInflux, uniqueDb } from '../../support/influx';
import { recentMinute, recordingLogger, tempDir } from './helpers';

/**
 * A stand-in InfluxDB /write endpoint: records each request it accepts (in the order they were
 * answered) and a log of request starts and ends, and answers with `status()` after `delayMs`.
 */
async function recordingInflux(status: () => number, delayMs = 0) {
  const requests: { rp: string; lines: string[] }[] = [];
  const events: string[] = [];
  let active = 0;
  let maxActive = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const rp = new URL(req.url!, 'http://x').searchParams.get('rp')!;
      const name = `${rp}:${body.split('\n')[0]}`;
      events.push(`start ${name}`);
      maxActive = Math.max(maxActive, ++active);
      setTimeout(() => {
        const code = status();
        if (code === 204) requests.push({ rp, lines: body.split('\n') });
        events.push(`end ${name}`);
        active--;
        res.writeHead(code).end(code === 204 ? '' : '{"error":"overloaded"}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    events,
    maxActive: () => maxActive,
    close: () => new Promise((r) => server.close(r)),
  };
}

const line = (i: number): string => `m,user=u v=${i} ${1_000_000 + i}`;
const range = (a: number, b: number): string[] => Array.from({ length: b - a }, (_, k) => line(a + k));

describe('store writer: batching, retries, rejects, backpressure', function () {
  this.timeout(60_000);
  let dir: string;
  let writer: StoreWriter | undefined;
  const open = async (o: Partial<WriterOptions> & { url: string }) =>
    (writer = await StoreWriter.open({ db: 'd', spoolDir: dir, log: silentLogger, ...o }));
  beforeEach(() => (dir = tempDir('earmark-writer-')));
  afterEach(async () => {
    await writer?.close();
    writer = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends full batches at once, a partial one on the timer, in write order across retention policies', async () => {
    const srv = await recordingInflux(() => 204);
    try {
      await open({ url: srv.url, batchLines: 100, flushIntervalMs: 100, concurrency: 1 });
      await Promise.all([
        writer!.writeLines('raw', range(0, 250)),
        writer!.writeLines('state', range(250, 260)),
        writer!.writeLines('raw', range(260, 270)),
      ]);
      assert.deepEqual(
        srv.requests.map((r) => [r.rp, r.lines.length]),
        [
          ['raw', 100],
          ['raw', 100],
          ['raw', 50],
          ['state', 10],
          ['raw', 10],
        ],
      );
      assert.deepEqual(
        srv.requests.flatMap((r) => r.lines),
        range(0, 270),
      );
    } finally {
      await srv.close();
    }
  });

  it('keeps pre-encoded blocks whole, in write order with text lines, and counts their lines', async () => {
    const srv = await recordingInflux(() => 204);
    const block = (a: number, b: number) => ({ buf: Buffer.from(range(a, b).join('\n')), lines: b - a });
    try {
      await open({ url: srv.url, batchLines: 100, flushIntervalMs: 100, concurrency: 1 });
      await Promise.all([
        writer!.writeBlocks('raw', [block(0, 60), block(60, 120)]),
        writer!.writeLines('raw', range(120, 130)),
        writer!.writeBlocks('raw', [block(130, 260)]),
        writer!.writeBlocks('raw', [{ buf: Buffer.alloc(0), lines: 0 }]),
        writer!.writeBlocks('state', [block(260, 265)]),
      ]);
      // 60 + 60 would overfill a batch of 100: the second block starts the next one. A block larger
      // than a batch is sent alone.
      assert.deepEqual(
        srv.requests.map((r) => [r.rp, r.lines.length]),
        [
          ['raw', 60],
          ['raw', 70],
          ['raw', 130],
          ['state', 5],
        ],
      );
      assert.deepEqual(
        srv.requests.flatMap((r) => r.lines),
        range(0, 265),
      );
      assert.equal(writer!.stats().written, 265);
      assert.equal(writer!.stats().buffered, 0);
    } finally {
      await srv.close();
    }
  });

  it('keeps two bulk requests in flight, and runs an ordered (state) write alone, after everything before it', async () => {
    const srv = await recordingInflux(() => 204, 100);
    try {
      await open({ url: srv.url, batchLines: 10, flushIntervalMs: 5, concurrency: 2 });
      await Promise.all([
        writer!.writeLines('raw', range(0, 40)),
        writer!.writeLines('state', range(40, 41), { now: true }),
        writer!.writeLines('raw', range(41, 61)),
      ]);
      assert.equal(srv.maxActive(), 2, 'bulk batches overlap');
      const e = srv.events;
      const at = (ev: string): number => e.indexOf(ev);
      const barrier = `state:${line(40)}`;
      for (const first of [0, 10, 20, 30])
        assert.ok(at(`end raw:${line(first)}`) < at(`start ${barrier}`), e.join('\n'));
      for (const first of [41, 51])
        assert.ok(at(`end ${barrier}`) < at(`start raw:${line(first)}`), e.join('\n'));
      assert.deepEqual(srv.requests.flatMap((r) => r.lines).sort(), range(0, 61).sort());
    } finally {
      await srv.close();
    }
  });

  it('retries a failing request with backoff and does not spool when a retry succeeds', async () => {
    let calls = 0;
    const srv = await recordingInflux(() => (++calls <= 2 ? 500 : 204));
    try {
      await open({ url: srv.url, attemptsBeforeSpool: 3, backoffMinMs: 10, flushIntervalMs: 10 });
      await writer!.writeLines('raw', range(0, 10));
      const s = writer!.stats();
      assert.equal(s.retries, 2);
      assert.equal(s.spooledTotal, 0);
      assert.equal(s.written, 10);
      assert.deepEqual(srv.requests.length, 1);
    } finally {
      await srv.close();
    }
  });

  it('pushes back instead of growing memory when InfluxDB and the spool cannot take more', async () => {
    let up = false;
    const srv = await recordingInflux(() => (up ? 204 : 503));
    try {
      await open({
        url: srv.url,
        batchLines: 10,
        flushIntervalMs: 5,
        maxBufferedLines: 50,
        maxSpoolBytes: 1, // the first batch fits (an empty spool always takes one), then it is full
        attemptsBeforeSpool: 1,
        backoffMaxMs: 20,
      });
      const done: boolean[] = [];
      const writes = Array.from({ length: 20 }, (_, k) =>
        writer!.writeLines('raw', range(k * 10, k * 10 + 10)).then(() => (done[k] = true)),
      );
      while (writer!.stats().waitingWrites === 0 || writer!.stats().state !== 'spooling') {
        await new Promise((r) => setTimeout(r, 10));
      }
      const s = writer!.stats();
      assert.ok(s.buffered <= 50, `at most maxBufferedLines in memory, got ${s.buffered}`);
      assert.ok(s.waitingWrites > 0);
      assert.ok(done.filter(Boolean).length < 20, 'later writes wait');
      up = true;
      await Promise.all(writes);
      await writer!.delivered(30_000);
      assert.deepEqual(
        srv.requests.flatMap((r) => r.lines),
        range(0, 200),
      );
    } finally {
      await srv.close();
    }
  });

  it('a chunked write builds its next chunk only once the one before has room (slow InfluxDB)', async () => {
    const srv = await recordingInflux(() => 204, 100);
    try {
      await open({ url: srv.url, batchLines: 50, flushIntervalMs: 5, maxBufferedLines: 100 });
      // Writes waiting for room when each chunk is about to be built: with two chunks' room, the
      // third waits for InfluxDB's first answer, and nothing may be built meanwhile.
      const waitingAtBuild: number[] = [];
      function* chunks(): Generator<Point[]> {
        for (let k = 0; k < 6; k++) {
          waitingAtBuild.push(writer!.stats().waitingWrites);
          yield Array.from({ length: 50 }, (_, i) => ({
            measurement: 'm',
            tags: { user: 'u' },
            fields: { v: 50 * k + i },
            timeMs: 1_000_000 + 50 * k + i,
          }));
        }
      }
      const ctx = { writer: writer!, db: 'd' } as unknown as StoreContext;
      const queued = await queueChunks(ctx, 'raw', chunks());
      await queued.stored;
      assert.deepEqual(waitingAtBuild, [0, 0, 0, 0, 0, 0]);
      assert.deepEqual(
        srv.requests.flatMap((r) => r.lines),
        range(0, 300),
      );
    } finally {
      await srv.close();
    }
  });

  it("a refused point fails only its own write: the batch is split, the rest stored (InfluxDB's partial write)", async () => {
    // As InfluxDB 1.x: points beyond retention are dropped, the others stored, and the request
    // answered 400 "partial write ... dropped=N".
    const stored: string[] = [];
    let requests = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests++;
        const lines = body.split('\n').filter(Boolean);
        const bad = lines.filter((l) => l.includes('old=1'));
        stored.push(...lines.filter((l) => !l.includes('old=1')));
        if (bad.length === 0) res.writeHead(204).end();
        else
          res
            .writeHead(400)
            .end(`{"error":"partial write: points beyond retention policy dropped=${bad.length}"}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await open({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        batchLines: 100,
        flushIntervalMs: 20,
      });
      const a = writer!.writeLines('raw', range(0, 3));
      const b = writer!.writeLines('raw', [`m,user=u old=1 ${1_000_100}`, line(101)]);
      const c = writer!.writeLines('raw', range(200, 202));
      await a;
      await c;
      await assert.rejects(
        b,
        (e: unknown) => e instanceof PointsRejectedError && /dropped=1/.test(String(e)),
      );
      assert.ok(requests > 1, 'the batch was split');
      for (const l of [...range(0, 3), line(101), ...range(200, 202)])
        assert.ok(stored.includes(l), `${l} stored`);
      const kept = fs
        .readdirSync(path.join(dir, 'rejected'))
        .map((f) => fs.readFileSync(path.join(dir, 'rejected', f), 'utf8'));
      assert.equal(kept.length, 1);
      assert.deepEqual(
        kept[0].split('\n').filter((l) => l && !l.startsWith('#')),
        [`m,user=u old=1 ${1_000_100}`],
        'only the refused point is kept',
      );
      assert.equal(writer!.stats().rejected, 1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a refusal of every request alike (401) is not split: one request, the batch kept whole', async () => {
    const srv = await recordingInflux(() => 401);
    try {
      await open({ url: srv.url, batchLines: 100, flushIntervalMs: 10 });
      await assert.rejects(writer!.writeLines('raw', range(0, 50)), PointsRejectedError);
      assert.equal(srv.events.filter((e) => e.startsWith('start')).length, 1, 'one request');
      assert.equal(fs.readdirSync(path.join(dir, 'rejected')).length, 1, 'one dead-letter file');
      assert.equal(writer!.stats().rejected, 50);
    } finally {
      await srv.close();
    }
  });

  it('fails the writes of a batch InfluxDB refuses, with its reason, and keeps the batch on disk', async () => {
    const influx = await testInflux();
    const db = uniqueDb('reject');
    const client = new InfluxHttp({ url: influx.url });
    await ensureSchema(client, db);
    const log = recordingLogger();
    await open({ url: influx.url, db, flushIntervalMs: 10, log });
    const t = recentMinute(5);
    await writer!.writeLines('raw', [`usage,user=a,node=n requests=1 ${t}`]);
    const bad = writer!.writeLines('raw', [`usage,user=a,node=n requests="many" ${t + 1}`], { now: true });
    await assert.rejects(
      bad,
      (e: Error) => e instanceof PointsRejectedError && /field type conflict/.test(e.message),
    );
    await writer!.writeLines('raw', [`usage,user=a,node=n requests=2 ${t + 2}`]);
    const kept = fs.readdirSync(path.join(dir, 'rejected'));
    assert.equal(kept.length, 1);
    const text = fs.readFileSync(path.join(dir, 'rejected', kept[0]), 'utf8');
    assert.match(text, /^# InfluxDB write failed with HTTP 400: .*field type conflict/);
    assert.match(text, /requests="many"/);
    assert.equal(writer!.stats().rejected, 1);
    assert.ok(log.lines.some((l) => l.startsWith('error:') && l.includes('kept in')));
    const [res] = await client.query(`SELECT count(requests) FROM "${db}"."raw"."usage"`, db);
    assert.equal(res.series[0].values[0][1], 2);
    client.close();
  });

  it('refuses lines without a timestamp (replays would duplicate them)', async () => {
    await open({ url: 'http://127.0.0.1:1' });
    await assert.rejects(writer!.writeLines('raw', ['m v=1 5', 'm v=2']), /line 2 has no timestamp/);
    assert.equal(writer!.stats().buffered, 0);
  });
});
