/** Readiness checks the service adds to the API's: the cycle and the distribution endpoint. */
import type { DependencyCheck } from '../api/port';
import type { NodeStatus } from '../distribute';
import type { CycleStatus } from './status';

/**
 * "cycle": ok once a plan is in force and the last cycle did not fail; says which stage failed.
 * A failed cycle with a plan still in force, or no cycle yet with the stored plan in force, only
 * degrades the service (see DependencyCheck).
 */
export function cycleCheck(s: CycleStatus): DependencyCheck {
  if (s.state === 'stopped') return { name: 'cycle', ok: false, detail: 'stopped' };
  const last = s.last;
  if (!last)
    // A restarted control plane (or a newly elected leader) serving the stored plan can serve
    // proxies before its first cycle: degraded, not unready, or the Service would send it no one.
    return s.planVersion
      ? {
          name: 'cycle',
          ok: false,
          degradesOnly: true,
          detail: `no cycle yet; serving the stored plan ${s.planVersion}`,
        }
      : { name: 'cycle', ok: false, detail: 'no cycle has run yet' };
  if (!last.ok)
    return {
      name: 'cycle',
      ok: false,
      ...(s.planVersion ? { degradesOnly: true } : {}),
      detail:
        `cycle ${last.cycle} failed at ${last.failedStage}: ${last.error}; ` +
        (s.planVersion ? `plan ${s.planVersion} stays in force` : 'no plan in force'),
    };
  const stages = last.stages.map((t) => `${t.stage} ${t.ms.toFixed(0)} ms`).join(', ');
  return { name: 'cycle', ok: true, detail: `cycle ${last.cycle} published ${last.planVersion} (${stages})` };
}

export function distributionCheck(address: string, nodes: NodeStatus[]): DependencyCheck {
  const up = nodes.filter((n) => n.connected).length;
  return { name: 'distribution', ok: true, detail: `gRPC on ${address}, ${up} proxies connected` };
}
