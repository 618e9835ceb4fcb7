import { strict as assert } from 'node:assert';
import { encodedField, ReservationCache } from '../../../../control-plane/distribute/cache/reservation-cache';
import { decodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import { readReservation } from '../../../../control-plane/distribute/codec/reservation-codec';
import { encodeResourceField } from '../../../../control-plane/distribute/codec/resource-codec';
import { ChunkSource } from '../../../../control-plane/distribute/server/chunk-source';
import type { Transfer } from '../../../../control-plane/distribute/server/transfer';
import { syntheticPlan, userId } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { reservationOf } from '../cache/entry';

const opts = { users: 200 };

function drain(t: Transfer) {
  const out = [];
  for (let i = 0; t.hasChunk(i); i++) out.push(t.chunk(i)!);
  return out;
}

describe('distribute/server: Transfer', () => {
  it('cuts responses at the byte budget and sends every name exactly once, the last completing the revision', () => {
    const cache = new ReservationCache();
    cache.publishPlan(syntheticPlan('p', opts));
    const chunks = drain(new ChunkSource(cache, 2000, 't-').snapshot());
    assert.ok(chunks.length > 10);
    const names = chunks.flatMap((c) => decodeDeltaResponse(c.body).resources.map((r) => r.name));
    assert.equal(names.length, 200);
    assert.equal(new Set(names).size, 200);
    assert.ok(
      chunks.every((c) => c.body.length <= 2000 + 200),
      'each response near its budget',
    );
    assert.deepEqual(
      chunks.map((c) => c.toRevision),
      [...Array(chunks.length - 1).fill(undefined), 1],
    );
    assert.equal(decodeDeltaResponse(chunks[chunks.length - 1].body).systemVersionInfo, 'p');
    assert.equal(decodeDeltaResponse(chunks[0].body).systemVersionInfo, '');
  });

  it('reuses the bytes an earlier response encoded, unchanged, including those cut at a boundary', () => {
    const cache = new ReservationCache();
    cache.publishPlan(syntheticPlan('p', opts));
    const src = new ChunkSource(cache, 1500, 't-');
    drain(src.snapshot()); // encodes every entry, some of them rolled back at a response boundary
    const again = drain(src.updates([...cache.values()].map((e) => e.name).reverse()));
    for (const c of again) {
      const d = decodeDeltaResponse(c.body);
      for (const r of d.resources) {
        const e = cache.get(r.name)!;
        const reservation = reservationOf(e);
        assert.deepEqual(readReservation(d.bytes, r.bodyStart, r.bodyEnd), reservation);
        assert.deepEqual(
          encodedField(e),
          encodeResourceField(e, e.version, cache.ttlMs),
          `cached bytes of ${r.name}`,
        );
      }
    }
  });

  it('sends names absent from the cache as removals, and heartbeats without bodies', () => {
    const cache = new ReservationCache();
    cache.publishPlan(syntheticPlan('p', opts));
    const src = new ChunkSource(cache, 1 << 20, 't-');
    const [u] = drain(src.updates([userId(1), 'gone']));
    const d = decodeDeltaResponse(u.body);
    assert.deepEqual(d.removed, ['gone']);
    assert.deepEqual(
      d.resources.map((r) => r.name),
      [userId(1)],
    );
    const [hb] = drain(src.heartbeatsFor([userId(1), userId(2), 'gone']));
    const h = decodeDeltaResponse(hb.body);
    assert.deepEqual(
      h.resources.map((r) => [r.name, r.bodyStart, r.version]),
      [
        [userId(1), -1, cache.get(userId(1))!.version],
        [userId(2), -1, cache.get(userId(2))!.version],
      ],
    );
    assert.equal(hb.kind, 'heartbeat');
  });

  it('compresses every response of a multi-response transfer, the small last one included', async () => {
    const cache = new ReservationCache();
    cache.publishPlan(syntheticPlan('p', opts));
    const chunks = drain(new ChunkSource(cache, 2000, 't-').snapshot());
    const settings = { minBytes: 1 << 20, level: 1 };
    const last = await chunks[chunks.length - 1].payload('gzip', settings);
    assert.equal(last.compressed, true);
    const [single] = drain(new ChunkSource(cache, 1 << 20, 't-').updates([userId(1)]));
    assert.equal(
      (await single.payload('gzip', settings)).compressed,
      false,
      'a small lone response goes raw',
    );
  });
});
