/**
 * The pod's `earmark.io/role` label: `leader` or `standby`. The control plane's Service selects
 * `earmark.io/role: leader`, so API clients, instances and proxies reach the leader only, while
 * every replica stays Ready (a standby that reported unready would stall every rolling update:
 * the Deployment waits for new pods to become available, and a standby never would). Patroni routes
 * to its primary the same way. A replica labels itself standby when it starts (a restarted former
 * leader stops receiving traffic), leader once its control plane listens, standby again before it
 * stops; a new leader also labels the previous holder's pod standby (a pod on a dead node stays
 * Ready for the ~40 s until the node is marked unreachable).
 * The same patch sets `controller.kubernetes.io/pod-deletion-cost` (leader high, standby 0), so a
 * rolling update or scale-down removes standbys before the leader: one failover per update.
 */
import type { Logger } from '../api/logger';
import { isObject, KubeApiError, type KubeClient } from './kube-client';

export const ROLE_LABEL = 'earmark.io/role';
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
export type Role = 'leader' | 'standby';

const podPath = (namespace: string, pod: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`;

/** One merge patch of a pod's role label and deletion cost; throws unless the pod has them after it. */
async function patchRole(client: KubeClient, namespace: string, pod: string, role: Role): Promise<void> {
  const path = podPath(namespace, pod);
  const answer = await client.call(
    'PATCH',
    path,
    {
      metadata: {
        labels: { [ROLE_LABEL]: role },
        annotations: { [DELETION_COST]: role === 'leader' ? '1000' : '0' },
      },
    },
    'application/merge-patch+json',
  );
  const labels = isObject(answer) && isObject(answer.metadata) ? answer.metadata.labels : undefined;
  if (!isObject(labels) || labels[ROLE_LABEL] !== role)
    throw new KubeApiError(`PATCH ${path}: the answer is not the pod with ${ROLE_LABEL}=${role}`, 200);
}

export class PodRoleLabel {
  private wanted: Role | undefined;
  /** The role the API server last confirmed for this pod (undefined: none yet). */
  confirmed: Role | undefined;
  private serial = 0;
  private stopped = false;
  private lastError = '';
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** The patch loop running, if any: patches go one at a time, so the last role asked wins. */
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly retryMs: number,
    private readonly logger?: Logger,
  ) {}

  /**
   * Asks for `role`; resolves once the API server has it (true), or when another role is asked for
   * or stop() is called first (false). Never rejects: a replica that cannot label itself still
   * leads (the Lease decides); it is only unreachable through the Service until it can.
   */
  async set(role: Role): Promise<boolean> {
    this.wanted = role;
    const serial = ++this.serial;
    this.wake?.(); // a loop sleeping after a failure patches the new role at once
    // Done only when no patch is in flight: one for another role could land after a confirmation.
    while (serial === this.serial && !this.stopped) {
      if (this.running) {
        await this.running;
        continue;
      }
      if (this.confirmed === role) break;
      this.running = this.loop().finally(() => (this.running = undefined));
    }
    return serial === this.serial && this.confirmed === role;
  }

  /** Patches until the pod has the role last asked for (or stop()); one request at a time. */
  private async loop(): Promise<void> {
    while (!this.stopped && this.wanted !== undefined && this.confirmed !== this.wanted) {
      const role = this.wanted;
      try {
        await patchRole(this.client, this.namespace, this.pod, role);
        this.confirmed = role;
        this.lastError = '';
        this.logger?.info('leader election: pod labeled', { pod: this.pod, [ROLE_LABEL]: role });
        continue; // asked for another role meanwhile? patch that one next
      } catch (err) {
        this.confirmed = undefined;
        const message = (err as Error).message;
        if (message !== this.lastError)
          this.logger?.warn('leader election: could not label the pod (retrying)', {
            pod: this.pod,
            role,
            error: message,
          });
        this.lastError = message;
      }
      if (this.wanted === role)
        await new Promise<void>((r) => {
          this.wake = r;
          this.timer = setTimeout(r, this.retryMs);
        });
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
