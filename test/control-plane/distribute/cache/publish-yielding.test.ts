import { strict as assert } from 'node:assert';
import {
  PublishRejectedError,
  ReservationCache,
  type CacheEntry,
} from '../../../../control-plane/distribute/cache/reservation-cache';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import type { Plan } from '../../../../control-plane/domain/plan';
import type { Reservation } from '../../../../control-plane/domain/reservation';
import { USERS_PER_YIELD } from '../../../../control-plane/domain/steps';
import { reservationOf } from './entry';

// Enough users for the diff to yield several times.
const opts = { users: 3 * USERS_PER_YIELD + 17 };
const planOf = (version: string, salt: number, users = opts.users): Plan => {
  const p = syntheticPlan(version, { users });
  for (let i = 0; i < users; i += 3) {
    const r = syntheticReservation(i, { users }, salt);
    p.reservations.set(r.user, r);
  }
  return p;
};

const res = (e: CacheEntry | undefined): Reservation | undefined => e && reservationOf(e);

/** Everything a stream can see of a cache: revision, system version and each entry. */
const contents = (c: ReservationCache) => ({
  revision: c.revision,
  systemVersion: c.systemVersion.replace(/^.*\./, ''),
  entries: [...c.values()].map((e) => [e.name, e.revision, JSON.stringify(res(e))]).sort(),
});

describe('distribute/cache: publishPlanYielding', () => {
  it('publishes what publishPlan publishes, as one revision', async () => {
    const a = new ReservationCache({ versionPrefix: 'x.' });
    const b = new ReservationCache({ versionPrefix: 'x.' });
    for (const [k, plan] of [planOf('p1', 0), planOf('p2', 1), planOf('p3', 2, opts.users - 100)].entries()) {
      const ra = a.publishPlan(plan);
      const rb = await b.publishPlanYielding(plan, { sliceMs: 0 });
      assert.deepEqual(rb, ra, `publish ${k + 1}`);
      assert.deepEqual(contents(b), contents(a));
    }
    assert.equal(b.revision, 3);
  });

  it('gives the event loop turns while it diffs, and publishes only at the end', async () => {
    const c = new ReservationCache();
    c.publishPlan(planOf('p1', 0));
    let turns = 0;
    const seen: number[] = [];
    const done = c.publishPlanYielding(planOf('p2', 1), {
      sliceMs: 0,
      onTurn: () => (turns++, seen.push(c.revision)),
    });
    assert.equal(c.revision, 1, 'nothing published synchronously');
    await done;
    assert.ok(turns >= 3, `${turns} turns`);
    assert.deepEqual(new Set(seen), new Set([1]), 'the old revision throughout the diff');
    assert.equal(c.revision, 2);
  });

  it('diffs again when another publish lands meanwhile: the plan wins, nothing is lost', async () => {
    const c = new ReservationCache();
    c.publishPlan(planOf('p1', 0));
    const plan = planOf('p2', 1);
    const u0 = userId(0); // changed by the plan
    const u1 = userId(1); // unchanged by the plan, then topped up meanwhile
    const bigger = { ...res(c.get(u1))!, slots: res(c.get(u1))!.slots + 5 };
    let once = false;
    const r = await c.publishPlanYielding(plan, {
      sliceMs: 0,
      onTurn: () => {
        if (once) return;
        once = true;
        c.publishChanges({ upsert: [bigger, { ...plan.reservations.get(u0)!, slots: 999 }] });
      },
    });
    assert.equal(r.revision, 3);
    assert.deepEqual(res(c.get(u0)), plan.reservations.get(u0), "the plan's reservation");
    assert.deepEqual(res(c.get(u1)), plan.reservations.get(u1), 'the top-up replaced by the plan');
    const fresh = new ReservationCache();
    fresh.publishPlan(plan);
    assert.deepEqual(
      [...c.values()].map((e) => JSON.stringify(res(e))).sort(),
      [...fresh.values()].map((e) => JSON.stringify(res(e))).sort(),
    );
  });

  it('publishes nothing when beforeCommit throws (a lease lost during the diff), or the plan is invalid', async () => {
    const c = new ReservationCache();
    c.publishPlan(planOf('p1', 0));
    const before = contents(c);
    await assert.rejects(
      c.publishPlanYielding(planOf('p2', 1), {
        beforeCommit: () => {
          throw new Error('not the leader');
        },
      }),
      /not the leader/,
    );
    const bad = planOf('p3', 2);
    bad.reservations.set(userId(5), { ...bad.reservations.get(userId(5))!, slots: -1 });
    await assert.rejects(c.publishPlanYielding(bad), PublishRejectedError);
    assert.deepEqual(contents(c), before);
  });
});
