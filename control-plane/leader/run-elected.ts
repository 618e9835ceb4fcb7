/**
 * `earmark serve` with leaderElection=kubernetes: stand by until this replica holds the lease,
 * then run the control plane; stop it the moment the lease is lost.
 *
 *   standby ──(lease acquired)──▶ leading: startControlPlane ──(stop signal)──▶ stop, release lease, exit 0
 *      │                                     └──(lease lost)──▶ stop at once, exit 1 (the pod restarts as a standby)
 *      └──(stop signal)──▶ exit 0
 *
 * Only the leader runs cycles, writes plans to InfluxDB and serves proxies, so two replicas never
 * publish competing plans: the service checks the elector's fence (mayAct) synchronously before
 * every publish and plan record, so an old leader cannot act past its renew deadline even if its
 * event loop was blocked or its stop is slow. In a pod (POD_NAME set) the replica keeps its
 * `earmark.io/role` label in step (pod-role.ts), which is how the Service reaches the leader only.
 * A new leader starts like a restarted control plane: it publishes the last plan stored in
 * InfluxDB before its first cycle, and the proxies, whose streams to the old leader ended,
 * reconnect through the Service and resync once (control-plane/service/README.md).
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../api/logger';
import { startMetricsServer } from '../telemetry/metrics-endpoint';
import { LeaderElector, type LeaseStore } from './elector';
import { leaseApiFor, type ElectionSettings } from './in-cluster';
import { LeaderMetrics } from './metrics';
import { PodRoleLabel } from './pod-role';
import { startStandbyServer, type StandbyStatus } from './standby-server';

export interface ElectedService {
  stop(): Promise<void>;
}

/** What the service gets from the election. */
export interface LeaderHooks {
  /** Whether this replica may act now (checked before every publish and plan record). */
  fence: () => boolean;
  /** Call once the service's ports listen: the pod is then labeled leader (Service traffic). */
  listening: () => void;
}

export interface RunElectedOptions<S extends ElectedService> {
  settings: ElectionSettings & { apiHost: string; apiPort: number; metricsPort: number };
  logger: Logger;
  registry: Registry;
  /** Resolves with the reason when the process is asked to stop (StopRequest.wait()). */
  stopRequested: Promise<string>;
  /** Starts the control plane (on `registry`) once this replica leads. */
  start: (hooks: LeaderHooks) => Promise<S>;
  onLeading?: (svc: S) => void;
  env?: NodeJS.ProcessEnv;
  /** Tests: a store in place of the Kubernetes API, and shorter periods. */
  store?: LeaseStore;
  identity?: string;
  periods?: { renewDeadlineMs: number; retryPeriodMs: number };
  /** Tests: the pod label keeper (default: one for POD_NAME when set, else none). */
  labeler?: PodRoleLabel;
  /**
   * What a standby checks every retry period besides the Lease, so that it is ready only if it
   * could take over (serve: InfluxDB answers /ping). Resolves with the problem, or undefined.
   */
  preflight?: () => Promise<string | undefined>;
}

export interface ElectedOutcome {
  /** 0 after a requested stop; 1 after the lease was lost (the service was stopped first). */
  code: number;
  why: string;
  led: boolean;
}

