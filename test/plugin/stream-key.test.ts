/**
 * Each pooled stream builds its user's record key once per request (prefix, "r/", id read straight
 * into place) and uses it to take and give back the slot. Pins that the key is right for every
 * prefix and id length, also when a pooled stream is reused for a shorter or longer id.
 */
import { strict as assert } from 'node:assert';
import { type Harness, startFilter } from './support/harness';
import { inFlightOf } from './support/records';

describe('plugin: stream record keys', () => {
  let h: Harness;
  afterEach(async () => h && (await h.envoy.close()));

  const inFlight = (user: string): number => inFlightOf(h.record(user), `${user} has a record`);

  for (const prefix of ['earmark/', 'p'.repeat(64), 'mesh-a/e/']) {
    it(`takes and gives back slots under "${prefix.slice(0, 12)}…" for ids of 1 to 256 bytes`, () => {
      h = startFilter({ key_prefix: prefix, max_user_id_bytes: 256 }, { concurrency: 1 });
      const users = ['a', 'u'.repeat(256), 'bob', 'é'.repeat(8), 'c'.repeat(255), 'x'];
      users.forEach((u, i) => h.plant(u, { address: `10.0.0.${i + 1}:80`, slots: 2 }));
      // One stream at a time: the pool hands the same Stream back for each id, long after short.
      for (const [i, u] of users.entries()) {
        const s = h.request(u);
        assert.equal(s.requestHeaders.get('x-earmark-instance'), `10.0.0.${i + 1}:80`, u);
        assert.equal(inFlight(u), 1, `${u.slice(0, 8)} holds a slot`);
        for (const other of users) if (other !== u) assert.equal(inFlight(other), 0);
        s.finish();
        assert.equal(inFlight(u), 0, `${u.slice(0, 8)} gave it back`);
      }
      // Several at once, ending out of order.
      const open = users.map((u) => h.request(u));
      for (const u of users) assert.equal(inFlight(u), 1);
      [3, 0, 5, 1, 4, 2].forEach((i) => open[i].finish());
      for (const u of users) assert.equal(inFlight(u), 0);
      assert.deepEqual(h.problems(), []);
    });
  }

  it('an id one byte over max_user_id_bytes is no identity and touches no record', () => {
    h = startFilter({ max_user_id_bytes: 16 }, { concurrency: 1 });
    h.plant('q'.repeat(17), { address: '10.0.0.9:80', slots: 1 });
    h.plant('q'.repeat(16), { address: '10.0.0.8:80', slots: 1 });
    const over = h.request('q'.repeat(17));
    assert.equal(over.requestHeaders.get('x-earmark-instance'), undefined);
    assert.equal(inFlight('q'.repeat(17)), 0);
    const at = h.request('q'.repeat(16));
    assert.equal(at.requestHeaders.get('x-earmark-instance'), '10.0.0.8:80');
    over.finish();
    at.finish();
    assert.equal(inFlight('q'.repeat(16)), 0);
  });
});
