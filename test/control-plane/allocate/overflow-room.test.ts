import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { A_MEM, A_SLOTS, AMOUNTS, type Wants } from '../../../control-plane/allocate/demand';
import { roomThatFits } from '../../../control-plane/allocate/overflow-room';
import type { InstanceLoad } from '../../../control-plane/domain/instance';
import type { Plan } from '../../../control-plane/domain/plan';
import type { UserProfile } from '../../../control-plane/domain/user';
import { batchOf, instances, testPolicy, withTierField } from './helpers';

const CAP = { slots: 1000, cpuMillicores: 1e6, memoryMb: 1000, bandwidthKbps: 1e9 };
// 'big': 71 slots of 10 MB under a cap of 40 (400 MB reserved, 310 MB cut); 'small': 38 slots, 380 MB.
const PER = { concurrency: 1, memory: 10, cpu: 10, bandwidth: 100, requests: 50 };
const forecast = batchOf(['big', 'small'], (u, r) => (u === 0 ? 71 : 38) * PER[r]);

/** The plan with a 40-slot cap and this overflow room (undefined: the field left out). */
function planWith(
  share: number | undefined,
  o: { current?: Plan; loads?: InstanceLoad[] } = {},
  n = 2,
): Plan {
  const policy = testPolicy('defaultTier: gold');
  for (const t of policy.tiers) [t.max.slots, t.overflowRoom] = [40, share];
  return allocate({ nowMs: 60_000, cycleMs: 60_000, forecast, policy, instances: instances(n, CAP), ...o })
    .plan;
}

const instanceOf = (p: Plan, user: string) => p.reservations.get(user)!.instanceId;

