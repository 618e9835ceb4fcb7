/**
 * runElected, which starts the service only while this replica leads and stops it when it does
 * not (a fake service here; failover.test.ts runs two real `earmark serve`), with the pod role
 * label kept in step.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { KubeClient } from '../../../control-plane/leader/kube-client';
import { PodRoleLabel, ROLE_LABEL } from '../../../control-plane/leader/pod-role';
import { runElected, type LeaderHooks } from '../../../control-plane/leader/run-elected';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { captureLogger } from './support/capture-logger';
import { FakeKubeApi } from './support/fake-kube-api';
import { electionSettings as base } from './support/settings';

describe('leader: runElected — the service only while this replica leads', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-sa-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  let kube: FakeKubeApi;
  /** Settings of a replica on the fake API (identity: POD_NAME or generated when undefined). */
  const elected = (identity?: string, apiPort = 0) => ({
    ...base(dir, { kubernetesApiUrl: kube.url, leaseNamespace: 'earmark', leaseIdentity: identity ?? '' }),
    leaseDurationMs: 4000,
    apiHost: '127.0.0.1',
    apiPort,
    metricsPort: 0,
  });
  /** Deadlines long enough that a CPU stall of this loaded 2-core box does not lose the lease. */
  const PERIODS = { renewDeadlineMs: 2500, retryPeriodMs: 30 };
  /** Polls `pred` while the fake answers calls; fails (instead of hanging) after 15 s. */
  const until = async (pred: () => boolean, what: string) => {
    const end = Date.now() + 15_000;
    while (!pred()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await Promise.race([kube.afterCalls(1), new Promise((r) => setTimeout(r, 50))]);
    }
  };
  beforeEach(async () => (kube = await new FakeKubeApi().start()));
  afterEach(() => kube.close());

  const run = async (identity: string, stop: Promise<string>, events: string[], port = 0) => {
    const log = captureLogger();
    const registry = new Registry();
    const out = runElected({
      settings: elected(identity, port),
      logger: log.logger,
      registry,
      stopRequested: stop,
      periods: PERIODS,
      env: {},
      start: async () => {
        events.push(`${identity} started`);
        return { stop: async () => void events.push(`${identity} stopped`) };
      },
      onLeading: () => events.push(`${identity} leading`),
    });
    return { out, log, registry };
  };

  it('starts the service only once it leads; a stop request stops it, then releases the lease', async () => {
    const events: string[] = [];
    let stopA!: (why: string) => void;
    const a = await run('pod-a', new Promise((r) => (stopA = r)), events);
    await until(() => events.includes('pod-a leading'), 'pod-a leading');
    let stopB!: (why: string) => void;
    const b = await run('pod-b', new Promise((r) => (stopB = r)), events);
    await kube.afterCalls(10);
    assert.deepEqual(events, ['pod-a started', 'pod-a leading'], 'the standby started nothing');
    stopA('SIGTERM');
    assert.deepEqual(await a.out, { code: 0, why: 'SIGTERM', led: true });
    assert.deepEqual(events.slice(0, 3), ['pod-a started', 'pod-a leading', 'pod-a stopped']);
    await until(() => events.includes('pod-b leading'), 'pod-b leading');
    assert.equal(kube.lease('earmark', 'earmark-control-plane')!.spec.holderIdentity, 'pod-b');
    stopB('SIGINT');
    assert.deepEqual(await b.out, { code: 0, why: 'SIGINT', led: true });
  });

  it('a stop request while standing by exits 0 having started nothing', async () => {
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-x', leaseDurationSeconds: 600 });
    const events: string[] = [];
    let stop!: (why: string) => void;
    const port = await freePort();
    const r = await run('pod-a', new Promise((res) => (stop = res)), events, port);
    await kube.afterCalls(3);
    assert.equal(
      (await fetch(`http://127.0.0.1:${port}/v1/plan`)).status,
      503,
      'the standby listener answers',
    );
    stop('SIGTERM');
    assert.deepEqual(await r.out, { code: 0, why: 'SIGTERM', led: false });
    assert.deepEqual(events, []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'its listener is closed');
  });

  it("keeps the pod's earmark.io/role label in step: standby, leader once serving, standby before stopping", async () => {
    kube.addPod('earmark', 'pod-a', { 'app.kubernetes.io/name': 'earmark-control-plane' });
    const events: string[] = [];
    let stop!: (why: string) => void;
    const log = captureLogger();
    const labels = () => kube.podLabels('earmark', 'pod-a')!;
    const client = new KubeClient({ url: kube.url });
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-x', leaseDurationSeconds: 600 });
    kube.failNext(1, 500, undefined, (c) => c.method === 'PATCH'); // the first label attempt fails: retried
    const out = runElected({
      settings: elected('pod-a'),
      env: {},
      logger: log.logger,
      registry: new Registry(),
      stopRequested: new Promise((r) => (stop = r)),
      periods: PERIODS,
      labeler: new PodRoleLabel(client, 'earmark', 'pod-a', 30, log.logger),
      start: async () => {
        events.push(`started as ${labels()[ROLE_LABEL]}`);
        return { stop: async () => void events.push(`stopped as ${labels()[ROLE_LABEL]}`) };
      },
    });
    await until(() => labels()[ROLE_LABEL] === 'standby', 'label standby');
    assert.ok(log.lines.some((l) => l.includes('could not label the pod (retrying)')));
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: '', leaseDurationSeconds: 1 }); // released
    await until(() => labels()[ROLE_LABEL] === 'leader', 'label leader');
    assert.deepEqual(events, ['started as standby'], 'labeled leader only once it serves');
    assert.equal(labels()['app.kubernetes.io/name'], 'earmark-control-plane', 'other labels kept');
    stop('SIGTERM');
    assert.equal((await out).code, 0);
    assert.deepEqual(events, ['started as standby', 'stopped as standby'], 'standby before it stops serving');
  });

  it('pod label patches go one at a time: a role asked for while another is in flight is patched after it', async () => {
    kube.addPod('earmark', 'pod-a');
    kube.patchDelayMs = 60;
    const l = new PodRoleLabel(new KubeClient({ url: kube.url }), 'earmark', 'pod-a', 30);
    const first = l.set('standby');
    await until(() => kube.calls.some((c) => c.method === 'PATCH'), 'the first patch sent');
    const second = l.set('leader'); // while the standby patch is in flight
    assert.deepEqual(await Promise.all([first, second]), [false, true]);
    const patched = kube.calls
      .filter((c) => c.method === 'PATCH')
      .map((c) => (c.body!.metadata.labels as Record<string, string>)[ROLE_LABEL]);
    assert.deepEqual(patched, ['standby', 'leader'], 'in the order asked');
    assert.equal(kube.maxConcurrentPatches, 1, 'never two at once');
    assert.equal(kube.podLabels('earmark', 'pod-a')![ROLE_LABEL], 'leader');
    assert.equal(
      kube.podAnnotations('earmark', 'pod-a')!['controller.kubernetes.io/pod-deletion-cost'],
      '1000',
    );
    assert.equal(await l.set('standby'), true);
    assert.equal(kube.podAnnotations('earmark', 'pod-a')!['controller.kubernetes.io/pod-deletion-cost'], '0');
    l.stop();
  });

  /** pod-a standing by (pod-x holds the lease) on a fixed port: its /readyz and how to stop it. */
  const standingBy = async (preflight?: () => Promise<string | undefined>) => {
    const port = await freePort();
    let stop!: (why: string) => void;
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-x', leaseDurationSeconds: 600 });
    const out = runElected({
      settings: elected('pod-a', port),
      env: {},
      logger: captureLogger().logger,
      registry: new Registry(),
      stopRequested: new Promise((r) => (stop = r)),
      periods: PERIODS,
      preflight,
      start: async () => ({ stop: async () => undefined }),
    });
    await until(() => kube.calls.length > 2, 'a few reads of the Lease');
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, text: JSON.stringify(await r.json()) };
    };
    const becomesReady = async () => {
      let status = 0;
      await until(() => {
        void readyz().then((r) => (status = r.status));
        return status === 200;
      }, 'ready');
    };
    const end = async () => {
      stop('SIGTERM');
      assert.equal((await out).led, false);
    };
    return { readyz, becomesReady, end };
  };

  it('a standby is unready while it cannot read the Lease (e.g. forbidden), ready once it can', async () => {
    kube.token = 'right';
    fs.writeFileSync(path.join(dir, 'token'), 'wrong');
    const sb = await standingBy();
    const refused = await sb.readyz();
    assert.equal(refused.status, 503);
    assert.match(refused.text, /cannot read the Lease earmark\/earmark-control-plane: .*401 Unauthorized/);
    kube.token = undefined; // the RBAC is fixed
    await sb.becomesReady();
    await sb.end();
  });

  it('a standby is unready while its preflight fails (serve: InfluxDB does not answer), ready once it passes', async () => {
    let problem: string | undefined = 'InfluxDB at http://influx:8086 does not answer (ENOTFOUND)';
    const sb = await standingBy(async () => problem);
    const first = await sb.readyz();
    assert.equal(first.status, 503);
    assert.match(
      first.text,
      /could not take over: InfluxDB at http:\/\/influx:8086 does not answer \(ENOTFOUND\)/,
    );
    problem = undefined;
    await sb.becomesReady();
    await sb.end();
  });

  /** pod-a, run until it loses the lease (no stop request). */
  const leadUntilLost = (start: (hooks: LeaderHooks) => Promise<{ stop(): Promise<void> }>) => {
    const log = captureLogger();
    const out = runElected({
      settings: elected('pod-a'),
      env: {},
      logger: log.logger,
      registry: new Registry(),
      stopRequested: new Promise(() => undefined),
      periods: PERIODS,
      start,
    });
    return { out, log };
  };

  it('a leader whose renewals fail closes the fence, stops the service and exits 1', async () => {
    const events: string[] = [];
    let fence: () => boolean = () => true;
    const { out } = leadUntilLost(async (hooks) => {
      fence = hooks.fence;
      events.push(`started, may act: ${hooks.fence()}`);
      return { stop: async () => void events.push(`stopped, may act: ${fence()}`) };
    });
    await until(() => events.length > 0, 'the service started');
    kube.broken = { status: 503, body: 'etcdserver: request timed out' };
    const r = await out;
    assert.equal(r.code, 1);
    assert.match(r.why, /^leadership lost: not renewed for 2500 ms \(.*etcdserver: request timed out\)/);
    assert.deepEqual(events, ['started, may act: true', 'stopped, may act: false']);
  });

  it('a lost leader whose service does not stop exits 1 anyway, after the lease duration, and says so', async () => {
    // A service whose stop never ends.
    const { out, log } = leadUntilLost(async () => ({ stop: () => new Promise<void>(() => undefined) }));
    await until(
      () => kube.lease('earmark', 'earmark-control-plane')?.spec.holderIdentity === 'pod-a',
      'leading',
    );
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-b', leaseDurationSeconds: 4 });
    const r = await out;
    assert.equal(r.code, 1);
    assert.ok(log.lines.some((l) => l.includes('the service did not stop in time; exiting anyway')));
  });

  it('a new leader labels the pod it took the lease over from standby (it may sit on a dead node, Ready)', async () => {
    kube.addPod('earmark', 'pod-a', { [ROLE_LABEL]: 'leader' });
    kube.addPod('earmark', 'pod-b', { [ROLE_LABEL]: 'standby' });
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-a', leaseDurationSeconds: 1 });
    let stop!: (why: string) => void;
    const events: string[] = [];
    const out = runElected({
      settings: elected(undefined),
      env: { POD_NAME: 'pod-b' },
      logger: captureLogger().logger,
      registry: new Registry(),
      stopRequested: new Promise((r) => (stop = r)),
      start: async (hooks) => {
        hooks.listening();
        events.push('started');
        return { stop: async () => undefined };
      },
    });
    await until(() => kube.podLabels('earmark', 'pod-b')![ROLE_LABEL] === 'leader', 'pod-b leader');
    await until(() => kube.podLabels('earmark', 'pod-a')![ROLE_LABEL] === 'standby', 'pod-a standby');
    assert.deepEqual(events, ['started']);
    assert.equal(kube.lease('earmark', 'earmark-control-plane')!.spec.holderIdentity, 'pod-b');
    stop('SIGTERM');
    assert.equal((await out).code, 0);
    assert.equal(kube.podLabels('earmark', 'pod-b')![ROLE_LABEL], 'standby');
  });

  it('losing the lease stops the service and exits 1 (the pod restarts as a standby)', async () => {
    const events: string[] = [];
    const r = await run('pod-a', new Promise(() => undefined), events);
    await until(() => events.includes('pod-a leading'), 'pod-a leading');
    kube.put('earmark', 'earmark-control-plane', { holderIdentity: 'pod-b', leaseDurationSeconds: 2 });
    const out = await r.out;
    assert.deepEqual(out, { code: 1, why: 'leadership lost: the lease is now held by pod-b', led: true });
    assert.deepEqual(events, ['pod-a started', 'pod-a leading', 'pod-a stopped']);
    assert.ok(r.log.lines.some((l) => l.startsWith('error leader election: leadership lost')));
    assert.match(await r.registry.metrics(), /earmark_leader_losses_total 1/);
  });
});
