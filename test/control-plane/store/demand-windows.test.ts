import { strict as assert } from 'node:assert';
import { demandIndex, RESOURCES, type DemandWindows } from '../../../control-plane/domain/demand';
import { usageOf as usage, type UsageReport, type UserUsage } from '../../../control-plane/domain/usage';
import { RETENTION_POLICIES, type Store } from '../../../control-plane/store';
import { openTestStore, recentMinute } from './helpers';

const MIN = 60_000;

function report(nodeId: string, sequence: number, atMs: number, users: UserUsage[]): UsageReport {
  return { nodeId, sequence, intervalStartMs: atMs, intervalMs: 30_000, planVersion: 'p1', users };
}

function at(w: DemandWindows, user: string, resource: (typeof RESOURCES)[number], step: number): number {
  return w.values[demandIndex(w, w.users.indexOf(user), RESOURCES.indexOf(resource), step)];
}

describe('store: dense demand windows', () => {
  let store: Store;
  const t0 = Math.floor(recentMinute(60) / (5 * MIN)) * 5 * MIN; // a 5-minute boundary, for the longer step
  before(async () => {
    store = await openTestStore();
    await store.writeResourceProfiles([
      {
        user: 'alice',
        durationMs: 3000,
        memoryMb: 256,
        cpuFraction: 0.5,
        bytesPerRequest: 0,
        updatedAtMs: t0,
      },
    ]);
    await Promise.all([
      // alice: minute 0 seen by two proxies, and twice by proxy n1 (two 30 s intervals).
      store.writeUsage(
        report('n1', 1, t0, [
          usage('alice', { requests: 5, peakInFlight: 2, bytesIn: 3000, bytesOut: 4500 }),
        ]),
      ),
      store.writeUsage(report('n1', 2, t0 + 30_000, [usage('alice', { requests: 4, peakInFlight: 3 })])),
      store.writeUsage(report('n2', 1, t0, [usage('alice', { requests: 3, peakInFlight: 1 })])),
      store.writeUsage(
        report('n1', 3, t0 + 2 * MIN, [
          usage('alice', { requests: 1, peakInFlight: 1 }),
          usage('bob', { requests: 7, peakInFlight: 4 }),
        ]),
      ),
    ]);
    // carol comes from an import: request counts only, so the rest is derived from the default profile.
    await store.writer.write(RETENTION_POLICIES.raw.name, [
      {
        measurement: 'usage',
        tags: { user: 'carol', node: 'import' },
        fields: { requests: 1200 },
        timeMs: t0 + 3 * MIN,
      },
    ]);
    await store.flush();
  });
  after(() => store?.close());

  it('returns every user and step, zeros where there was no traffic', async () => {
    const w = await store.readDemandWindows({ fromMs: t0, toMs: t0 + 5 * MIN });
    assert.deepEqual(w.users, ['alice', 'bob', 'carol']);
    assert.equal(w.steps, 5);
    assert.equal(w.startMs, t0);
    assert.equal(w.values.length, 3 * RESOURCES.length * 5);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((t) => at(w, 'alice', 'requests', t)),
      [12, 0, 1, 0, 0],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((t) => at(w, 'bob', 'requests', t)),
      [0, 0, 7, 0, 0],
    );
    for (const r of RESOURCES) assert.equal(at(w, 'bob', r, 1), 0, `bob ${r} at an idle minute`);
  });

  it("sums proxies: concurrency is each proxy's peak in the minute, added up; bandwidth from bytes", async () => {
    const w = await store.readDemandWindows({ fromMs: t0, toMs: t0 + 5 * MIN });
    assert.equal(at(w, 'alice', 'concurrency', 0), 3 + 1);
    assert.equal(at(w, 'bob', 'concurrency', 2), 4);
    assert.ok(Math.abs(at(w, 'alice', 'bandwidth', 0) - ((3000 + 4500) * 8) / MIN) < 1e-6);
  });

  it('derives cpu and memory from the resource profile, and concurrency when it was not measured', async () => {
    const w = await store.readDemandWindows({ fromMs: t0, toMs: t0 + 5 * MIN });
    // alice: 12 requests × 3 s × 0.5 CPU over a 60 s minute = 300 millicores; memory = 4 in flight × 256 MB.
    assert.ok(Math.abs(at(w, 'alice', 'cpu', 0) - 300) < 1e-3);
    assert.equal(at(w, 'alice', 'memory', 0), 4 * 256);
    // carol (default profile 100 ms, 128 MB, CPU-bound): 1200 req/min → 2 concurrent, 2000 millicores.
    assert.equal(at(w, 'carol', 'concurrency', 3), 2);
    assert.ok(Math.abs(at(w, 'carol', 'cpu', 3) - 2000) < 1e-3);
    assert.equal(at(w, 'carol', 'memory', 3), 256);
    assert.equal(at(w, 'carol', 'bandwidth', 3), 0);
  });

  it('keeps a given user list and order, idle users as zero rows, across query chunks', async () => {
    const w = await store.readDemandWindows({
      fromMs: t0 - MIN,
      toMs: t0 + 4 * MIN,
      users: ['carol', 'nobody', 'alice'],
      rowsPerQuery: 1, // one step per query: chunk boundaries are exercised
    });
    assert.deepEqual(w.users, ['carol', 'nobody', 'alice']);
    assert.equal(w.steps, 5);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((t) => at(w, 'alice', 'requests', t)),
      [0, 12, 0, 1, 0],
    );
    assert.equal(at(w, 'carol', 'requests', 4), 1200);
    for (let t = 0; t < 5; t++) for (const r of RESOURCES) assert.equal(at(w, 'nobody', r, t), 0);
  });

  it('aggregates to longer steps', async () => {
    const w = await store.readDemandWindows({
      fromMs: t0,
      toMs: t0 + 5 * MIN,
      stepMs: 5 * MIN,
      users: ['alice'],
    });
    assert.equal(w.steps, 1);
    assert.equal(at(w, 'alice', 'requests', 0), 13);
  });
});
