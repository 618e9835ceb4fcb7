import { strict as assert } from 'node:assert';
import { parsePolicy } from '../../../control-plane/allocate/load-policy';
import { DEFAULT_TIER, policyYaml, TIER_NAME, type PolicyInput } from '../../../bench/e2e/policy';

const INPUT: PolicyInput = {
  tier: DEFAULT_TIER,
  leadTimeMs: 60_000,
  validityMs: 300_000,
  rateBurstMs: 600_000,
  instances: 3,
  instanceMemoryMb: 17_350,
  reservable: 1,
};

const tierOf = (p: PolicyInput) =>
  parsePolicy(policyYaml(p), 'e2e.yaml').tiers.find((t) => t.name === TIER_NAME)!;

describe('bench e2e: the policy Earmark runs', () => {
  it("caps a user's slots only when asked (maxSlots)", () => {
    assert.equal(tierOf({ ...INPUT, tier: { ...DEFAULT_TIER, maxSlots: 0 } }).max.slots, Infinity);
    assert.equal(tierOf({ ...INPUT, tier: { ...DEFAULT_TIER, maxSlots: 40 } }).max.slots, 40);
  });

  it('keeps overflow room beside a capped reservation only when asked (overflowRoom)', () => {
    assert.equal(tierOf({ ...INPUT, tier: { ...DEFAULT_TIER, overflowRoom: 0 } }).overflowRoom ?? 0, 0);
    assert.equal(tierOf({ ...INPUT, tier: { ...DEFAULT_TIER, overflowRoom: 0.5 } }).overflowRoom, 0.5);
  });

  it('passes the reservable share to the allocator', () => {
    assert.equal(parsePolicy(policyYaml({ ...INPUT, reservable: 0.9 }), 'e2e.yaml').reservable, 0.9);
  });
});
