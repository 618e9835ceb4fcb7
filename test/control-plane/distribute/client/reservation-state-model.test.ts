import { strict as assert } from 'node:assert';
import { ReservationState } from '../../../../control-plane/distribute/client/reservation-state';
import { encodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import {
  encodeHeartbeatField,
  encodeResourceField,
  RESERVATION_TYPE_URL,
} from '../../../../control-plane/distribute/codec/resource-codec';
import {
  rng,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 400 };
interface Held {
  salt: number;
  version: string;
  expiresAtMs: number | undefined;
}

/**
 * Random responses (updates, heartbeats, removals, TTLs; some refused as a whole) against a Map
 * model of what the client must hold: rollback, removal then re-add, expiry after records moved.
 */
describe('distribute/client: ReservationState against a model', () => {
  for (const withCheck of [false, true])
    it(`holds exactly what the accepted responses say, through NACKs, removals, re-adds and expiry${withCheck ? ' (custom check)' : ''}`, () => {
      const s = new ReservationState(withCheck ? (res) => (res.slots < 0 ? 'never' : undefined) : undefined);
      const model = new Map<string, Held>();
      const r = rng(23);
      const pick = () => Math.floor(r() * opts.users);
      let now = 1_767_225_600_000;
      for (let step = 0; step < 400; step++) {
        now += Math.floor(r() * 3) * 1000;
        const fields: Buffer[] = [];
        const next = new Map(model);
        const named = new Set<string>();
        const bad = r() < 0.25;
        const count = 1 + Math.floor(r() * 40);
        for (let k = 0; k < count; k++) {
          const i = pick();
          const name = userId(i);
          if (named.has(name)) continue;
          named.add(name);
          const ttl = r() < 0.5 ? 1000 * (1 + Math.floor(r() * 5)) : 0;
          const held = model.get(name);
          if (held && r() < 0.3) {
            const version = r() < 0.8 ? held.version : 'stale';
            fields.push(Buffer.from(encodeHeartbeatField(name, version, ttl)));
            if (version === held.version)
              next.set(name, { ...held, expiresAtMs: ttl > 0 ? now + ttl : undefined });
            continue;
          }
          const salt = step * 1000 + k;
          const version = `v${step}`;
          fields.push(Buffer.from(encodeResourceField(syntheticReservation(i, opts, salt), version, ttl)));
          next.set(name, { salt, version, expiresAtMs: ttl > 0 ? now + ttl : undefined });
        }
        if (bad) {
          // A reservation whose window is empty: the whole response must be refused.
          const i = pick();
          const res = syntheticReservation(i, opts, 1);
          const field = encodeResourceField({ ...res, expiresMs: res.notBeforeMs }, 'bad', 0);
          fields.splice(Math.floor(r() * (fields.length + 1)), 0, Buffer.from(field));
          named.add(userId(i));
        }
        const removed: string[] = [];
        for (let k = Math.floor(r() * 6); k > 0; k--) {
          const name = userId(pick());
          if (named.has(name) || removed.includes(name)) continue;
          removed.push(name);
          next.delete(name);
        }
        const bytes = encodeDeltaResponse({
          systemVersionInfo: `sys-${step}`,
          typeUrl: RESERVATION_TYPE_URL,
          nonce: `n${step}`,
          resourceFields: fields,
          removed,
        });
        const out = s.apply(bytes, now);
        assert.equal(out.ok, !bad, `step ${step}: ${out.ok ? '' : out.error}`);
        if (!bad) for (const [n, h] of next) model.set(n, h);
        if (!bad) for (const n of removed) model.delete(n);
        if (r() < 0.3) {
          const gone = s.expire(now).sort();
          const want = [...model].filter(([, h]) => h.expiresAtMs !== undefined && h.expiresAtMs <= now);
          assert.deepEqual(gone, want.map(([n]) => n).sort(), `expired at step ${step}`);
          for (const [n] of want) model.delete(n);
        }
        assert.equal(s.size, model.size, `size at step ${step}`);
        for (let i = 0; i < opts.users; i++) {
          const name = userId(i);
          const want = model.get(name);
          const got = s.get(name);
          assert.equal(got !== undefined, want !== undefined, `${name} held at step ${step}`);
          if (!got || !want) continue;
          assert.equal(got.version, want.version, name);
          assert.equal(got.expiresAtMs, want.expiresAtMs, name);
          assert.deepEqual({ ...got.reservation }, { ...syntheticReservation(i, opts, want.salt) }, name);
        }
        assert.deepEqual(
          Object.fromEntries(Object.entries(s.versions()).sort()),
          Object.fromEntries([...model].map(([n, h]) => [n, h.version]).sort()),
        );
      }
    });
});
