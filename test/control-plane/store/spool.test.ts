import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';
import { ensureSchema } from '../../../control-plane/store/schema';
import { DiskSpool, encodeRecord } from '../../../control-plane/store/writer/spool';
import { SpoolLockedError, StoreWriter, silentLogger } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';
import { recentMinute, recordingLogger, tempDir } from './helpers';

const rec = (n: number) => ({ db: 'd', rp: 'raw', lines: 1, body: `m v=${n} ${n}` });

/** Runs the child writer against a dead URL until it reports `atLeast` durable points, then SIGKILLs it. */
function crashChild(
  spoolDir: string,
  url: string,
  db: string,
  base: number,
  atLeast: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'fixtures', 'spool-writer-child.ts'),
        spoolDir,
        url,
        db,
        '30',
        String(base),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let durable = 0;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const m of buf.matchAll(/durable (\d+)\n/g)) durable = Math.max(durable, Number(m[1]));
      if (durable >= atLeast && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(durable) : reject(new Error(`child exited on its own (${signal})`)),
    );
  });
}

describe('store spool: survives our own crash', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = tempDir('earmark-spool-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replays, after a SIGKILL of the writing process, every point it had reported durable', async () => {
    const influx = await testInflux();
    const db = uniqueDb('spool');
    const http = new InfluxHttp({ url: influx.url });
    await ensureSchema(http, db);
    const base = recentMinute(60);
    const durable = await crashChild(dir, `http://127.0.0.1:${await freePort()}`, db, base, 3000);
    assert.ok(durable >= 3000);

    const log = recordingLogger();
    const writer = await StoreWriter.open({ url: influx.url, db, spoolDir: dir, log });
    await writer.delivered(60_000);
    await writer.close();
    assert.ok(
      log.lines.some((l) => /points in \d+ batches from an earlier run will be replayed/.test(l)),
      log.lines.join('\n'),
    );
    const [res] = await http.query(
      `SELECT count(requests) FROM "${db}"."raw"."usage" WHERE "node" = 'child' AND "user" <> 'late'`,
      db,
    );
    http.close();
    // All 30 batches were written before the kill; at least every reported one must be there.
    assert.equal(res.series[0].values[0][1], 3000);
  });

  it('cuts a torn record at the tail (a crash mid-append) and keeps the records before it', async () => {
    const log = recordingLogger();
    let spool = await DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, log });
    await spool.append([rec(1), rec(2)]);
    await spool.close();
    const seg = fs.readdirSync(dir).find((f) => f.endsWith('.spool'))!;
    const torn = encodeRecord(rec(3)).subarray(0, 15);
    fs.appendFileSync(path.join(dir, seg), torn);
    spool = await DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, log });
    assert.equal(spool.records, 2);
    assert.ok(
      log.lines.some((l) => l.includes('dropped a torn tail of 15 bytes')),
      log.lines.join('\n'),
    );
    assert.equal((await spool.peek())?.body, 'm v=1 1');
    await spool.ack();
    assert.equal((await spool.peek())?.body, 'm v=2 2');
    await spool.ack();
    assert.equal(await spool.peek(), undefined);
    await spool.close();
  });

  it('resumes from its cursor and rotates segments, replaying in order', async () => {
    let spool = await DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 64, log: silentLogger });
    for (let i = 1; i <= 6; i++) await spool.append([rec(i)]);
    assert.ok(fs.readdirSync(dir).filter((f) => f.endsWith('.spool')).length > 1, 'rotated');
    await spool.peek();
    await spool.ack();
    await spool.close();
    spool = await DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 64, log: silentLogger });
    const seen: string[] = [];
    for (let r = await spool.peek(); r; r = await spool.peek()) {
      seen.push(r.body);
      await spool.ack();
    }
    assert.deepEqual(
      seen,
      [2, 3, 4, 5, 6].map((n) => `m v=${n} ${n}`),
    );
    assert.equal(spool.isEmpty(), true);
    await spool.close();
  });

  it('refuses a second writer on the same folder, and a full spool with a clear error', async () => {
    const spool = await DiskSpool.open({ dir, maxBytes: 100, segmentBytes: 1 << 20, log: silentLogger });
    await assert.rejects(
      StoreWriter.open({ url: 'http://127.0.0.1:1', db: 'd', spoolDir: dir, log: silentLogger }),
      SpoolLockedError,
    );
    await spool.append([rec(1)]);
    await assert.rejects(spool.append([{ ...rec(2), body: 'x'.repeat(200) }]), /spool .* is full/);
    await spool.close();
  });
});
