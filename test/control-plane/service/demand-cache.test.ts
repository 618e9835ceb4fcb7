import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UsageReport } from '../../../control-plane/domain/usage';
import { DemandCache } from '../../../control-plane/service/demand-cache';
import { Store } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';

const MINUTE = 60_000;
const T = Math.floor(Date.now() / MINUTE) * MINUTE - 6 * 3600_000;

function report(atMs: number, rows: [string, number][], seq: number): UsageReport {
  return {
    nodeId: 'edge-1',
    sequence: seq,
    intervalStartMs: atMs,
    intervalMs: 10_000,
    planVersion: 'p',
    users: rows.map(([user, n]) => ({
      user,
      requests: n,
      admitted: n,
      queued: 0,
      queueWaitMs: 0,
      queueWaitMaxMs: 0,
      throttled: 0,
      redirected: 0,
      peakInFlight: Math.ceil(n / 10),
      bytesIn: n * 100,
      bytesOut: n * 1000,
      shortfall: 0,
      unreserved: 0,
    })),
  };
}

describe('control-plane/service: incremental demand history (DemandCache)', function () {
  this.timeout(60_000);
  let store: Store;
  before(async () => {
    const influx = await testInflux();
    store = await Store.open({
      url: influx.url,
      database: uniqueDb('cache'),
      spoolDir: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-cache-')), 'spool'),
    });
    await store.schemaReady;
  });
  after(async () => store.close());

  it('gives exactly what a full read gives, cycle after cycle, with late reports and users coming and going', async () => {
    const H = 60;
    let seq = 1;
    // "steady" all along, "early" only in the first 20 minutes (leaves the window), "late" from minute 70.
    const minute = (m: number): [string, number][] => [
      ['steady', 5 + (m % 7)],
      ...(m < 20 ? ([['early', 3]] as [string, number][]) : []),
      ...(m >= 70 ? ([['late', 1 + (m % 3)]] as [string, number][]) : []),
    ];
    const writes: Promise<void>[] = [];
    for (let m = 0; m < 60; m++) writes.push(store.writeUsage(report(T + m * MINUTE, minute(m), seq++)));
    await Promise.all([...writes, store.flush()]);
    const cache = new DemandCache(store, {
      stepMs: MINUTE,
      historySteps: H,
      refreshSteps: 3,
      fullEvery: 1000,
    });
    let incremental = 0;
    for (let m = 60; m < 95; m++) {
      const origin = T + m * MINUTE;
      const got = await cache.read(origin);
      if (!cache.lastWasFull) incremental++;
      const want = await store.readDemandWindows({
        fromMs: origin - H * MINUTE,
        toMs: origin,
        stepMs: MINUTE,
      });
      assert.deepEqual(got.users, want.users, `users at minute ${m}`);
      assert.equal(got.startMs, want.startMs);
      assert.equal(got.steps, want.steps);
      assert.deepEqual(Array.from(got.values), Array.from(want.values), `values at minute ${m}`);
      // This minute's usage, and a late report for two minutes ago, before the next cycle reads.
      await Promise.all([
        store.writeUsage(report(origin, minute(m), seq++)),
        store.writeUsage(report(origin - 2 * MINUTE + 30_000, [['steady', 1]], seq++)),
        store.flush(),
      ]);
    }
    assert.ok(incremental >= 30, `${incremental} incremental reads`);
  });

  it('reads in full after a gap longer than the history', async () => {
    const cache = new DemandCache(store, { stepMs: MINUTE, historySteps: 10 });
    await cache.read(T + 100 * MINUTE);
    await cache.read(T + 101 * MINUTE);
    assert.equal(cache.lastWasFull, false);
    await cache.read(T + 200 * MINUTE);
    assert.equal(cache.lastWasFull, true);
    await cache.read(T + 150 * MINUTE); // time went back (a replay restarted)
    assert.equal(cache.lastWasFull, true);
  });
});
