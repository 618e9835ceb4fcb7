/**
 * A forecast that is no number (NaN, +Infinity) sizes no reservation. +Infinity used to become NaN
 * amounts, and the distribution cache then refused the whole plan (one user blocked every user's
 * new plan); now every reservation of the plan is valid, and the other users get what they would
 * have got anyway.
 */
import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { reservationProblem } from '../../../control-plane/distribute/cache/validate-reservation';
import { batchOf, CAP10, instances, perSlotDemand, profiles, testPolicy } from './helpers';

describe('allocate: forecasts that are no number', () => {
  const run = (bad: number | undefined) => {
    const demand = perSlotDemand(2);
    const f = batchOf(['a', 'b'], (u, r, q) =>
      u === 0 && q === 0.99 && bad !== undefined ? bad : demand(r),
    );
    return allocate({
      nowMs: 60_000,
      cycleMs: 60_000,
      forecast: f,
      policy: testPolicy(),
      instances: instances(2, CAP10),
      profiles: profiles({ a: 'gold', b: 'gold' }),
    });
  };

  for (const bad of [Infinity, NaN])
    it(`user a's q0.99 at ${bad}: every reservation is valid, and b's is as without it`, () => {
      const res = run(bad);
      for (const [user, r] of res.plan.reservations)
        assert.equal(reservationProblem(r, user), undefined, `${user}: ${JSON.stringify(r)}`);
      const fine = run(undefined).plan.reservations.get('b')!;
      assert.deepEqual(res.plan.reservations.get('b'), fine);
      const a = res.plan.reservations.get('a');
      assert.ok(a === undefined || Number.isFinite(a.slots), JSON.stringify(a));
    });
});
