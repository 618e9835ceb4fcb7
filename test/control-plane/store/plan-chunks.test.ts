/**
 * Recording a plan (and a cycle's forecasts) builds and formats its points in chunks with turns of the event loop between
 * them (store/plans.ts writePlan): ~5 s of work at 10^6 users on the thread that serves proxies
 * and renews the leader lease. Against a recording writer; state.test.ts round-trips plans
 * through a real InfluxDB.
 */
import { strict as assert } from 'node:assert';
import { syntheticPlan } from '../../../control-plane/distribute/testing/synthetic-reservations';
import type { StoreContext } from '../../../control-plane/store/context';
import type { Point } from '../../../control-plane/store/influx/line-protocol';
import { syntheticForecast } from '../../../control-plane/allocate/testing/synthetic';
import { CycleStages, type StageOptions } from '../../../control-plane/service/stages';
import { POINTS_PER_TURN } from '../../../control-plane/store/chunked-write';
import { forecastPoints, writeForecasts } from '../../../control-plane/store/forecasts';
import { planPoints, queuePlan, writePlan } from '../../../control-plane/store/plans';
import { RP } from '../../../control-plane/store/schema';

function recordingStore() {
  const calls: (string | { rp: string; points: Point[] })[] = [];
  const ctx = {
    db: 'earmark',
    http: undefined,
    writer: {
      write: async (rp: string, points: Point[]) => void calls.push({ rp, points }),
      admitted: async () => undefined,
    },
  } as unknown as StoreContext;
  return { ctx, calls };
}

const USERS = 3 * POINTS_PER_TURN + 5;

describe('store: a plan is recorded in chunks, giving the event loop turns', () => {
  it('writes every point planPoints makes, header last, with turns between the chunks', async () => {
    const plan = syntheticPlan('v1', { users: USERS });
    plan.squeezed.push({
      user: 'diurnal-000001',
      tier: 'free',
      wanted: { slots: 2, cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1 },
      granted: { slots: 1, cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1 },
      reason: 'capacity exhausted in the highest tier',
    });
    const { ctx, calls } = recordingStore();
    setTimeout(() => calls.push('timer'), 0);
    await writePlan(ctx, plan);
    const writes = calls.filter((c) => typeof c !== 'string');
    const whole = planPoints(plan);
    assert.deepEqual(
      writes.slice(0, -1).flatMap((w) => w.points),
      whole.raw,
      'the same raw points, in order',
    );
    assert.ok(writes.slice(0, -1).every((w) => w.rp === RP.raw.name && w.points.length <= POINTS_PER_TURN));
    assert.deepEqual(writes.at(-1), { rp: RP.state.name, points: [whole.header] });
    const timer = calls.indexOf('timer');
    assert.ok(timer > 0 && timer < calls.length - 2, `the timer ran at call ${timer} of ${calls.length}`);
  });

  it('stops at a refused chunk, writes no header and rejects with the reason (no unhandled rejection)', async () => {
    const plan = syntheticPlan('v1', { users: USERS });
    const calls: string[] = [];
    const ctx = {
      db: 'earmark',
      writer: {
        write: async (rp: string) => {
          calls.push(rp);
          if (calls.length === 2) throw new Error('store writer is closed');
        },
        admitted: async () => undefined,
      },
    } as unknown as StoreContext;
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(writePlan(ctx, plan), /store writer is closed/);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(calls, [RP.raw.name, RP.raw.name], 'no chunk after the refused one, no header');
    assert.deepEqual(unhandled, []);
  });

  it('writes nothing of a plan whose last reservation is keyed wrong', async () => {
    const plan = syntheticPlan('v1', { users: USERS });
    const last = [...plan.reservations.keys()].at(-1)!;
    plan.reservations.set(last, { ...plan.reservations.get(last)!, user: 'someone-else' });
    const { ctx, calls } = recordingStore();
    await assert.rejects(writePlan(ctx, plan), /is for someone-else/);
    assert.equal(calls.length, 0);
  });

  /** The record stage over the recording writer: forecasts and the flush are written as names. */
  function recordStage(fence?: () => boolean) {
    const { ctx, calls } = recordingStore();
    const store = {
      queuePlan: (plan: never, o: never) => queuePlan(ctx, plan, o),
      queueForecasts: async () => {
        await new Promise((r) => setImmediate(r)); // as the real one gives turns
        calls.push('forecasts');
        return { stored: Promise.resolve() };
      },
      flush: async () => void calls.push('flush'),
    };
    const stages = new CycleStages({ store, fence, recordForecasts: {} } as unknown as StageOptions);
    const batch = { users: ['u'], horizon: 1 } as never;
    return { stages, calls, batch };
  }

  it('the record stage queues the whole plan, header included, before the forecasts', async () => {
    const { stages, calls, batch } = recordStage();
    await stages.record(batch, syntheticPlan('v1', { users: USERS }));
    const names = calls.map((c) => (typeof c === 'string' ? c : c.rp));
    const header = names.indexOf(RP.state.name);
    assert.equal(names.filter((n) => n === RP.raw.name).length, 4, names.join());
    assert.ok(header === 4 && names.indexOf('forecasts') > header, names.join());
    assert.equal(names.at(-1), 'flush', 'flushed once the forecasts are all queued');
  });

  it('the record stage writes no header when the fence closes while the plan is queued', async () => {
    let open = true;
    const { stages, calls, batch } = recordStage(() => open);
    setTimeout(() => (open = false), 0); // during the chunks' turns
    await assert.rejects(stages.record(batch, syntheticPlan('v1', { users: USERS })), /plan record refused/);
    const names = calls.map((c) => (typeof c === 'string' ? c : c.rp));
    assert.ok(!names.includes(RP.state.name) && !names.includes('forecasts'), names.join());
  });

  it('forecasts are written the same way: every point of forecastPoints, in order, with turns', async () => {
    const batch = syntheticForecast({ users: 1200, seed: 5 });
    const { ctx, calls } = recordingStore();
    setTimeout(() => calls.push('timer'), 0);
    await writeForecasts(ctx, batch, { resources: ['requests', 'memory'] });
    const writes = calls.filter((c) => typeof c !== 'string');
    assert.deepEqual(
      writes.flatMap((w) => w.points),
      forecastPoints(batch, { resources: ['requests', 'memory'] }),
    );
    assert.ok(writes.length >= 4 && writes.every((w) => w.points.length <= POINTS_PER_TURN));
    const timer = calls.indexOf('timer');
    assert.ok(timer > 0 && timer < calls.length - 1, `the timer ran at call ${timer} of ${calls.length}`);
  });

  it('writes no forecast of a batch asked for a user it does not have', async () => {
    const batch = syntheticForecast({ users: 1200, seed: 5 });
    const { ctx, calls } = recordingStore();
    await assert.rejects(
      writeForecasts(ctx, batch, { users: [batch.users[0], 'nobody'] }),
      /no user "nobody"/,
    );
    assert.equal(calls.length, 0);
  });
});
