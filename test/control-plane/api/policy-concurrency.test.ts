/**
 * Concurrent policy changes keep one consistent, gap-free version history: with the same If-Match
 * exactly one writer wins; writers that re-read and retry all land, each on its own version. Run
 * both over a port with compare-and-set and over one without, where only the API's serialization
 * can keep the history straight.
 */
import { strict as assert } from 'node:assert';
import { startHarness, type Harness } from './support/harness';
import { MemoryState } from './support/memory-state';
import { policy, tier } from './support/policies';

const base = policy({ free: tier(0.5, 10) });

for (const policyCas of [true, false]) {
  describe(`api: concurrent policy updates (port ${policyCas ? 'with' : 'without'} compare-and-set)`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ state: new MemoryState({ policyCas, latencyMs: 5 }) });
    });
    afterEach(() => h.close());

    const versions = () => h.state.policies.map((p) => p.version);

    it('lets exactly one of many writers with the same If-Match win', async () => {
      assert.equal((await h.call('PUT', '/v1/policy', { body: base })).status, 201);
      const writers = Array.from({ length: 20 }, (_, i) =>
        policy({ free: tier(0.5, 10), [`t${i}`]: tier(0.9, 50) }),
      );
      const replies = await Promise.all(
        writers.map((body) => h.call('PUT', '/v1/policy', { body, headers: { 'if-match': '"1"' } })),
      );
      const won = replies.filter((r) => r.status === 200);
      const lost = replies.filter((r) => r.status === 412);
      assert.equal(won.length, 1);
      assert.equal(lost.length, 19);
      for (const r of lost) {
        assert.equal(r.json.error.code, 'POLICY_VERSION_CONFLICT');
        assert.equal(r.json.error.details.currentVersion, 2);
      }
      assert.deepEqual(versions(), [1, 2]);
      assert.deepEqual(h.state.policies[1].policy, writers[replies.indexOf(won[0])]);
      const now = await h.call('GET', '/v1/policy');
      assert.equal(now.headers.get('etag'), '"2"');
    });

    it('lands every change of writers that re-read and retry, each on its own version', async () => {
      assert.equal((await h.call('PUT', '/v1/policy', { body: base })).status, 201);
      const names = Array.from({ length: 8 }, (_, i) => `tier${i}`);
      let conflicts = 0;
      await Promise.all(
        names.map(async (name, i) => {
          for (;;) {
            const cur = await h.call('GET', '/v1/policy');
            const res = await h.call('PUT', `/v1/policy/tiers/${name}`, {
              body: tier(0.5 + i / 20, 20 + i),
              headers: { 'if-match': cur.headers.get('etag')! },
            });
            if (res.status === 200) return;
            assert.equal(res.status, 412, res.text);
            conflicts++;
          }
        }),
      );
      assert.deepEqual(
        versions(),
        Array.from({ length: names.length + 1 }, (_, i) => i + 1),
      );
      const tiers = h.state.policies[h.state.policies.length - 1].policy.tiers as Record<string, unknown>;
      assert.deepEqual(Object.keys(tiers).sort(), ['free', ...names].sort());
      assert.ok(conflicts > 0, 'the writers really did race');
    });

    it('creates the first version once when many try at the same moment', async () => {
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => h.call('PUT', '/v1/policy', { body: base })),
      );
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, 428, 428, 428, 428, 428]);
      assert.deepEqual(versions(), [1]);
    });

    it('stores nothing for an invalid policy, even among valid ones', async () => {
      await h.call('PUT', '/v1/policy', { body: base });
      const bad = h.call('PUT', '/v1/policy', {
        body: { ...base, defaultTier: 'gold' },
        headers: { 'if-match': '*' },
      });
      const good = h.call('PUT', '/v1/policy', { body: base, headers: { 'if-match': '*' } });
      const [b, g] = await Promise.all([bad, good]);
      assert.deepEqual([b.status, b.json.error.code, g.status], [422, 'POLICY_INVALID', 200]);
      assert.deepEqual(versions(), [1, 2]);
    });
  });
}

describe('api: a policy write another process won', () => {
  it('answers 412 when the port refuses the compare-and-set', async () => {
    const state = new MemoryState();
    const h = await startHarness({ state });
    try {
      await h.call('PUT', '/v1/policy', { body: base });
      // Another control plane on the same store appends version 2 between our read and our write.
      const append = state.appendPolicyVersion.bind(state);
      state.appendPolicyVersion = async (next) => {
        state.policies.push({ ...next, author: 'other-process' });
        return append(next);
      };
      const res = await h.call('PUT', '/v1/policy', { body: base, headers: { 'if-match': '"1"' } });
      assert.equal(res.status, 412);
      assert.equal(res.json.error.code, 'POLICY_VERSION_CONFLICT');
      assert.deepEqual(
        state.policies.map((p) => [p.version, p.author]),
        [
          [1, 'api'],
          [2, 'other-process'],
        ],
      );
    } finally {
      await h.close();
    }
  });
});
