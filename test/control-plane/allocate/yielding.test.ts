import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import {
  allocate,
  allocateYielding,
  type AllocationInput,
  type AllocationResult,
} from '../../../control-plane/allocate/allocate';
import { loadPolicyFile } from '../../../control-plane/allocate/load-policy';
import { USERS_PER_YIELD } from '../../../control-plane/domain/steps';
import { syntheticForecast, syntheticInstances } from '../../../control-plane/allocate/testing/synthetic';

// Enough users for several slices in every step (wants, packing, building), a current plan to stay
// on and a fleet small enough that some users are squeezed, so every branch that yields runs.
const USERS = 5 * USERS_PER_YIELD + 123;
const policy = loadPolicyFile(path.join(__dirname, '../../../control-plane/allocate/policies/default.yaml'));
const forecast = syntheticForecast({ users: USERS, seed: 7 });
const instances = syntheticInstances(60, policy.instanceClasses[0].capacity);

function inputs(): { first: AllocationInput; second: AllocationInput } {
  const first: AllocationInput = { nowMs: 0, cycleMs: 60_000, forecast, policy, instances };
  const current = allocate(first).plan;
  const next = {
    ...forecast,
    issuedAtMs: 60_000,
    values: forecast.values.map((v, i) => v * (1 + (i % 7) / 20)),
  };
  return { first, second: { nowMs: 60_000, cycleMs: 60_000, forecast: next, policy, instances, current } };
}

/** Everything of a result but the step timings. */
const comparable = (r: AllocationResult) => ({
  plan: r.plan,
  stats: { ...r.stats, ms: undefined },
  free: r.ledger,
});

describe('allocate: yielding to the event loop (the service runs a cycle this way)', () => {
  const { first, second } = inputs();

  it('gives the same plan, squeezes, scaling, counts and ledger as the synchronous run', async () => {
    for (const input of [first, second]) {
      const sync = allocate(input);
      const yielding = await allocateYielding(input, { sliceMs: 0 });
      assert.ok(sync.plan.reservations.size > 10_000, 'the case reserves for many users');
      assert.ok(sync.stats.squeezed > 0 || input === first, 'the second cycle squeezes some users');
      assert.deepEqual(comparable(yielding), comparable(sync));
    }
  });

  it('lets timers and I/O callbacks run while it works, and only then resolves', async () => {
    let turns = 0;
    let timerFiredAt = -1;
    setTimeout(() => (timerFiredAt = turns), 0);
    const r = await allocateYielding(second, { sliceMs: 0, onTurn: () => turns++ });
    // wants, packing and building each yield every USERS_PER_YIELD users.
    assert.ok(turns >= 3 * Math.floor(USERS / USERS_PER_YIELD), `only ${turns} turns`);
    assert.ok(
      timerFiredAt >= 0 && timerFiredAt < turns,
      `the timer fired at turn ${timerFiredAt} of ${turns}`,
    );
    assert.equal(r.stats.users, USERS);
  });

  it('gives a turn once a slice of time has passed, counted from the last turn', async () => {
    // A clock that moves 1 ms per reading: the driver reads it once per step, and once after a turn.
    const stepped = (sliceMs: number) => {
      let t = 0;
      let turns = 0;
      const now = () => t++;
      const counting = { sliceMs, now, onTurn: () => turns++ };
      return allocateYielding(second, counting).then(() => ({ turns }));
    };
    const every = await stepped(0);
    const third = await stepped(3);
    const never = await stepped(1e9);
    assert.equal(never.turns, 0);
    assert.ok(every.turns >= 3 * Math.floor(USERS / USERS_PER_YIELD), `${every.turns} turns`);
    // Each slice: the reading after the turn, then readings at steps 1, 2, 3: a turn every 3 steps.
    assert.ok(
      Math.abs(third.turns - every.turns / 3) <= 2,
      `${third.turns} turns with 3 ms slices, ${every.turns} with none`,
    );
  });
});
