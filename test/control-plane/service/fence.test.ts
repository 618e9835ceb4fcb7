/**
 * The leader-election fence inside the service (control-plane/service/fence.ts): with a fence that
 * says no, a cycle computes but neither publishes nor records its plan, and a top-up publishes
 * nothing; onListening is called once the ports listen, before the first cycle.
 */
import { strict as assert } from 'node:assert';
import { checkFence, fencedPublisher, NotLeaderError } from '../../../control-plane/service/fence';
import { CycleStages, type StageOptions } from '../../../control-plane/service/stages';
import { Store } from '../../../control-plane/store';
import { startWorld, type World } from './support';

describe('service: the leader-election fence', function () {
  this.timeout(120_000);
  let w: World;
  let may = true;
  const order: string[] = [];
  before(async () => {
    w = await startWorld({
      fence: () => may,
      onListening: () => order.push('listening'),
      onCycle: (r) => order.push(`cycle ${r.cycle}`),
    });
    await w.minute();
  });
  after(() => w?.close());

  it('is called back once the ports listen, before the first cycle', () => {
    assert.deepEqual(order.slice(0, 2), ['listening', 'cycle 1']);
  });

  it('a cycle that may not act publishes and records nothing, and says why', async () => {
    const before = w.cp.currentPlan()!.version;
    const revision = w.cp.distribution.cache.revision;
    may = false;
    await w.clock.advance(60_000);
    await w.cp.cycle.idle();
    const last = w.cp.cycle.recent(1)[0];
    assert.equal(last.ok, false);
    // Refused at the publish; or, had the allocation given the event loop a turn (it does every
    // 20 ms, which this small plan needs only on a stalled machine), abandoned there.
    if (last.failedStage === 'allocate') assert.match(last.error!, /stopped before it finished/);
    else {
      assert.equal(last.failedStage, 'publish');
      assert.match(last.error!, /plan publish refused: this replica no longer holds the leader lease/);
    }
    assert.equal(w.cp.currentPlan()!.version, before, 'the plan in force is unchanged');
    assert.equal(w.cp.distribution.cache.revision, revision, 'nothing reached the proxies');
    const store = await Store.open({ url: w.settings.influxUrl, database: w.settings.influxDatabase });
    try {
      assert.equal((await store.readLatestPlan())?.version, before, 'no plan recorded');
    } finally {
      await store.close();
    }
    may = true;
  });

  it('recording a plan behind a closed fence writes nothing (the check after a publish that passed)', async () => {
    const writes: string[] = [];
    const store = {
      queuePlan: async () => (writes.push('plan'), { durable: Promise.resolve() }),
      queueForecasts: async () => (writes.push('forecasts'), { stored: Promise.resolve() }),
      flush: async () => void writes.push('flush'),
    };
    let ok = false;
    const stages = new CycleStages({
      store,
      fence: () => ok,
      recordForecasts: {},
    } as unknown as StageOptions);
    const batch = { users: ['u'] } as never;
    await assert.rejects(stages.record(batch, { version: 'v1' } as never), /plan record refused/);
    assert.equal(writes.length, 0, 'nothing written');
    ok = true;
    await stages.record(batch, { version: 'v1' } as never).catch(() => undefined);
    assert.ok(writes.includes('plan'), 'with the fence open it writes');
  });

  it('fencedPublisher and checkFence refuse with NotLeaderError; no fence, no check', () => {
    const calls: string[] = [];
    const p = {
      publishPlan: () => (calls.push('plan'), { revision: 1 }) as never,
      publishChanges: () => (calls.push('changes'), { revision: 1 }) as never,
    };
    let ok = false;
    const f = fencedPublisher(p, () => ok);
    assert.throws(() => f.publishPlan({} as never), NotLeaderError);
    assert.throws(() => f.publishChanges({ upsert: [] }), NotLeaderError);
    ok = true;
    f.publishPlan({} as never);
    assert.deepEqual(calls, ['plan']);
    assert.equal(fencedPublisher(p, undefined), p);
    assert.doesNotThrow(() => checkFence(undefined, 'x'));
    assert.throws(() => checkFence(() => false, 'plan record'), /plan record refused/);
  });
});