describe('allocate: overflow room beside a capped reservation (overflowRoom)', () => {
  it('is off by default: the capped reservation and the next user share one instance', () => {
    for (const t of testPolicy().tiers) assert.equal(t.overflowRoom ?? 0, 0);
    const plan = planWith(undefined);
    const [big, small] = [plan.reservations.get('big')!, plan.reservations.get('small')!];
    assert.deepEqual([big.slots, big.memoryMb, small.memoryMb], [40, 400, 380]);
    assert.equal(big.instanceId, small.instanceId, '400 + 380 MB fit in 1000 MB');
  });

  it('keeps what the cut slots would occupy free beside the reservation, without reserving it', () => {
    const plan = planWith(1);
    const big = plan.reservations.get('big')!;
    assert.deepEqual(
      [big.slots, big.memoryMb, big.cpuMillicores],
      [40, 400, 400],
      'reserves the kept slots only',
    );
    assert.notEqual(big.instanceId, instanceOf(plan, 'small'), '400 + 310 MB of room leave no 380 MB');
    // Half the room: 400 + 155 MB leave 445 MB, enough for 380 MB beside it.
    const half = planWith(0.5);
    assert.equal(instanceOf(half, 'big'), instanceOf(half, 'small'));
  });

  it('counts the room in use as expected load, not as load that takes room from reservations', () => {
    // Next cycle 'big' holds 400 MB on its instance with 310 MB of its overflow running there on
    // demand: it stays (were the overflow unplanned load, 1000 - 310 = 690 MB would not hold 710,
    // and it would move to the empty third instance).
    const first = planWith(1, {}, 3);
    const at = instanceOf(first, 'big');
    const load = {
      instanceId: at,
      atMs: 60_000,
      cpuMillicores: 0,
      memoryMb: 710,
      bandwidthKbps: 0,
      inFlight: 71,
    };
    assert.equal(instanceOf(planWith(1, { current: first, loads: [load] }, 3), 'big'), at);
  });

  it('never costs the reservation itself: a room that fits on no instance is dropped', () => {
    // 200 slots of 10 MB under the 40-slot cap: 400 MB reserved, 1,600 MB of room, more than any
    // 1,000 MB instance holds. The room was packed with the reservation and squeezed it to nothing
    // (review, session 8); the 40 kept slots fit, so they must be reserved.
    const huge = batchOf(['huge'], (_u, r) => 200 * PER[r]);
    const policy = testPolicy('defaultTier: gold');
    for (const t of policy.tiers) [t.max.slots, t.overflowRoom] = [40, 1];
    const plan = allocate({
      nowMs: 60_000,
      cycleMs: 60_000,
      forecast: huge,
      policy,
      instances: instances(2, CAP),
    }).plan;
    const r = plan.reservations.get('huge');
    assert.deepEqual([r?.slots, r?.memoryMb], [40, 400]);
  });

  it('counts only the room the packer kept: room dropped for want of capacity is not expected load', () => {
    // One 1,000 MB instance; 'small' (gold, 380 MB) is placed first, so 'big' (free: 400 MB + 310 MB
    // of room) finds 620 MB: its room fits an empty instance but not this cycle, and is dropped.
    // Next cycle the instance reports both reservations in use plus 300 MB no plan holds. Counted as
    // expected, the dropped room (310 MB) would hide those 300 MB, and the plan would reserve
    // 780 MB beside them on 1,000 MB.
    const policy = testPolicy('defaultTier: gold');
    for (const t of policy.tiers) [t.max.slots, t.overflowRoom] = [40, 1];
    const profiles = new Map<string, UserProfile>([
      ['big', { user: 'big', tier: 'free', updatedAtMs: 0 }],
      ['small', { user: 'small', tier: 'gold', updatedAtMs: 0 }],
    ]);
    const input = { cycleMs: 60_000, forecast, policy, instances: instances(1, CAP), profiles };
    const first = allocate({ ...input, nowMs: 60_000 }).plan;
    assert.deepEqual(
      [first.reservations.get('big')?.memoryMb, first.reservations.get('small')?.memoryMb],
      [400, 380],
    );
    assert.equal(first.overflowRoom?.get('big'), undefined, 'no room kept beside big');
    const unplanned = 300;
    const load = {
      instanceId: 'i0',
      atMs: 120_000,
      cpuMillicores: 0,
      memoryMb: 780 + unplanned,
      bandwidthKbps: 0,
      inFlight: 108,
    };
    const next = allocate({ ...input, nowMs: 120_000, current: first, loads: [load] }).plan;
    let reserved = 0;
    for (const r of next.reservations.values()) reserved += r.memoryMb;
    assert.ok(reserved + unplanned <= CAP.memoryMb, `${reserved} MB reserved beside ${unplanned} MB in use`);
  });

  it('records the room it kept beside a reservation in the plan', () => {
    const plan = planWith(1);
    assert.deepEqual(plan.overflowRoom?.get('big'), {
      slots: 31,
      cpuMillicores: 310,
      memoryMb: 310,
      bandwidthKbps: 3100,
    });
    assert.equal(plan.overflowRoom?.has('small'), false, 'small is under the cap');
  });

  it('keeps a room only where one instance holds reservation and room in every dimension at once', () => {
    // 40 + 160 slots and 400 + 1,600 MB: the slot-rich instance lacks memory, the memory-rich one
    // slots, so no single instance holds it, though each dimension alone fits somewhere.
    const wants = (): Wants => {
      const amount = new Float64Array(AMOUNTS);
      const room = new Float64Array(AMOUNTS);
      [amount[A_SLOTS], amount[A_MEM], room[A_SLOTS], room[A_MEM]] = [40, 400, 160, 1600];
      return { users: ['u'], amount, room } as unknown as Wants;
    };
    const policy = testPolicy();
    const mixed = [
      ...instances(1, { ...CAP, slots: 1000, memoryMb: 1000 }, 'slots'),
      ...instances(1, { ...CAP, slots: 50, memoryMb: 5000 }, 'mem'),
    ];
    const w = wants();
    roomThatFits(w, mixed, policy);
    assert.deepEqual([w.room[A_SLOTS], w.room[A_MEM]], [0, 0]);
    const roomy = wants();
    roomThatFits(roomy, [...mixed, ...instances(1, { ...CAP, slots: 1000, memoryMb: 5000 }, 'big')], policy);
    assert.deepEqual(
      [roomy.room[A_SLOTS], roomy.room[A_MEM]],
      [160, 1600],
      'kept where one instance holds it',
    );
  });

  it('reads overflowRoom from YAML as a share in [0, 1]', () => {
    assert.equal(withTierField('overflowRoom', '0.5').tiers[0].overflowRoom, 0.5);
    assert.throws(() => withTierField('overflowRoom', '1.5'), /overflowRoom/);
  });
});
