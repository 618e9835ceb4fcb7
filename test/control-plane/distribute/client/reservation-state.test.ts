import { strict as assert } from 'node:assert';
import { ReservationState } from '../../../../control-plane/distribute/client/reservation-state';
import type { DecodedDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import { WireWriter } from '../../../../control-plane/distribute/codec/wire-writer';
import { writeReservation } from '../../../../control-plane/distribute/codec/reservation-codec';
import { RESERVATION_TYPE_URL } from '../../../../control-plane/distribute/codec/resource-codec';
import type { WireResource } from '../../../../control-plane/distribute/codec/resource-codec';
import {
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 10 };
const body = (i: number, salt = 0) =>
  writeReservation(new WireWriter(), syntheticReservation(i, opts, salt)).finish();
const res = (i: number, version: string, salt = 0, ttlMs?: number): WireResource => ({
  name: userId(i),
  version,
  typeUrl: RESERVATION_TYPE_URL,
  body: body(i, salt),
  ttlMs,
});
const resp = (
  resources: WireResource[],
  removed: string[] = [],
  systemVersionInfo = '',
): DecodedDeltaResponse => ({
  systemVersionInfo,
  typeUrl: RESERVATION_TYPE_URL,
  nonce: 'n',
  resources,
  removed,
});

describe('distribute/client: ReservationState', () => {
  it('applies updates, removals and the system version', () => {
    const s = new ReservationState();
    assert.ok(s.apply(resp([res(1, 'v1'), res(2, 'v1')], [], 'plan-1'), 0).ok);
    const r = s.apply(resp([res(1, 'v2', 1)], [userId(2)], 'plan-2'), 0);
    assert.ok(r.ok && r.updated.length === 1 && r.removed.length === 1);
    assert.equal(s.get(userId(1))!.version, 'v2');
    assert.equal(s.systemVersion, 'plan-2');
    assert.deepEqual(s.versions(), { [userId(1)]: 'v2' });
  });

  const bad: [string, DecodedDeltaResponse, RegExp][] = [
    ['another type_url', { ...resp([res(3, 'v2')]), typeUrl: 'type.googleapis.com/x' }, /type_url/],
    ['a resource of another type', resp([{ ...res(3, 'v2'), typeUrl: 'type.googleapis.com/x' }]), /has type/],
    [
      'an undecodable body',
      resp([{ ...res(3, 'v2'), body: Uint8Array.from([0x0a, 0x09]) }]),
      /truncated|overruns/,
    ],
    [
      'a body whose user is not the resource name',
      resp([{ ...res(3, 'v2'), name: userId(4) }]),
      /does not match/,
    ],
    ['the same name twice', resp([res(3, 'v2'), res(3, 'v3')]), /appears twice/],
    ['a name both updated and removed', resp([res(3, 'v2')], [userId(3)]), /both updated and removed/],
    ['a resource without a version', resp([res(3, '')]), /no version/],
  ];
  for (const [what, r, error] of bad) {
    it(`rejects a response with ${what} as a whole, keeping the previous state`, () => {
      const s = new ReservationState();
      s.apply(resp([res(1, 'v1'), res(3, 'v1')], [], 'plan-1'), 0);
      const before = structuredClone([...s.held]);
      const out = s.apply({ ...r, resources: [res(1, 'v9', 5), ...r.resources] }, 0);
      assert.ok(!out.ok);
      assert.match(out.error, error);
      assert.deepEqual([...s.held], before);
      assert.equal(s.systemVersion, 'plan-1');
    });
  }

  it('rejects what its own check refuses', () => {
    const s = new ReservationState((r) => (r.slots > 1000 ? 'too many slots' : undefined));
    const w = new WireWriter();
    writeReservation(w, { ...syntheticReservation(1, opts), slots: 5000 });
    const out = s.apply(resp([{ ...res(1, 'v1'), body: w.finish() }]), 0);
    assert.ok(!out.ok && /too many slots/.test(out.error));
  });

  it('refreshes a TTL with a heartbeat of the same version only, and expires what is not refreshed', () => {
    const s = new ReservationState();
    s.apply(resp([res(1, 'v1', 0, 1000), res(2, 'v1', 0, 1000)]), 0);
    const hb = (i: number, version: string): WireResource => ({
      name: userId(i),
      version,
      typeUrl: '',
      ttlMs: 1000,
    });
    const r = s.apply(resp([hb(1, 'v1'), hb(2, 'v0-stale')]), 800);
    assert.ok(r.ok && r.heartbeats === 1 && r.ignoredHeartbeats === 1);
    assert.equal(s.get(userId(1))!.expiresAtMs, 1800);
    assert.deepEqual(s.expire(1000), [userId(2)]);
    assert.equal(s.nextExpiry(), 1800);
    assert.deepEqual(s.expire(1800), [userId(1)]);
    assert.equal(s.size, 0);
  });
});
