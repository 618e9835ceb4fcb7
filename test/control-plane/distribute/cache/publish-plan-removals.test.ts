import { strict as assert } from 'node:assert';
import { ReservationCache } from '../../../../control-plane/distribute/cache/reservation-cache';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 30 };

// publishPlan skips the scan for removals when the plan names every cached user: a plan of the
// same size that swaps users must still remove the ones it no longer names.
describe('distribute/cache: publishPlan removals', () => {
  it('removes users a plan of the same size no longer names', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    const plan = syntheticPlan('p2', opts);
    plan.reservations.delete(userId(4));
    const extra = { ...syntheticReservation(4, opts), user: 'newcomer' };
    plan.reservations.set('newcomer', extra);
    assert.equal(plan.reservations.size, opts.users);
    const r = c.publishPlan(plan);
    assert.equal(r.removed, 1);
    assert.equal(c.get(userId(4)), undefined);
    assert.ok(c.get('newcomer'));
    assert.equal(c.size, opts.users);
    assert.deepEqual([...c.changedSince(1)!].sort(), ['newcomer', userId(4)].sort());
  });

  it('removes every cached user from an empty plan, and none from a plan naming all of them', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    assert.equal(c.publishPlan(syntheticPlan('p2', opts)).removed, 0);
    const empty = syntheticPlan('p3', opts);
    empty.reservations.clear();
    assert.equal(c.publishPlan(empty).removed, opts.users);
    assert.equal(c.size, 0);
  });
});
