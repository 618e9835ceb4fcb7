/**
 * Recording a plan builds and formats its points in chunks with turns of the event loop between
 * them (store/plans.ts writePlan): ~5 s of work at 10^6 users on the thread that serves proxies
 * and renews the leader lease. Against a recording writer; state.test.ts round-trips plans
 * through a real InfluxDB.
 */
import { strict as assert } from 'node:assert';
import { syntheticPlan } from '../../../control-plane/distribute/testing/synthetic-reservations';
import type { StoreContext } from '../../../control-plane/store/context';
import type { Point } from '../../../control-plane/store/influx/line-protocol';
import { PLAN_POINTS_PER_TURN, planPoints, writePlan } from '../../../control-plane/store/plans';
import { RP } from '../../../control-plane/store/schema';

function recordingStore() {
  const calls: (string | { rp: string; points: Point[] })[] = [];
  const ctx = {
    db: 'earmark',
    http: undefined,
    writer: { write: async (rp: string, points: Point[]) => void calls.push({ rp, points }) },
  } as unknown as StoreContext;
  return { ctx, calls };
}

const USERS = 3 * PLAN_POINTS_PER_TURN + 5;

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
    assert.ok(
      writes.slice(0, -1).every((w) => w.rp === RP.raw.name && w.points.length <= PLAN_POINTS_PER_TURN + 1),
    );
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
});