/** Resolves with `p`'s outcome, or with 'late' after `ms` (the caller exits anyway). */
const bounded = (p: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([p, new Promise((r) => setTimeout(() => r('late'), ms).unref())]);

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
          elector.retryPeriodMs,
          o.logger,
        )
      : undefined);
  o.logger.info('leader election: standing by until this replica holds the lease', {
    lease: store.lease,
    identity,
  });
  void labeler?.set('standby');
  const check = o.preflight;
  let preflightProblem: string | undefined = check ? 'not checked yet' : undefined;
  let preflightTimer: NodeJS.Timeout | undefined;
  let standingBy = true;
  const preflight = async (): Promise<void> => {
    if (!check || !standingBy) return;
    preflightProblem = await check().catch((e: Error) => e.message);
    if (!standingBy) return; // a check in flight when the standby ended schedules no next one
    preflightTimer = setTimeout(() => void preflight(), elector.retryPeriodMs);
    preflightTimer.unref();
  };
  void preflight();
  const status = (): StandbyStatus => {
    const leader = elector.holder;
    if (!(elector.contactAgeMs() <= elector.leaseSeconds * 1000)) {
      const why = elector.lastErrorMessage || 'no answer yet';
      return { leader, ready: false, detail: `cannot read the Lease ${store.lease}: ${why}` };
    }
    if (labeler && labeler.confirmed !== 'standby')
      return { leader, ready: false, detail: 'not labeled earmark.io/role=standby yet' };
    if (preflightProblem) return { leader, ready: false, detail: `could not take over: ${preflightProblem}` };
    const who = leader ? `the leader is ${leader}` : 'no leader is known yet';
    return { leader, ready: true, detail: `standby replica, ready to take over; ${who}` };
  };
  const standby = await startStandbyServer(s.apiHost, s.apiPort, status);
  let standbyMetrics;
  try {
    standbyMetrics =
      s.metricsPort > 0 ? await startMetricsServer(o.registry, s.apiHost, s.metricsPort) : undefined;
  } catch (err) {
    labeler?.stop();
    standingBy = false;
    clearTimeout(preflightTimer);
    await standby.close();
    throw err;
  }
  const closeStandby = async () => {
    standingBy = false;
    clearTimeout(preflightTimer);
    // Probes and stray clients must not hold the port the control plane is about to take.
    standby.server.closeAllConnections();
    await standby.close();
    await standbyMetrics?.close();
  };

  const first = await Promise.race([
    elector.acquire().then((led) => ({ led, why: '' })),
    o.stopRequested.then((why) => ({ led: false, why })),
  ]);
  if (!first.led) {
    // Gives the Lease back if a write of ours landed while the stop was asked for.
    await bounded(elector.release(), elector.renewDeadlineMs);
    labeler?.stop();
    await closeStandby();
    return { code: 0, why: first.why || 'stopped', led: false };
  }
  await closeStandby();
  const previous = elector.previousHolder;
  let previousPod: PodRoleLabel | undefined;
  if (fromSettings?.pod && identity === fromSettings.pod && previous && previous !== identity) {
    // The pod we took over from may be on a dead node and still Ready: take it out of the Service
    // (identities are pod names here). Retried for one lease duration, then left to the node
    // controller.
    previousPod = new PodRoleLabel(
      fromSettings.client,
      fromSettings.namespace,
      previous,
      elector.retryPeriodMs,
      o.logger,
    );
    const p = previousPod;
    void bounded(p.set('standby'), elector.leaseSeconds * 1000).then(() => p.stop());
  }
  let svc: S;
  try {
    svc = await o.start({ fence: () => elector.mayAct(), listening: () => void labeler?.set('leader') });
  } catch (err) {
    // It may have labeled itself leader already (once its ports listened): out of the Service first.
    if (labeler) await bounded(labeler.set('standby'), 1000);
    await bounded(elector.release(), elector.renewDeadlineMs);
    labeler?.stop();
    previousPod?.stop();
    throw err;
  }
  o.onLeading?.(svc);
  void labeler?.set('leader'); // in case the service never said it listens
  const end = await Promise.race([
    o.stopRequested.then((why) => ({ lost: false, why })),
    elector.lost.then((why) => ({ lost: true, why })),
  ]);
  const stopBoundMs = elector.leaseSeconds * 1000;
  if (end.lost) {
    // The fence already keeps the service from publishing; stop it, bounded (the caller exits 1
    // whatever happens), and give back a renewal that landed after the deadline, if any.
    void labeler?.set('standby');
    const stopped = svc
      .stop()
      .catch((e: Error) => o.logger.error('stopping the service failed', { error: e.message }));
    if ((await bounded(stopped, stopBoundMs)) === 'late')
      o.logger.warn('leader election: the service did not stop in time; exiting anyway', { ms: stopBoundMs });
    await bounded(elector.release(), elector.renewDeadlineMs);
    labeler?.stop();
    previousPod?.stop();
    return { code: 1, why: `leadership lost: ${end.why}`, led: true };
  }
  // Out of the Service first (bounded: stopping must not hang on the API server), then stop,
  // then release: the next leader starts only after this one stopped publishing.
  if (labeler) await bounded(labeler.set('standby'), 1000);
  await svc.stop();
  await elector.release();
  labeler?.stop();
  previousPod?.stop();
  return { code: 0, why: end.why, led: true };
}
