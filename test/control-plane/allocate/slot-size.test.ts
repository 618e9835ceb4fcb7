import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { SLOT_SIZE_HISTORY_FACTOR } from '../../../control-plane/allocate/slot-size';
import type { DemandWindows } from '../../../control-plane/domain/demand';
import { batchOf, instances, RES, testPolicy } from './helpers';

// The end-to-end benchmark's instance: 17,766 MB.
const INSTANCE = { slots: 1000, cpuMillicores: 1e9, memoryMb: 17_766, bandwidthKbps: 1e9 };
const SANDBOX_MB = 124; // fn-6d3f513520be's app memory (hour 900, session 9)

/** One user 'u' whose slot is raised to minSlots 1 from these per-step forecasts. */
function reserve(conc: number[], memory: number[], history?: DemandWindows, count = 1) {
  const policy = testPolicy();
  for (const t of policy.tiers) t.minSlots = 1;
  const forecast = batchOf(
    ['u'],
    (_u, r, _q, h) => (r === 'concurrency' ? conc[h] : r === 'memory' ? memory[h] : 0),
    { horizon: conc.length },
  );
  const out = allocate({
    nowMs: 0,
    cycleMs: 60_000,
    forecast,
    policy,
    instances: instances(count, INSTANCE),
    history,
  });
  return { r: out.plan.reservations.get('u'), stats: out.stats };
}

/** History of 'u': `steps` minutes at one request in flight holding `mb`. */
function historyOf(mb: number, steps = 10): DemandWindows {
  const values = new Float32Array(RES.length * steps).fill(NaN);
  const at = (name: string) => RES.indexOf(name as never) * steps;
  for (let t = 0; t < steps; t++) [values[at('concurrency') + t], values[at('memory') + t]] = [1, mb];
  return { users: ['u'], resources: RES, startMs: -steps * 60_000, stepMs: 60_000, steps, values };
}

describe('allocate: what a raised slot holds (slot-size.ts)', () => {
  // The hour-900 shape: about 0.2 in flight at 124 MB each, then one step of 0.0000055 in flight
  // beside 2.56 MB of memory; that step's ratio alone is ~465,000 MB, more than any instance.
  const conc = [0.17, 0.1, 0.15, 0.19, 0.0000055];
  const memory = [...conc.slice(0, 4).map((c) => c * SANDBOX_MB), 2.56];
  const bound = SANDBOX_MB * SLOT_SIZE_HISTORY_FACTOR;

  it('replaces a size larger than any instance by the history times the documented factor', () => {
    const { r, stats } = reserve(conc, memory, historyOf(SANDBOX_MB));
    assert.equal(r?.slots, 1);
    assert.equal(r?.memoryMb, bound);
    assert.equal(stats.slotSizeBounded, 1, 'counted, so the service can log it');
  });

  it('holds at most the largest instance where there is no history (a new user)', () => {
    const { r, stats } = reserve(conc, memory);
    assert.equal(r?.memoryMb, INSTANCE.memoryMb);
    assert.equal(stats.slotSizeBounded, 1);
  });

  it('leaves a size an instance can hold alone, above the history or not', () => {
    const steady = [0.5, 0.5, 0.5];
    for (const grown of [1.5, 5]) {
      const { r, stats } = reserve(
        steady,
        steady.map((c) => c * SANDBOX_MB * grown),
        historyOf(SANDBOX_MB),
      );
      assert.equal(r?.memoryMb, SANDBOX_MB * grown);
      assert.equal(stats.slotSizeBounded, 0);
    }
  });

  it('reads the largest size of the history, not its latest', () => {
    // 124 MB an hour ago, 40 MB since: the bound is twice 124 MB.
    const h = historyOf(SANDBOX_MB, 60);
    const mem = RES.indexOf('memory') * 60;
    for (let t = 1; t < 60; t++) h.values[mem + t] = 40;
    assert.equal(reserve(conc, memory, h).r?.memoryMb, bound);
  });

  it('counts no artefact when there is no instance yet (nothing to compare a size with)', () => {
    // Before the first instance registers every size would be "larger than any instance" and
    // the service would warn about all users each cycle.
    const { r, stats } = reserve(conc, memory, historyOf(SANDBOX_MB), 0);
    assert.equal(r, undefined, 'nothing can be placed');
    assert.equal(stats.slotSizeBounded, 0);
  });
});
