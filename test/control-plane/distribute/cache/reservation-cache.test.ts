import { strict as assert } from 'node:assert';
import {
  PublishRejectedError,
  ReservationCache,
} from '../../../../control-plane/distribute/cache/reservation-cache';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { SimClock } from '../../../../control-plane/domain/clock';

const opts = { users: 50 };

describe('distribute/cache: ReservationCache', () => {
  it('gives each user its own version and bumps it only when the reservation changed', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    const before = c.get(userId(3))!.version;
    const plan2 = syntheticPlan('p2', opts);
    plan2.reservations.set(userId(3), syntheticReservation(3, opts, 1));
    const r = c.publishPlan(plan2);
    assert.deepEqual([r.updated, r.removed, r.unchanged], [1, 0, 49]);
    assert.notEqual(c.get(userId(3))!.version, before);
    assert.equal(c.get(userId(4))!.version, c.get(userId(0))!.version, 'untouched users keep their version');
    assert.equal(c.get(userId(4))!.revision, 1);
    assert.equal(c.systemVersion, 'p2');
  });

  it('treats a plan as the whole state: users absent from it are removed', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    const plan2 = syntheticPlan('p2', opts);
    plan2.reservations.delete(userId(0));
    plan2.reservations.delete(userId(1));
    const r = c.publishPlan(plan2);
    assert.equal(r.removed, 2);
    assert.equal(c.get(userId(0)), undefined);
    assert.deepEqual([...c.changedSince(1)!].sort(), [userId(0), userId(1)].sort());
  });

  it('rejects a publish with any invalid reservation as a whole, changing nothing', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    const plan2 = syntheticPlan('p2', opts);
    plan2.reservations.set(userId(5), { ...syntheticReservation(5, opts, 1), slots: -1 });
    plan2.reservations.set(userId(6), { ...syntheticReservation(6, opts, 1), expiresMs: 0 });
    plan2.reservations.set(userId(7), { ...syntheticReservation(7, opts, 1), user: 'someone-else' });
    plan2.reservations.set(userId(8), syntheticReservation(8, opts, 1));
    assert.throws(
      () => c.publishPlan(plan2),
      (e: PublishRejectedError) =>
        e.problems.length === 3 && /slots/.test(e.problems[0]) && /does not match/.test(e.problems[2]),
    );
    assert.equal(c.revision, 1);
    assert.equal(c.systemVersion, 'p1');
    assert.equal(c.get(userId(8))!.revision, 1, 'the valid change was not applied either');
  });

  it('does not bump the revision for a publish that changes nothing, but does for a new plan version', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    assert.equal(c.publishPlan(syntheticPlan('p1', opts)).changed, false);
    assert.equal(c.revision, 1);
    const r = c.publishPlan(syntheticPlan('p2', opts));
    assert.equal(r.changed, true);
    assert.equal(r.updated, 0);
    assert.deepEqual(c.changedSince(1), []);
  });

  it('applies upserts and removals as one revision, refusing contradictions', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    const r = c.publishChanges({
      upsert: [syntheticReservation(1, opts, 2)],
      remove: [userId(2), 'never-existed'],
    });
    assert.deepEqual([r.revision, r.updated, r.removed], [2, 1, 1]);
    assert.throws(
      () => c.publishChanges({ upsert: [syntheticReservation(1, opts, 3)], remove: [userId(1)] }),
      /both upserted and removed/,
    );
    assert.throws(
      () => c.publishChanges({ upsert: [syntheticReservation(3, opts), syntheticReservation(3, opts)] }),
      /twice/,
    );
    assert.equal(c.revision, 2);
  });

  it('keeps its own copy, so mutating a published reservation does not change the cache', () => {
    const c = new ReservationCache();
    const r = syntheticReservation(1, opts);
    c.publishChanges({ upsert: [r] });
    r.slots += 10;
    assert.equal(c.publishChanges({ upsert: [r] }).updated, 1, 'the mutation is seen as a change');
  });

  it('lists what changed since a revision, across several revisions, each name once', () => {
    const c = new ReservationCache();
    c.publishPlan(syntheticPlan('p1', opts));
    c.publishChanges({ upsert: [syntheticReservation(1, opts, 1)] });
    c.publishChanges({ upsert: [syntheticReservation(1, opts, 2), syntheticReservation(2, opts, 2)] });
    assert.deepEqual([...c.changedSince(1)!].sort(), [userId(1), userId(2)].sort());
    assert.deepEqual(c.changedSince(3), []);
  });

  it('forgets old revisions past its name budget and says so', () => {
    const c = new ReservationCache({ maxLogNames: 60 });
    c.publishPlan(syntheticPlan('p1', opts)); // 50 names
    c.publishChanges({ upsert: [syntheticReservation(1, opts, 1)] });
    c.publishChanges({ upsert: Array.from({ length: 20 }, (_, i) => syntheticReservation(i, opts, 2)) });
    assert.equal(c.changedSince(0), undefined, 'revision 1 was dropped');
    assert.deepEqual(c.changedSince(1)!.length, 20);
  });

  it('uses versions that never repeat across cache instances (a restart never matches old versions)', () => {
    const a = new ReservationCache({ versionPrefix: 'a.' });
    const b = new ReservationCache({ versionPrefix: 'b.' });
    a.publishPlan(syntheticPlan('p', opts));
    b.publishPlan(syntheticPlan('p', opts));
    assert.notEqual(a.get(userId(0))!.version, b.get(userId(0))!.version);
  });

  it('default prefixes differ between caches created in the same second (a quick restart)', () => {
    const made = Array.from({ length: 20 }, () => new ReservationCache());
    for (const c of made) c.publishPlan(syntheticPlan('p', opts));
    const versions = new Set(made.map((c) => c.get(userId(0))!.version));
    assert.equal(versions.size, made.length);
  });

  it('records when each revision was published, on the clock it was given', () => {
    const clock = new SimClock(1_000);
    const c = new ReservationCache({ clock });
    c.publishPlan(syntheticPlan('p1', opts));
    assert.equal(c.revisionRecord(1)!.publishedAtMs, 1_000);
  });
});
