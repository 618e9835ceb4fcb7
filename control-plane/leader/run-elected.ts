/**
 * `earmark serve` with leaderElection=kubernetes: stand by until this replica holds the lease,
 * then run the control plane; stop it the moment the lease is lost.
 *
 *   standby ──(lease acquired)──▶ leading: startControlPlane ──(stop signal)──▶ stop, release lease, exit 0
 *      │                                     └──(lease lost)──▶ stop at once, exit 1 (the pod restarts as a standby)
 *      └──(stop signal)──▶ exit 0
 *
 * Only the leader runs cycles, writes to InfluxDB and serves proxies, so two replicas never publish
 * competing plans. In a pod (POD_NAME set) the replica keeps its `earmark.io/role` label in step
 * (pod-role.ts), which is how the Service reaches the leader only. A new leader starts like a restarted control plane: it publishes the last plan
 * stored in InfluxDB before its first cycle, and the proxies, whose streams to the old leader
 * ended, reconnect through the Service and resync once (control-plane/service/README.md).
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../api/logger';
import { startMetricsServer } from '../telemetry/metrics-endpoint';
import { LeaderElector, type LeaseStore } from './elector';
import { leaseApiFor, type ElectionSettings } from './in-cluster';
import { LeaderMetrics } from './metrics';
import { PodRoleLabel } from './pod-role';
import { startStandbyServer } from './standby-server';

export interface ElectedService {
  stop(): Promise<void>;
}

export interface RunElectedOptions<S extends ElectedService> {
  settings: ElectionSettings & { apiHost: string; apiPort: number; metricsPort: number };
  logger: Logger;
  registry: Registry;
  /** Resolves with the reason when the process is asked to stop (StopRequest.wait()). */
  stopRequested: Promise<string>;
  /** Starts the control plane (on `registry`) once this replica leads. */
  start: () => Promise<S>;
  onLeading?: (svc: S) => void;
  env?: NodeJS.ProcessEnv;
  /** Tests: a store in place of the Kubernetes API, and shorter periods. */
  store?: LeaseStore;
  identity?: string;
  periods?: { renewDeadlineMs: number; retryPeriodMs: number };
  /** Tests: the pod label keeper (default: one for POD_NAME when set, else none). */
  labeler?: PodRoleLabel;
}

export interface ElectedOutcome {
  /** 0 after a requested stop; 1 after the lease was lost (the service was stopped first). */
  code: number;
  why: string;
  led: boolean;
}

export async function runElected<S extends ElectedService>(o: RunElectedOptions<S>): Promise<ElectedOutcome> {
  const s = o.settings;
  const fromSettings = o.store ? undefined : leaseApiFor(s, o.env);
  const store = o.store ?? fromSettings!.api;
  const identity = o.identity ?? fromSettings!.identity;
  const elector = new LeaderElector({
    store,
    identity,
    leaseDurationMs: s.leaseDurationMs,
    ...o.periods,
    logger: o.logger,
    metrics: new LeaderMetrics(o.registry),
  });
  const labeler =
    o.labeler ??
    (fromSettings?.pod
      ? new PodRoleLabel(
          fromSettings.client,
          fromSettings.namespace,
          fromSettings.pod,
          o.periods?.retryPeriodMs ?? Math.round((s.leaseDurationMs * 2) / 15),
          o.logger,
        )
      : undefined);
  /** Labels the pod standby, waiting at most a second: stopping must not hang on the API server. */
  const standbyLabel = () =>
    labeler
      ? Promise.race([labeler.set('standby'), new Promise((r) => setTimeout(r, 1000).unref())])
      : undefined;
  o.logger.info('leader election: standing by until this replica holds the lease', {
    lease: store.lease,
    identity,
  });
  void labeler?.set('standby');
  const standby = await startStandbyServer(s.apiHost, s.apiPort, () => elector.holder);
  let standbyMetrics;
  try {
    standbyMetrics =
      s.metricsPort > 0 ? await startMetricsServer(o.registry, s.apiHost, s.metricsPort) : undefined;
  } catch (err) {
    await standby.close();
    throw err;
  }
  const closeStandby = async () => {
    await standby.close();
    await standbyMetrics?.close();
  };

  const first = await Promise.race([
    elector.acquire().then((led) => ({ led, why: '' })),
    o.stopRequested.then((why) => ({ led: false, why })),
  ]);
  if (!first.led) {
    elector.stop();
    labeler?.stop();
    await closeStandby();
    return { code: 0, why: first.why || 'stopped', led: false };
  }
  await closeStandby();
  let svc: S;
  try {
    svc = await o.start();
  } catch (err) {
    await elector.release();
    throw err;
  }
  o.onLeading?.(svc);
  // Only now that its API and gRPC ports listen does the Service route to it.
  void labeler?.set('leader');
  const end = await Promise.race([
    o.stopRequested.then((why) => ({ lost: false, why })),
    elector.lost.then((why) => ({ lost: true, why })),
  ]);
  if (end.lost) {
    // Stop acting before another replica's lease can start: the cycle first (svc.stop's order).
    void standbyLabel();
    await svc.stop();
    labeler?.stop();
    return { code: 1, why: `leadership lost: ${end.why}`, led: true };
  }
  await standbyLabel();
  await svc.stop();
  labeler?.stop();
  await elector.release();
  return { code: 0, why: end.why, led: true };
}
