import { strict as assert } from 'node:assert';
import { ReservationCache } from '../../../../control-plane/distribute/cache/reservation-cache';
import { decodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import { readReservation } from '../../../../control-plane/distribute/codec/reservation-codec';
import { ChunkSource } from '../../../../control-plane/distribute/server/chunk-source';
import type { Transfer } from '../../../../control-plane/distribute/server/transfer';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 120 };

/** What the chunks from `first` on carry: each name's reservation slots, or 'removed'. */
function rest(t: Transfer, first: number): Map<string, number | 'removed'> {
  const out = new Map<string, number | 'removed'>();
  for (let i = first; t.hasChunk(i); i++) {
    const d = decodeDeltaResponse(t.chunk(i)!.body);
    for (const r of d.resources) out.set(r.name, readReservation(d.bytes, r.bodyStart, r.bodyEnd).slots);
    for (const n of d.removed) out.set(n, 'removed');
  }
  return out;
}

// Transfers built from cache entries (a snapshot, the newest revision's change-log record) are
// cut lazily: what changed in between must be read from the cache, not from the entries kept.
describe('distribute/server: transfers holding cache entries', () => {
  for (const kind of ['snapshot', 'newest revision'] as const) {
    it(`sends the current state of users removed, or removed and added again, after the ${kind} transfer began`, () => {
      const cache = new ReservationCache();
      cache.publishPlan(syntheticPlan('p1', opts));
      const src = new ChunkSource(cache, 1500, 't-');
      let t: Transfer;
      if (kind === 'snapshot') t = src.snapshot();
      else {
        const plan = syntheticPlan('p2', opts);
        for (let i = 0; i < opts.users; i++)
          plan.reservations.set(userId(i), syntheticReservation(i, opts, 5));
        cache.publishPlan(plan);
        t = src.wildcardDelta(1, cache.revisionRecord(cache.revision)!.names);
      }
      assert.ok(t.hasChunk(1), 'several chunks');
      const first = decodeDeltaResponse(t.chunk(0)!.body).resources.map((r) => r.name);
      const later = t.names.filter((n) => !first.includes(n));
      const [gone, back, changed] = later.slice(-3);
      cache.publishChanges({ remove: [gone, back] });
      const again = { ...cache.get(changed)!, slots: 9999, user: back };
      cache.publishChanges({ upsert: [again, { ...cache.get(changed)!, slots: 7777 }] });
      const sent = rest(t, 1);
      assert.equal(sent.get(gone), 'removed');
      assert.equal(sent.get(back), 9999);
      assert.equal(sent.get(changed), 7777);
    });
  }
});
