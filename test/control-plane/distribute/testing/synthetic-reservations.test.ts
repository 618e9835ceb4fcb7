import { strict as assert } from 'node:assert';
import { syntheticReservation } from '../../../../control-plane/distribute/testing/synthetic-reservations';

describe('distribute/testing: syntheticReservation', () => {
  it('gives each instance one id and the address that belongs to it, whatever the user and salt', () => {
    const seen = new Map<string, string>();
    for (const instances of [1000, 300])
      for (let salt = 0; salt < 5; salt++)
        for (let i = 0; i < 400; i++) {
          const r = syntheticReservation(i, { users: 400, instances }, salt);
          const m = /^companion-(\d{4})$/.exec(r.instanceId);
          assert.ok(m, r.instanceId);
          const k = Number(m[1]);
          assert.ok(k < instances);
          assert.equal(r.instanceAddress, `10.${16 + (k >> 8)}.${k & 255}.${10 + (k % 7)}:8080`);
          assert.equal(seen.get(r.instanceId) ?? r.instanceAddress, r.instanceAddress);
          seen.set(r.instanceId, r.instanceAddress);
        }
    assert.ok(seen.size > 250, `only ${seen.size} instances drawn`);
  });
});
