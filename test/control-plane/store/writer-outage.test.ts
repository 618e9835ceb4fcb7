import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import {
  freePort,
  killHard,
  startLocalInflux,
  type LocalInflux,
} from '../../../scripts/influxdb/local-influxd';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import { ensureSchema } from '../../../control-plane/store/schema';
import { Store, StoreWriter } from '../../../control-plane/store';
import type { UsageReport, UserUsage } from '../../../control-plane/domain/usage';
import { recordingLogger, recentMinute, tempDir } from './helpers';

const DB = 'earmark';

/** N distinct points: user u{i % 50}, one per millisecond, requests = i % 7 + 1. */
function lines(from: number, to: number, base: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++)
    out.push(`usage,node=n1,user=u${i % 50} requests=${(i % 7) + 1} ${base + i}`);
  return out;
}

function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (i % 7) + 1;
  return s;
}

function usage(user: string, requests: number, throttle: boolean): UserUsage {
  return {
    user,
    requests,
    admitted: throttle && requests > 0 ? requests - 1 : requests,
    queued: 0,
    queueWaitMs: 0,
    queueWaitMaxMs: 0,
    throttled: throttle && requests > 0 ? 1 : 0,
    redirected: 0,
    peakInFlight: requests > 0 ? 1 : 0,
    bytesIn: 100 * requests,
    bytesOut: 900 * requests,
    shortfall: 0,
    unreserved: 0,
  };
}

function report(nodeId: string, sequence: number, intervalStartMs: number, users: UserUsage[]): UsageReport {
  return { nodeId, sequence, intervalStartMs, intervalMs: 10_000, planVersion: 'p1', users };
}

async function countAndSum(http: InfluxHttp): Promise<[number, number]> {
  const [res] = await http.query('SELECT count(requests), sum(requests) FROM "earmark"."raw"."usage"', DB);
  const row = res.series[0]?.values[0] ?? [0, 0, 0];
  return [Number(row[1]), Number(row[2])];
}

