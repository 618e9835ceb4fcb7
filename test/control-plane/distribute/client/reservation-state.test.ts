import { strict as assert } from 'node:assert';
import { ReservationState } from '../../../../control-plane/distribute/client/reservation-state';
import { encodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import { writeReservation } from '../../../../control-plane/distribute/codec/reservation-codec';
import { RESERVATION_TYPE_URL } from '../../../../control-plane/distribute/codec/resource-codec';
import { WireWriter } from '../../../../control-plane/distribute/codec/wire-writer';
import {
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 10 };

/** One resource as a test wants it on the wire; defaults make a valid reservation resource. */
interface Spec {
  i: number;
  version: string;
  salt?: number;
  ttlMs?: number;
  heartbeat?: boolean;
  name?: string;
  typeUrl?: string;
  body?: Uint8Array;
}
const res = (i: number, version: string, salt = 0, ttlMs?: number): Spec => ({ i, version, salt, ttlMs });

function resourceField(s: Spec): Buffer {
  const w = new WireWriter();
  w.varint(0x12).fork();
  w.varint(0x1a).string(s.name ?? userId(s.i));
  if (s.version) w.varint(0x0a).string(s.version);
  if (!s.heartbeat) {
    const body =
      s.body ?? writeReservation(new WireWriter(), syntheticReservation(s.i, opts, s.salt ?? 0)).finish();
    w.varint(0x12).fork();
    w.varint(0x0a).string(s.typeUrl ?? RESERVATION_TYPE_URL);
    w.varint(0x12).bytes(body);
    w.ldelim();
  }
  if (s.ttlMs)
    w.varint(0x32)
      .fork()
      .varint(0x08)
      .varint(Math.floor(s.ttlMs / 1000))
      .ldelim();
  w.ldelim();
  return w.finish();
}

function resp(
  specs: Spec[],
  removed: string[] = [],
  systemVersionInfo = '',
  typeUrl = RESERVATION_TYPE_URL,
): Buffer {
  return encodeDeltaResponse({
    systemVersionInfo,
    typeUrl,
    nonce: 'n',
    resourceFields: specs.map(resourceField),
    removed,
  });
}

describe('distribute/client: ReservationState', () => {
  it('applies updates, removals and the system version', () => {
    const s = new ReservationState();
    assert.ok(s.apply(resp([res(1, 'v1'), res(2, 'v1')], [], 'plan-1'), 0).ok);
    const r = s.apply(resp([res(1, 'v2', 1)], [userId(2)], 'plan-2'), 0);
    assert.ok(r.ok && r.updated.length === 1 && r.removed.length === 1);
    assert.equal(s.get(userId(1))!.version, 'v2');
    assert.deepEqual(s.get(userId(1))!.reservation, syntheticReservation(1, opts, 1));
    assert.equal(s.systemVersion, 'plan-2');
    assert.deepEqual(s.versions(), { [userId(1)]: 'v2' });
  });

  const good = res(1, 'v9', 5); // a valid update riding in the same response: it must not be applied either
  const bad: [string, () => Buffer, RegExp][] = [
    ['another type_url', () => resp([good, res(3, 'v2')], [], '', 'type.googleapis.com/x'), /type_url/],
    [
      'a resource of another type',
      () => resp([good, { ...res(3, 'v2'), typeUrl: 'type.googleapis.com/x' }]),
      /has type/,
    ],
    [
      'an undecodable body',
      () => resp([good, { ...res(3, 'v2'), body: Uint8Array.from([0x0a, 0x09]) }]),
      /truncated|overruns/,
    ],
    [
      'a body whose user is not the resource name',
      () => resp([good, { ...res(3, 'v2'), name: userId(4) }]),
      /does not match/,
    ],
    ['the same name twice', () => resp([good, res(3, 'v2'), res(3, 'v3')]), /appears twice/],
    [
      'a name both updated and removed',
      () => resp([good, res(3, 'v2')], [userId(3)]),
      /both updated and removed/,
    ],
    ['a resource without a version', () => resp([good, res(3, '')]), /no version/],
  ];
  for (const [what, make, error] of bad) {
    it(`rejects a response with ${what} as a whole, keeping the previous state`, () => {
      const s = new ReservationState();
      s.apply(resp([res(1, 'v1'), res(3, 'v1')], [], 'plan-1'), 0);
      const snapshot = () => [...s.held].map(([n, h]) => [n, h.version, structuredClone(h.reservation)]);
      const before = snapshot();
      const out = s.apply(make(), 0);
      assert.ok(!out.ok);
      assert.match(out.error, error);
      assert.deepEqual(snapshot(), before);
      assert.equal(s.systemVersion, 'plan-1');
    });
  }

  it('rejects what its own check refuses', () => {
    const s = new ReservationState((r) => (r.slots > 1000 ? 'too many slots' : undefined));
    const body = writeReservation(new WireWriter(), {
      ...syntheticReservation(1, opts),
      slots: 5000,
    }).finish();
    const out = s.apply(resp([{ ...res(1, 'v1'), body }]), 0);
    assert.ok(!out.ok && /too many slots/.test(out.error));
  });

  it('refreshes a TTL with a heartbeat of the same version only, and expires what is not refreshed', () => {
    const s = new ReservationState();
    s.apply(resp([res(1, 'v1', 0, 1000), res(2, 'v1', 0, 1000)]), 0);
    const hb = (i: number, version: string): Spec => ({ i, version, heartbeat: true, ttlMs: 1000 });
    const r = s.apply(resp([hb(1, 'v1'), hb(2, 'v0-stale')]), 800);
    assert.ok(r.ok && r.heartbeats === 1 && r.ignoredHeartbeats === 1);
    assert.equal(s.get(userId(1))!.expiresAtMs, 1800);
    assert.deepEqual(s.expire(1000), [userId(2)]);
    assert.equal(s.nextExpiry(), 1800);
    assert.deepEqual(s.expire(1800), [userId(1)]);
    assert.equal(s.size, 0);
  });

  it('reuses repeated strings (versions, tiers) without mixing up different values', () => {
    const s = new ReservationState();
    const specs = Array.from({ length: 10 }, (_, i) => res(i, i % 2 ? 'va' : 'vb'));
    assert.ok(s.apply(resp(specs), 0).ok);
    for (let i = 0; i < 10; i++) {
      assert.equal(s.get(userId(i))!.version, i % 2 ? 'va' : 'vb');
      assert.equal(s.get(userId(i))!.reservation.tier, syntheticReservation(i, opts).tier);
    }
  });

  it('shows what it holds as a Map (held), in step with get, size and versions', () => {
    const s = new ReservationState();
    s.apply(resp([res(1, 'v1'), res(2, 'v1'), res(3, 'v1')]), 0);
    s.apply(resp([res(2, 'v2', 2)], [userId(3)]), 0);
    const held = s.held;
    assert.equal(held.size, 2);
    assert.equal(s.size, 2);
    assert.deepEqual([...held.keys()].sort(), [userId(1), userId(2)].sort());
    assert.equal(held.get(userId(2))!.version, 'v2');
    assert.ok(held.has(userId(1)) && !held.has(userId(3)) && held.get(userId(3)) === undefined);
    const seen: string[] = [];
    held.forEach((h, name) => {
      assert.equal(h.name, name);
      seen.push(`${name}=${h.version}`);
    });
    assert.deepEqual(seen.sort(), [`${userId(1)}=v1`, `${userId(2)}=v2`].sort());
    assert.deepEqual(Object.fromEntries([...held].map(([n, h]) => [n, h.version])), s.versions());
  });

  it('keeps no-TTL reservations while TTL ones expire, on a clock far from zero', () => {
    const s = new ReservationState();
    const t0 = 1_767_225_600_123;
    s.apply(resp([res(1, 'v1', 0, 2000), res(2, 'v1')]), t0);
    assert.equal(s.get(userId(1))!.expiresAtMs, t0 + 2000);
    assert.equal(s.get(userId(2))!.expiresAtMs, undefined);
    s.apply(resp([res(3, 'v1', 0, 5000)]), t0 + 1000);
    assert.equal(s.get(userId(3))!.expiresAtMs, t0 + 6000);
    assert.equal(s.nextExpiry(), t0 + 2000);
    assert.deepEqual(s.expire(t0 + 1999), []);
    assert.deepEqual(s.expire(t0 + 2000), [userId(1)]);
    assert.deepEqual(s.expire(t0 + 10_000_000), [userId(3)]);
    assert.deepEqual([...s.held.keys()], [userId(2)]);
  });

  it('refuses a resource whose type URL differs from the reservation one in any one byte', () => {
    // The reader compares the type URL 8 bytes at a time (as doubles, exact for its ASCII words):
    // a change anywhere, to another ASCII byte or to one with the high bit set, is another type.
    const s = new ReservationState();
    assert.ok(s.apply(resp([res(1, 'v1')]), 0).ok);
    for (let at = 0; at < RESERVATION_TYPE_URL.length; at++) {
      for (const flip of [0x01, 0x80]) {
        const url = Buffer.from(RESERVATION_TYPE_URL, 'latin1');
        url[at] ^= flip;
        const r = s.apply(resp([res(2, 'v2'), { ...res(3, 'v2'), typeUrl: url.toString('latin1') }]), 0);
        assert.ok(!r.ok && /has type/.test(r.error), `byte ${at} ^ ${flip}`);
      }
    }
    assert.ok(s.apply(resp([res(2, 'v2'), { ...res(3, 'v2'), typeUrl: RESERVATION_TYPE_URL }]), 0).ok);
    assert.equal(s.size, 3);
  });

  it('lists the updated names (bodies only, in order) when read later, after other applies', () => {
    // The names are read again from the response's bytes on first use: heartbeats are left out,
    // non-ASCII names decoded, and later applies (which reuse the reader's state) change nothing.
    const s = new ReservationState();
    const accented = 'ünïcödé-5';
    const body = writeReservation(new WireWriter(), {
      ...syntheticReservation(5, opts),
      user: accented,
    }).finish();
    const first = s.apply(
      resp([res(4, 'v1'), res(2, 'v1', 0, 5000), { i: 5, version: 'v1', name: accented, body }]),
      0,
    );
    const mixed = s.apply(
      resp([res(7, 'v2'), { ...res(2, 'v1', 0, 5000), heartbeat: true }, res(1, 'v2'), res(4, 'v2', 4)]),
      0,
    );
    const later = s.apply(resp([res(3, 'v3')]), 0);
    assert.ok(first.ok && mixed.ok && later.ok);
    assert.deepEqual(later.updated, [userId(3)]);
    assert.deepEqual(mixed.updated, [userId(7), userId(1), userId(4)]);
    assert.equal(mixed.updatedCount, 3);
    assert.equal(mixed.heartbeats, 1);
    assert.deepEqual(first.updated, [userId(4), userId(2), accented]);
    assert.equal(mixed.updated, mixed.updated, 'made once');
  });

  it('applies a small response correctly after a large one', () => {
    const s = new ReservationState();
    const many = Array.from({ length: 3000 }, (_, i) => res(i, 'v1'));
    assert.ok(s.apply(resp(many), 0).ok);
    const r = s.apply(resp([res(5, 'v2', 5), res(7, 'v2', 7)], [userId(9)]), 0);
    assert.ok(r.ok);
    assert.deepEqual([...r.updated].sort(), [userId(5), userId(7)].sort());
    assert.equal(s.size, 2999);
    assert.deepEqual(s.get(userId(5))!.reservation, syntheticReservation(5, opts, 5));
    assert.equal(s.get(userId(6))!.version, 'v1');
    const bad = s.apply(resp([res(5, 'v3', 3), { ...res(8, 'v3'), name: userId(4) }]), 0);
    assert.ok(!bad.ok && /does not match/.test(bad.error));
    assert.equal(s.get(userId(5))!.version, 'v2');
  });
});
