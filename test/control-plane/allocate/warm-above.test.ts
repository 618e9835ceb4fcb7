import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { batchOf, instances, testPolicy, withTierField } from './helpers';

const BIG = { slots: 1000, cpuMillicores: 1e6, memoryMb: 1e6, bandwidthKbps: 1e9 };
const H = 5;

/** Two idle users (every quantile 0) whose P(active) is 0.3 at `step`, 0.01 elsewhere. */
function idleBatch(step: number) {
  const b = batchOf(['timer', 'other'], () => 0, { horizon: H });
  b.activity = Float32Array.from({ length: 2 * H }, (_, i) => (i === step ? 0.3 : 0.01));
  return b;
}

describe('allocate: warm slots where activity is likely (warmAbove)', () => {
  it('holds one slot where P(active) is above the threshold, none where it is not, none when off', () => {
    const policy = testPolicy();
    for (const t of policy.tiers) t.warmAbove = 0.2;
    const soon = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast: idleBatch(1),
      policy,
      instances: instances(1, BIG),
    });
    assert.equal(soon.plan.reservations.get('timer')?.slots, 1, 'step 1 is inside this plan (cycle + lead)');
    assert.equal(soon.plan.reservations.get('other')?.slots ?? 0, 0);
    const later = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast: idleBatch(4),
      policy,
      instances: instances(1, BIG),
    });
    assert.equal(later.plan.reservations.get('timer')?.slots ?? 0, 0, 'step 4 is for a later plan');
    const off = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast: idleBatch(1),
      policy: testPolicy(),
      instances: instances(1, BIG),
    });
    assert.equal(off.plan.reservations.get('timer')?.slots ?? 0, 0, 'default 1: off');
  });

  it('brings memory along with slots raised to a floor, at the user own per-slot ratio', () => {
    const policy = testPolicy();
    for (const t of policy.tiers) t.minSlots = 1;
    // Concurrency 0.02 (floor 0, raised to 1); memory 0.02 × 256 MB: a slot holds 256 MB, not 6.
    const forecast = batchOf(['rare'], (_u, r) => (r === 'concurrency' ? 0.02 : r === 'memory' ? 5.12 : 0));
    const { plan } = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: instances(1, BIG) });
    const r = plan.reservations.get('rare')!;
    assert.equal(r.slots, 1);
    assert.equal(r.memoryMb, 256);
  });

  it('accepts warmAbove in YAML within [0, 1] and rejects other values', () => {
    assert.equal(testPolicy().tiers[0].warmAbove, 1);
    assert.throws(() => withTierField('warmAbove', '1.5'), /warmAbove/);
    assert.throws(() => withTierField('warmAbove', '-0.1'), /warmAbove/);
    assert.equal(withTierField('warmAbove', '0.1').tiers[0].warmAbove, 0.1);
  });
});