describe('store writer: InfluxDB outages lose nothing', function () {
  this.timeout(180_000);
  let dir: string;
  let port: number;
  let influx: LocalInflux | undefined;
  let http: InfluxHttp;

  beforeEach(async () => {
    dir = tempDir('earmark-outage-');
    port = await freePort();
    influx = await startLocalInflux({ dir: `${dir}/influx`, httpPort: port });
    http = new InfluxHttp({ url: influx.url });
    await ensureSchema(http, DB);
  });
  afterEach(async () => {
    http?.close();
    await influx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kills influxd in the middle of writing, restarts it on the same data, and finds every point exactly once', async () => {
    const log = recordingLogger();
    const writer = await StoreWriter.open({
      url: influx!.url,
      db: DB,
      spoolDir: `${dir}/spool`,
      batchLines: 1000,
      flushIntervalMs: 50,
      backoffMaxMs: 200,
      attemptsBeforeSpool: 2,
      log,
    });
    const N = 60_000;
    const base = recentMinute(100);
    const pending: Promise<void>[] = [];
    let killedAt = -1;
    for (let i = 0; i < N; i += 1000) {
      pending.push(writer.writeLines('raw', lines(i, i + 1000, base)));
      if (pending.length > 4) await pending.shift();
      if (killedAt < 0 && writer.stats().written >= 15_000) {
        killHard(influx!); // mid-stream: batches are in flight and queued
        killedAt = writer.stats().written;
      }
    }
    await Promise.all(pending); // every write is durable: acknowledged or fsynced to the spool
    assert.ok(killedAt > 0 && killedAt < N, `killed mid-stream (after ${killedAt} points)`);
    assert.ok(writer.stats().spooled > 0, 'the outage sent batches to the spool');
    assert.ok(
      log.lines.some((l) =>
        /error: InfluxDB at http:\/\/127\.0\.0\.1:\d+ is unreachable.*Spooling writes to/.test(l),
      ),
      `a clear error was logged: ${log.lines.join('\n')}`,
    );

    influx = await startLocalInflux({ dir: `${dir}/influx`, httpPort: port });
    await writer.delivered(60_000);
    assert.equal(writer.stats().spooled, 0);
    assert.deepEqual(await countAndSum(http), [N, expectedSum(N)]);
    assert.ok(log.lines.some((l) => l.startsWith('info: InfluxDB at') && l.includes('answers again')));
    await writer.close();
    assert.deepEqual(
      fs.readdirSync(`${dir}/spool`).filter((f) => f.endsWith('.spool')),
      [],
      'spool emptied',
    );
  });

  it('kills influxd in the middle of usage reports (the encoded-block path), and finds every report exactly once', async () => {
    const store = await Store.open({
      url: influx!.url,
      database: DB,
      spoolDir: `${dir}/spool`,
      log: recordingLogger(),
      writer: { batchLines: 1000, flushIntervalMs: 50, backoffMaxMs: 200, attemptsBeforeSpool: 2 },
    });
    await store.schemaReady;
    const USERS = 2000;
    const INTERVALS = 30;
    const base = recentMinute(100);
    const pending: Promise<void>[] = [];
    let killedAt = -1;
    let throttled = 0;
    for (let i = 0; i < INTERVALS; i++) {
      const users = Array.from({ length: USERS }, (_, u) =>
        usage(`user ${u}`, (u + i) % 9, u % 13 === i % 13),
      );
      throttled += users.reduce((s, u) => s + u.throttled, 0);
      pending.push(store.writeUsage(report('envoy-1', i + 1, base + i * 10_000, users)));
      if (pending.length > 4) await pending.shift();
      if (killedAt < 0 && store.stats().written >= 15_000) {
        killHard(influx!);
        killedAt = store.stats().written;
      }
    }
    await Promise.all(pending);
    assert.ok(killedAt > 0 && killedAt < USERS * INTERVALS, `killed mid-stream (after ${killedAt} points)`);
    assert.ok(store.stats().spooled > 0, 'the outage sent batches to the spool');

    influx = await startLocalInflux({ dir: `${dir}/influx`, httpPort: port });
    await store.writer.delivered(60_000);
    await store.close();
    const [res] = await http.query(
      'SELECT count(requests), sum(requests), sum(throttled) FROM "earmark"."raw"."usage"',
      DB,
    );
    let requests = 0;
    for (let i = 0; i < INTERVALS; i++) for (let u = 0; u < USERS; u++) requests += (u + i) % 9;
    assert.deepEqual(res.series[0].values[0].slice(1), [USERS * INTERVALS, requests, throttled]);
    const [reports] = await http.query('SELECT count(sequence) FROM "earmark"."raw"."usage_report"', DB);
    assert.equal(reports.series[0].values[0][1], INTERVALS);
  });

  it('starts with InfluxDB down: writes resolve once spooled, and are replayed in order when it comes up', async () => {
    await influx!.stop();
    const writer = await StoreWriter.open({
      url: `http://127.0.0.1:${port}`,
      db: DB,
      spoolDir: `${dir}/spool`,
      batchLines: 500,
      flushIntervalMs: 20,
      backoffMaxMs: 100,
      attemptsBeforeSpool: 1,
      log: recordingLogger(),
    });
    // The same point written three times with different values: replay order decides what is kept.
    const t = recentMinute(10);
    await writer.writeLines('raw', [...lines(0, 2000, t), `usage,node=n1,user=order requests=1 ${t}`]);
    await writer.writeLines('raw', [`usage,node=n1,user=order requests=2 ${t}`]);
    await writer.writeLines('raw', [`usage,node=n1,user=order requests=3 ${t}`]);
    assert.equal(writer.stats().state, 'spooling');
    assert.equal(writer.stats().spooled, 2003);
    influx = await startLocalInflux({ dir: `${dir}/influx`, httpPort: port });
    await writer.delivered(60_000);
    await writer.close();
    const [res] = await http.query(`SELECT requests FROM "earmark"."raw"."usage" WHERE "user" = 'order'`, DB);
    assert.deepEqual(res.series[0].values, [[t, 3]]);
    const [all] = await http.query(
      `SELECT count(requests) FROM "earmark"."raw"."usage" WHERE "user" <> 'order'`,
      DB,
    );
    assert.equal(all.series[0].values[0][1], 2000);
  });
});
