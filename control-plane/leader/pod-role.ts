/**
 * The pod's `earmark.io/role` label: `leader` or `standby`. The control plane's Service selects
 * `earmark.io/role: leader`, so API clients, instances and proxies reach the leader only, while
 * every replica stays Ready (a standby that reported unready would stall every rolling update:
 * the Deployment waits for new pods to become available, and a standby never would). Patroni routes
 * to its primary the same way. A replica labels itself standby when it starts (a restarted former
 * leader stops receiving traffic), leader once its control plane listens, standby again before it
 * stops.
 */
import type { Logger } from '../api/logger';
import { isObject, KubeApiError, type KubeClient } from './kube-client';

export const ROLE_LABEL = 'earmark.io/role';
export type Role = 'leader' | 'standby';

export class PodRoleLabel {
  private wanted: Role | undefined;
  private serial = 0;
  private stopped = false;
  private lastError = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly retryMs: number,
    private readonly logger?: Logger,
  ) {}

  get role(): Role | undefined {
    return this.wanted;
  }

  /**
   * Labels the pod, retrying every retryMs until the API server has it or another role is asked
   * for. Resolves true once labeled, false when superseded or stopped. Never rejects: a replica
   * that cannot label itself still leads (the Lease decides); it is only unreachable until it can.
   */
  async set(role: Role): Promise<boolean> {
    this.wanted = role;
    const serial = ++this.serial;
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(this.pod)}`;
    while (!this.stopped && serial === this.serial) {
      try {
        const pod = await this.client.call(
          'PATCH',
          path,
          { metadata: { labels: { [ROLE_LABEL]: role } } },
          'application/merge-patch+json',
        );
        const labels = isObject(pod) && isObject(pod.metadata) ? pod.metadata.labels : undefined;
        if (!isObject(labels) || labels[ROLE_LABEL] !== role)
          throw new KubeApiError(`PATCH ${path}: the answer is not the pod with ${ROLE_LABEL}=${role}`, 200);
        this.lastError = '';
        this.logger?.info('leader election: pod labeled', { pod: this.pod, [ROLE_LABEL]: role });
        return true;
      } catch (err) {
        const message = (err as Error).message;
        if (message !== this.lastError)
          this.logger?.warn('leader election: could not label the pod (retrying)', {
            pod: this.pod,
            role,
            error: message,
          });
        this.lastError = message;
      }
      await new Promise<void>((r) => (this.timer = setTimeout(r, this.retryMs)));
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
