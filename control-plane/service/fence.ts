/**
 * The leader-election fence (control-plane/leader): with several replicas, whether this one may
 * act as the control plane right now. Checked synchronously before every side effect that only
 * the leader may have — publishing a plan or a top-up, recording a plan — so that a replica that
 * lost its lease (renewals failed, or its event loop was blocked past the renew deadline) cannot
 * publish a competing plan while it stops. Without election there is no fence.
 */
import type { PlanPublisher } from './stages';

export type Fence = () => boolean;

export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`${what} refused: this replica no longer holds the leader lease`);
    this.name = 'NotLeaderError';
  }
}

export function checkFence(fence: Fence | undefined, what: string): void {
  if (fence && !fence()) throw new NotLeaderError(what);
}

export function fencedPublisher(p: PlanPublisher, fence: Fence | undefined): PlanPublisher {
  if (!fence) return p;
  return {
    publishPlan: (plan) => {
      checkFence(fence, 'plan publish');
      return p.publishPlan(plan);
    },
    publishChanges: (changes) => {
      checkFence(fence, 'plan publish');
      return p.publishChanges(changes);
    },
    // Checked when the publish happens, after the diff that gives the event loop turns.
    publishPlanYielding:
      p.publishPlanYielding &&
      ((plan, o) =>
        p.publishPlanYielding!(plan, {
          beforeCommit: () => {
            checkFence(fence, 'plan publish');
            o?.beforeCommit?.();
          },
        })),
  };
}
