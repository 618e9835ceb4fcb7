import { strict as assert } from 'node:assert';
import { reservationProblem } from '../../../../control-plane/distribute/cache/validate-reservation';
import { reservationBytesProblem } from '../../../../control-plane/distribute/codec/reservation-check';
import {
  readReservation,
  writeReservation,
} from '../../../../control-plane/distribute/codec/reservation-codec';
import { WireWriter } from '../../../../control-plane/distribute/codec/wire-writer';
import {
  rng,
  syntheticReservation,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import type { Reservation } from '../../../../control-plane/domain/reservation';

/** The object path's verdict: decode, then validate. */
function objectVerdict(bytes: Uint8Array, name: string): boolean {
  try {
    return reservationProblem(readReservation(bytes), name) === undefined;
  } catch {
    return false;
  }
}

const base = syntheticReservation(3, { users: 10 });
const enc = (r: Reservation) => writeReservation(new WireWriter(), r).finish();

describe('distribute/codec: reservationBytesProblem (validation without decoding)', () => {
  const variants: [string, Reservation, string?][] = [
    ['a valid reservation', base],
    ['non-ASCII strings', { ...base, user: 'ünïcode-✓', tier: 'ór', fallback: '😀-pool' }, 'ünïcode-✓'],
    ['an empty user', { ...base, user: '' }, base.user],
    ['another user than the name', base, 'someone-else'],
    ['an empty instance address', { ...base, instanceAddress: '' }],
    ['a tier of 257 characters', { ...base, tier: 't'.repeat(257) }],
    ['a tier of 256 non-ASCII characters (512 bytes)', { ...base, tier: 'é'.repeat(256) }],
    ['a tier of 257 non-ASCII characters', { ...base, tier: 'é'.repeat(257) }],
    ['a fallback of 257 characters (field 16: a two-byte tag)', { ...base, fallback: 'f'.repeat(257) }],
    ['slots above 2^32-1', { ...base, slots: 2 ** 32 }],
    ['expires not after notBefore', { ...base, expiresMs: base.notBeforeMs }],
    ['no validity window at all', { ...base, notBeforeMs: 0, expiresMs: 0 }],
    ['expires beyond 2^53', { ...base, expiresMs: 2 ** 60 }],
  ];
  for (const [what, r, name] of variants) {
    it(`agrees with decode + reservationProblem on ${what}`, () => {
      const bytes = enc(r);
      const n = name ?? r.user;
      assert.equal(reservationBytesProblem(bytes, 0, bytes.length, n) === undefined, objectVerdict(bytes, n));
    });
  }

  it('gives a precise reason', () => {
    const bytes = enc({ ...base, expiresMs: 5, notBeforeMs: 10 });
    assert.equal(
      reservationBytesProblem(bytes, 0, bytes.length, base.user),
      'expiresMs 5 is not after notBeforeMs 10',
    );
  });

  it('agrees with the object path on 3,000 randomly corrupted encodings', () => {
    const random = rng(42);
    let disagreements = 0;
    let rejected = 0;
    for (let k = 0; k < 3000; k++) {
      const r = syntheticReservation(k, { users: 3000 }, k % 7);
      const bytes = Buffer.from(enc(r));
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) {
        const kind = random();
        const at = Math.floor(random() * bytes.length);
        if (kind < 0.5) bytes[at] = Math.floor(random() * 256);
        else if (kind < 0.7) bytes[at] ^= 0x80;
        else bytes[at] = bytes[at] + 1;
      }
      const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
      const slice = bytes.subarray(0, cut);
      const fast = reservationBytesProblem(slice, 0, slice.length, r.user) === undefined;
      const slow = objectVerdict(slice, r.user);
      if (fast !== slow) disagreements++;
      if (!slow) rejected++;
    }
    assert.equal(disagreements, 0);
    assert.ok(rejected > 1000, `the corruptions exercise the rejections (${rejected})`);
  });

  it('takes the last occurrence of a repeated field, as a decoder does', () => {
    const w = new WireWriter();
    writeReservation(w, base);
    w.varint(0x0a).string('later-user'); // user again
    const bytes = w.finish();
    assert.equal(reservationBytesProblem(bytes, 0, bytes.length, 'later-user'), undefined);
    assert.equal(objectVerdict(bytes, 'later-user'), true);
    assert.match(reservationBytesProblem(bytes, 0, bytes.length, base.user)!, /does not match/);
  });

  it('judges a repeated number by its last value', () => {
    const w = new WireWriter();
    w.varint(0x20).varint(2 ** 40); // slots, out of range
    writeReservation(w, base); // slots again, in range
    const bytes = w.finish();
    assert.equal(reservationBytesProblem(bytes, 0, bytes.length, base.user), undefined);
    assert.equal(objectVerdict(bytes, base.user), true);
  });

  it('reads long and overlong varints of every width like the decoder', () => {
    /** value as a varint of exactly `width` bytes (overlong: trailing zero groups). */
    const varint = (value: bigint, width: number) =>
      Array.from({ length: width }, (_, i) => {
        const group = Number((value >> BigInt(7 * i)) & 0x7fn);
        return i < width - 1 ? group | 0x80 : group;
      });
    const cases: [tag: number, value: bigint][] = [
      [0x70, BigInt(base.notBeforeMs)], // epoch ms: 6 bytes minimal
      [0x78, BigInt(base.expiresMs)],
      [0x78, 2n ** 53n - 1n], // the largest safe value
      [0x78, 2n ** 53n], // unsafe
      [0x78, 2n ** 60n], // past 2^56: read again as a double
      [0x20, 2n ** 28n + 5n], // slots above 2^28, within uint32
      [0x20, 2n ** 32n], // slots past uint32
      [0x28, 7n],
    ];
    for (const [tag, value] of cases) {
      let minimal = 1;
      while (value >> BigInt(7 * minimal) > 0n) minimal++;
      for (let width = minimal; width <= 10; width++) {
        const bytes = Buffer.concat([enc(base), Buffer.from([tag, ...varint(value, width)])]);
        const fast = reservationBytesProblem(bytes, 0, bytes.length, base.user) === undefined;
        assert.equal(fast, objectVerdict(bytes, base.user), `tag ${tag} value ${value} in ${width} bytes`);
      }
    }
  });

  it('reads six-byte epoch values exactly (their own path): each bit of either time decides the verdict', () => {
    // Epoch ms of this era are six-byte varints, read without the general loop. The time under test
    // is one unit of a 7-bit group away from the other time, which is written overlong (seven
    // bytes: the general loop reads it), so the verdict flips unless every group is read right.
    // Then each continuation bit is cleared once (a shorter varint followed by other bytes: the
    // general path again), compared with the decoder.
    const varint = (v: number, width: number) => {
      const out: number[] = [];
      for (let i = 0; i < width; i++) {
        out.push((v % 128) | (i < width - 1 ? 0x80 : 0));
        v = Math.floor(v / 128);
      }
      return out;
    };
    const t = base.notBeforeMs;
    for (let group = 0; group < 6; group++) {
      for (const sign of [-1, 0, 1]) {
        const x = t + sign * 128 ** group;
        for (const [tested, other, expectOk] of [
          [0x78, 0x70, x > t], // expiresMs = x (six bytes), notBeforeMs = t (seven)
          [0x70, 0x78, t > x], // notBeforeMs = x, expiresMs = t
        ] as const) {
          const tail = [other, ...varint(t, 7), tested, ...varint(x, 6)];
          const bytes = Buffer.concat([enc(base), Buffer.from(tail)]);
          const verdict = reservationBytesProblem(bytes, 0, bytes.length, base.user);
          assert.equal(
            verdict === undefined,
            expectOk,
            `tag ${tested} group ${group} sign ${sign}: ${verdict}`,
          );
          assert.equal(verdict === undefined, objectVerdict(bytes, base.user));
          for (let k = 1; k < 5; k++) {
            const cut = Buffer.from(bytes);
            cut[bytes.length - 6 + k] &= 0x7f;
            const fast = reservationBytesProblem(cut, 0, cut.length, base.user) === undefined;
            assert.equal(
              fast,
              objectVerdict(cut, base.user),
              `tag ${tested} group ${group}, byte ${k} ends it`,
            );
          }
        }
      }
    }
  });

  it('compares the user with the resource name by bytes when it is given their place', () => {
    const body = enc(base);
    const other = Buffer.from('someone-else', 'utf8');
    const same = Buffer.from(base.user, 'utf8');
    for (const [name, expectOk] of [
      [same, true],
      [other, false],
    ] as const) {
      const buf = Buffer.concat([name, body]);
      const verdict = reservationBytesProblem(buf, name.length, buf.length, name.toString(), 0, name.length);
      assert.equal(verdict === undefined, expectOk, String(verdict));
    }
  });

  it('gives the same verdict with the name as bytes (with and without a DataView) as with the name as a string, on corrupted encodings', () => {
    // The byte-place path scans the user and compares it with the name in one loop.
    const random = rng(7);
    for (let k = 0; k < 3000; k++) {
      const r = syntheticReservation(k, { users: 3000 }, k % 5);
      const name = Buffer.from(random() < 0.3 ? `${r.user.slice(0, -1)}${k % 10}` : r.user, 'utf8');
      const body = Buffer.from(enc(r));
      for (let m = 0; m < 1 + Math.floor(random() * 2); m++) {
        const at = Math.floor(random() * body.length);
        body[at] = random() < 0.5 ? Math.floor(random() * 256) : body[at] ^ 0x80;
      }
      const buf = Buffer.concat([name, body]);
      const byBytes = reservationBytesProblem(buf, name.length, buf.length, name.toString(), 0, name.length);
      const byString = reservationBytesProblem(body, 0, body.length, name.toString());
      assert.equal(byBytes === undefined, byString === undefined, `case ${k}: ${byBytes} / ${byString}`);
      // With a DataView the string fields are scanned 4 bytes at a time: the same verdict.
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const n = name.length;
      assert.equal(
        reservationBytesProblem(buf, n, buf.length, name.toString(), 0, n, view),
        byBytes,
        `case ${k}`,
      );
    }
  });

  it('compares the user with the name a word at a time: a difference at any byte, with or without a view', () => {
    // The user is compared 4 bytes per step through the view, the tail byte by byte; a changed or
    // non-ASCII byte must be seen wherever it falls, for names of every length mod 4 and at any
    // alignment of the buffer.
    for (const user of [
      'u',
      'ab',
      'abc',
      'abcd',
      'abcde',
      'bursty-000042',
      'diurnal-000042',
      'sparse-00004217',
    ]) {
      const r = { ...base, user };
      const body = enc(r);
      for (let at = -1; at < user.length; at++) {
        for (const changed of [0x7a, 0xc3]) {
          const name = Buffer.from(user, 'utf8');
          if (at >= 0) name[at] = changed; // 0xc3 alone is invalid UTF-8: still a mismatch
          for (let pad = 0; pad < 4; pad++) {
            const buf = Buffer.concat([Buffer.alloc(pad), name, body]);
            const from = pad + name.length;
            const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
            const withView = reservationBytesProblem(buf, from, buf.length, '', pad, from, view);
            const without = reservationBytesProblem(buf, from, buf.length, '', pad, from);
            assert.equal(
              withView === undefined,
              at < 0,
              `${user} changed at ${at} to ${changed}, pad ${pad}`,
            );
            assert.equal(without === undefined, at < 0, `${user} changed at ${at}, no view`);
          }
        }
      }
    }
  });

  it('judges a repeated user by its last occurrence when the name is given as bytes', () => {
    const name = Buffer.from(base.user, 'utf8');
    const sameLength = base.user.slice(0, -1) + (base.user.endsWith('x') ? 'y' : 'x');
    for (const [first, last, ok] of [
      [base.user, sameLength, false],
      [sameLength, base.user, true],
      ['', base.user, true],
      [base.user, 'longer-' + base.user, false],
    ] as const) {
      const w = new WireWriter();
      w.varint(0x0a).string(first);
      writeReservation(w, { ...base, user: last });
      const buf = Buffer.concat([name, w.finish()]);
      const verdict = reservationBytesProblem(buf, name.length, buf.length, base.user, 0, name.length);
      assert.equal(verdict === undefined, ok, `${first} then ${last}: ${verdict}`);
    }
  });

  it('accepts valid non-ASCII strings and rejects invalid UTF-8 with a DataView too', () => {
    const r = { ...base, user: 'ünïcode-✓', instanceId: 'ïd-1', tier: 'ór', fallback: '😀-pool' };
    const name = Buffer.from(r.user, 'utf8');
    const buf = Buffer.concat([Buffer.from('pad'), name, enc(r)]);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const at = 3 + name.length;
    assert.equal(reservationBytesProblem(buf, at, buf.length, r.user, 3, at, view), undefined);
    const bad = Buffer.from(buf);
    bad[bad.indexOf('ïd-1') + 1] = 0x41; // the second byte of "ï" replaced: invalid UTF-8
    const badView = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
    assert.equal(
      reservationBytesProblem(bad, at, bad.length, r.user, 3, at, badView),
      'invalid UTF-8 in instanceId',
    );
  });
});
