import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { parsePolicy } from '../../../control-plane/allocate/load-policy';
import { batchOf, CAP10, instances, perSlotDemand, testPolicy } from './helpers';

const CAP = { slots: 100, cpuMillicores: 1e6, memoryMb: 1000, bandwidthKbps: 1e9 };
const USERS = ['a', 'b', 'c', 'd'];
// Each user: one request in flight of 300 MB, at every quantile (gold tier: the default).
const forecast = batchOf(USERS, (_u, r) => (r === 'concurrency' ? 1 : r === 'memory' ? 300 : 0));

/** Reserved memory per instance id. */
function memoryByInstance(extra: string): Map<string, number> {
  const policy = testPolicy(`defaultTier: gold\n${extra}`);
  const { plan } = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: instances(3, CAP) });
  const out = new Map<string, number>();
  for (const u of USERS) {
    const r = plan.reservations.get(u)!;
    assert.equal(r.memoryMb, 300, `${u} is held in full`);
    out.set(r.instanceId, (out.get(r.instanceId) ?? 0) + r.memoryMb);
  }
  return out;
}

describe('allocate: reservable share of an instance', () => {
  it('packs reservations up to the whole capacity by default', () => {
    assert.equal(testPolicy().reservable, 1);
    assert.equal(Math.max(...memoryByInstance('').values()), 900, 'three of 300 MB on one 1000 MB instance');
  });

  it('fills at most that share of each instance, the rest left for what no plan holds', () => {
    const held = memoryByInstance('reservable: 0.6');
    assert.ok(Math.max(...held.values()) <= 600, JSON.stringify([...held]));
    assert.equal(held.size, 2, 'two users per instance');
  });

  it('counts unplanned load against the share kept back, not on top of it', () => {
    // One 1000 MB instance with 300 MB that no plan holds, a share of 0.6: reservations may fill
    // min(600, 1000 - 300) = 600 MB, two users of 300 MB (300 MB if the load were taken twice).
    const policy = testPolicy('defaultTier: gold\nreservable: 0.6');
    const [inst] = instances(1, CAP);
    const loads = [
      { instanceId: inst.id, atMs: 0, cpuMillicores: 0, memoryMb: 300, bandwidthKbps: 0, inFlight: 0 },
    ];
    const { plan } = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: [inst], loads });
    assert.equal([...plan.reservations.values()].filter((r) => r.memoryMb === 300).length, 2);
    const heavy = [{ ...loads[0], memoryMb: 700 }];
    const tight = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: [inst], loads: heavy });
    assert.equal(tight.plan.reservations.size, 1, 'past the share, load takes room: 1000 - 700 = 300 MB');
  });

  it('rejects a share of 0 or above 1, naming the line', () => {
    for (const bad of ['0', '1.5']) {
      const yaml = `tiers:\n  t: { quantile: 0.9 }\ninstanceClasses:\n  s: { capacity: { slots: 1 } }\nreservable: ${bad}\n`;
      assert.throws(() => parsePolicy(yaml, 'p.yaml'), /p\.yaml.*5:.*reservable/s);
    }
  });

  it('asks for instances by the share too (scaling)', () => {
    // 10 users x 4 slots on instances of 10 slots: 4 instances at the whole capacity, 8 at half of it.
    const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
    const demand = batchOf(users, (_u, r) => perSlotDemand(4)(r), { horizon: 10 });
    const desired = (extra: string) =>
      allocate({
        nowMs: 0,
        cycleMs: 60_000,
        forecast: demand,
        policy: testPolicy(`scaling: { minInstances: 1, maxInstances: 50, targetUtilization: 1 }\n${extra}`),
        instances: instances(2, CAP10),
      }).plan.scaling[0]?.desired;
    assert.equal(desired(''), 4);
    assert.equal(desired('reservable: 0.5'), 8);
  });
});
