import { strict as assert } from 'node:assert';
import { demandIndex, RESOURCES, type DemandWindows } from '../../../control-plane/domain/demand';
import type { UsageReport, UserUsage } from '../../../control-plane/domain/usage';
import type { Store } from '../../../control-plane/store';
import { LiveDemandWindows } from '../../../control-plane/store/live-demand';
import { openTestStore, recentMinute } from './helpers';

const MIN = 60_000;

function usage(user: string, requests: number, peakInFlight: number, bytes = 0): UserUsage {
  return {
    user,
    requests,
    admitted: requests,
    queued: 0,
    queueWaitMs: 0,
    queueWaitMaxMs: 0,
    throttled: 0,
    redirected: 0,
    peakInFlight,
    bytesIn: bytes,
    bytesOut: bytes,
    shortfall: 0,
    unreserved: 0,
  };
}

/** Cell value by user name, whatever order each side lists users in. */
function cell(w: DemandWindows, user: string, r: number, t: number): number {
  const u = w.users.indexOf(user);
  return u < 0 ? 0 : w.values[demandIndex(w, u, r, t)];
}

describe('store: live demand windows from the usage stream', () => {
  let store: Store;
  afterEach(() => store?.close());

  it('gives the same windows as reading InfluxDB back, for the same reports', async () => {
    store = await openTestStore();
    const t0 = recentMinute(30);
    const profiles = new Map([
      ['a', { durationMs: 2000, memoryMb: 64, cpuFraction: 0.25, bytesPerRequest: 0 }],
    ]);
    const live = new LiveDemandWindows({ steps: 6, profiles });
    const reports: UsageReport[] = [];
    let seq = 0;
    const rep = (node: string, at: number, users: UserUsage[]) =>
      reports.push({
        nodeId: node,
        sequence: ++seq,
        intervalStartMs: at,
        intervalMs: 20_000,
        planVersion: 'p',
        users,
      });
    rep('n1', t0, [usage('a', 5, 2, 100), usage('b', 1, 1)]);
    rep('n1', t0 + 20_000, [usage('a', 7, 3, 50)]);
    rep('n2', t0 + 40_000, [usage('a', 2, 2)]);
    rep('n1', t0 + 2 * MIN, [usage('b', 9, 4, 10)]);
    rep('n1', t0 + 20_000, [usage('a', 1, 1)]); // a resend for minute 0 replaces: 5 + 1 + 2 requests, peak 2 + 2
    rep('n2', t0 + 5 * MIN, [usage('c', 3, 1)]);
    // Minute 3: 'a' had 3 in flight on its reservation while 50 more were redirected and 10 throttled.
    rep('n1', t0 + 3 * MIN, [{ ...usage('a', 63, 3), redirected: 50, throttled: 10 }]);
    // Minute 4: 'a' unreserved (the filter reports 0 in flight): 120 requests, 30 of them redirected.
    rep('n2', t0 + 4 * MIN, [{ ...usage('a', 90, 0), redirected: 30 }]);
    rep('n2', t0 + 4 * MIN + 20_000, [usage('a', 30, 0)]);
    for (const r of reports) {
      live.writeUsage(r);
      await store.writeUsage(r);
    }
    await store.flush();
    const fromDb = await store.readDemandWindows({ fromMs: t0, toMs: t0 + 6 * MIN, profiles });
    const fromLive = live.snapshot(t0 + 6 * MIN);
    assert.equal(fromLive.startMs, fromDb.startMs);
    assert.equal(fromLive.steps, 6);
    assert.deepEqual(fromLive.users, ['a', 'b', 'c']);
    for (const user of ['a', 'b', 'c', 'nobody']) {
      for (let r = 0; r < RESOURCES.length; r++) {
        for (let t = 0; t < 6; t++) {
          assert.ok(
            Math.abs(cell(fromLive, user, r, t) - cell(fromDb, user, r, t)) < 1e-3,
            `${user} ${RESOURCES[r]} step ${t}: live ${cell(fromLive, user, r, t)} db ${cell(fromDb, user, r, t)}`,
          );
        }
      }
    }
    assert.equal(
      cell(fromLive, 'a', 0, 0),
      5 + 1 + 2,
      'the resend replaced the first report of that interval',
    );
    assert.equal(cell(fromLive, 'a', 1, 0), 2 + 2, 'peak per proxy, added up');
    // 60 refused requests of 2 s each over a minute: 2 more in flight than the reservation let in.
    assert.equal(cell(fromDb, 'a', 1, 3), 3 + 2, 'the peak is censored at the slots: refused requests add');
    assert.equal(
      cell(fromLive, 'a', 1, 4),
      4,
      'unreserved: all 120 requests of 2 s over a minute, as for imports',
    );
  });

  it('slides: seeded history moves out, idle steps are zeros, reports older than the window are counted and ignored', () => {
    const live = new LiveDemandWindows({ steps: 3 });
    const t0 = 100 * MIN;
    const seed: DemandWindows = {
      users: ['x'],
      resources: RESOURCES,
      startMs: t0,
      stepMs: MIN,
      steps: 3,
      values: new Float32Array(RESOURCES.length * 3).map((_, i) => (i < 3 ? i + 1 : 0)),
    };
    live.seed(seed);
    let w = live.snapshot(t0 + 3 * MIN);
    assert.deepEqual([...w.values.subarray(0, 3)], [1, 2, 3]);
    w = live.snapshot(t0 + 5 * MIN);
    assert.equal(w.startMs, t0 + 2 * MIN);
    assert.deepEqual([...w.values.subarray(0, 3)], [3, 0, 0]);
    live.writeUsage({
      nodeId: 'n',
      sequence: 1,
      intervalStartMs: t0,
      intervalMs: MIN,
      planVersion: '',
      users: [usage('x', 4, 1)],
    });
    assert.equal(live.late, 1);
    live.writeUsage({
      nodeId: 'n',
      sequence: 2,
      intervalStartMs: t0 + 4 * MIN,
      intervalMs: MIN,
      planVersion: '',
      users: [usage('y', 4, 1)],
    });
    w = live.snapshot(t0 + 5 * MIN);
    assert.deepEqual(w.users, ['x', 'y']);
    assert.deepEqual([...w.values.subarray(RESOURCES.length * 3, RESOURCES.length * 3 + 3)], [0, 0, 4]);
  });
});
