/**
 * Leader election against a faithful fake of the Kubernetes Lease API (support/fake-kube-api.ts):
 * who leads, when a standby takes over, when a leader must stop, and what bad answers do.
 * Time: the periods are short and real; lease expiry is judged on an injected monotonic clock,
 * so "not before the lease ran out" is checked by counting attempts, not by timing.
 */
import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { LeaderElector, type ElectorOptions } from '../../../control-plane/leader/elector';
import { LeaseApi } from '../../../control-plane/leader/lease-api';
import { LeaderMetrics } from '../../../control-plane/leader/metrics';
import { captureLogger } from './support/capture-logger';
import { FakeKubeApi } from './support/fake-kube-api';

const NS = 'earmark';
const NAME = 'earmark-control-plane';

describe('leader: election on a Kubernetes Lease', function () {
  this.timeout(20_000);
  let kube: FakeKubeApi;
  const electors: LeaderElector[] = [];
  let clock: { t: number };

  beforeEach(async () => {
    kube = await new FakeKubeApi().start();
    clock = { t: 1_000_000 };
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) e.stop();
    await kube.close();
  });

  const elector = (identity: string, extra: Partial<ElectorOptions> = {}) => {
    const registry = new Registry();
    const log = captureLogger();
    const e = new LeaderElector({
      store: new LeaseApi({ url: kube.url, namespace: NS, name: NAME, timeoutMs: 2000 }),
      identity,
      leaseDurationMs: 3000,
      renewDeadlineMs: 1000,
      retryPeriodMs: 30,
      now: () => clock.t,
      logger: log.logger,
      metrics: new LeaderMetrics(registry),
      ...extra,
    });
    electors.push(e);
    return { e, registry, log };
  };
  const metric = async (r: Registry, text: string) =>
    (await r.metrics()).split('\n').find((l) => l.startsWith(text));

  it('creates the absent Lease and leads; the record is what client-go writes, and passes the API schema', async () => {
    const a = elector('pod-a');
    assert.equal(await a.e.acquire(), true);
    assert.equal(a.e.isLeader, true);
    const l = kube.lease(NS, NAME)!;
    assert.equal(l.spec.holderIdentity, 'pod-a');
    assert.equal(l.spec.leaseDurationSeconds, 3);
    assert.equal(l.spec.leaseTransitions, 0);
    assert.match(String(l.spec.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(kube.calls[1].method, 'POST', 'GET (404), then create');
    assert.equal(await metric(a.registry, 'earmark_leader '), 'earmark_leader 1');
    // It renews: the stored resourceVersion moves while it leads, with the acquire time kept.
    const rv = l.resourceVersion;
    await kube.afterCalls(4);
    const later = kube.lease(NS, NAME)!;
    assert.notEqual(later.resourceVersion, rv);
    assert.equal(later.spec.acquireTime, l.spec.acquireTime);
    assert.equal(later.spec.holderIdentity, 'pod-a');
  });

  it('a second replica stands by while the leader renews, and takes over at once when it releases', async () => {
    const a = elector('pod-a');
    await a.e.acquire();
    const b = elector('pod-b');
    const bLeads = b.e.acquire();
    await kube.afterCalls(12); // several rounds of both
    assert.equal(b.e.isLeader, false);
    assert.equal(b.e.holder, 'pod-a', 'the standby knows who leads');
    await a.e.release();
    assert.equal(a.e.isLeader, false);
    assert.equal(await a.e.lost, 'stopped');
    assert.equal(await bLeads, true);
    const l = kube.lease(NS, NAME)!;
    assert.equal(l.spec.holderIdentity, 'pod-b');
    assert.equal(l.spec.leaseTransitions, 1, 'a change of holder counts a transition');
    assert.ok(a.log.lines.some((x) => x.includes('lease released')));
  });

  it('takes a dead holder’s lease only after leaseDurationSeconds on its own clock, whatever renewTime says', async () => {
    // A holder that renewed "in the future" by the wall clock (skew) and then died.
    kube.put(NS, NAME, {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 3,
      acquireTime: '2999-01-01T00:00:00.000000Z',
      renewTime: '2999-01-01T00:00:00.000000Z',
      leaseTransitions: 4,
    });
    const b = elector('pod-b');
    const leads = b.e.acquire();
    await kube.afterCalls(10);
    clock.t += 2999; // not yet a whole lease duration since it saw the record
    await kube.afterCalls(5);
    assert.equal(b.e.isLeader, false);
    clock.t += 2;
    assert.equal(await leads, true);
    assert.equal(kube.lease(NS, NAME)!.spec.leaseTransitions, 5);
  });

  it('two candidates started together: exactly one leads (the API’s resourceVersion decides)', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    const first = await Promise.race([a.e.acquire().then(() => 'a'), b.e.acquire().then(() => 'b')]);
    await kube.afterCalls(12);
    assert.equal(a.e.isLeader, first === 'a');
    assert.equal(b.e.isLeader, first === 'b');
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, `pod-${first}`);
  });

  it('a leader that cannot renew within the renew deadline has lost, says why, and counts it', async () => {
    const a = elector('pod-a');
    await a.e.acquire();
    kube.broken = { status: 503, body: 'upstream connect error' };
    const why = await a.e.lost;
    assert.match(why, /not renewed for 1000 ms \(GET .*: 503: upstream connect error\)/);
    assert.equal(a.e.isLeader, false);
    assert.equal(await metric(a.registry, 'earmark_leader '), 'earmark_leader 0');
    assert.equal(await metric(a.registry, 'earmark_leader_losses_total '), 'earmark_leader_losses_total 1');
    assert.ok(
      a.log.lines.some((l) => l.startsWith('error leadership lost') || l.includes('leadership lost')),
    );
  });

  it('a leader that finds the lease held by another has lost at once', async () => {
    const a = elector('pod-a');
    await a.e.acquire();
    kube.put(NS, NAME, { holderIdentity: 'pod-x', leaseDurationSeconds: 3, leaseTransitions: 9 });
    assert.equal(await a.e.lost, 'the lease is now held by pod-x');
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, 'pod-x', 'it did not take it back');
  });

  it('bad answers (not JSON, not a Lease, wrong types) are clear errors, counted, retried; the lease is taken once the API recovers', async () => {
    const a = elector('pod-a');
    kube.failNext(3, 200, '<html>proxy login</html>');
    kube.failNext(3, 200, '{"kind":"ConfigMap","metadata":{"resourceVersion":"1"}}');
    kube.failNext(
      3,
      200,
      '{"kind":"Lease","metadata":{"resourceVersion":"1"},"spec":{"leaseTransitions":"many"}}',
    );
    assert.equal(await a.e.acquire(), true);
    const said = a.log.lines.filter((l) => l.startsWith('warn'));
    assert.ok(
      said.some((l) => l.includes('is not JSON: <html>proxy login')),
      said.join('\n'),
    );
    assert.ok(
      said.some((l) => l.includes('the answer is a ConfigMap, not a Lease')),
      said.join('\n'),
    );
    assert.ok(
      said.some((l) => l.includes('spec.leaseTransitions has the wrong type')),
      said.join('\n'),
    );
    assert.equal(said.length, 3, 'each distinct error said once, not once per attempt');
    assert.match((await metric(a.registry, 'earmark_leader_lease_errors_total{kind="malformed"}'))!, / 9$/);
  });

  it('an unreachable API server: a standby keeps trying and says so once', async () => {
    const a = elector('pod-a', {
      store: new LeaseApi({ url: 'http://127.0.0.1:1', namespace: NS, name: NAME, timeoutMs: 500 }),
    });
    const leads = a.e.acquire();
    const registryLine = async () =>
      metric(a.registry, 'earmark_leader_lease_errors_total{kind="unreachable"}');
    const count = async () => Number((await registryLine())?.split(' ').pop() ?? 0);
    while ((await count()) < 5) await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.log.lines.filter((l) => l.includes('ECONNREFUSED')).length, 1);
    a.e.stop();
    assert.equal(await leads, false);
  });

  it('sends the bearer token; a refused token is counted as forbidden', async () => {
    kube.token = 'sa-token';
    const ok = elector('pod-a', {
      store: new LeaseApi({ url: kube.url, namespace: NS, name: NAME, token: () => 'sa-token' }),
    });
    assert.equal(await ok.e.acquire(), true);
    assert.equal(kube.calls[0].authorization, 'Bearer sa-token');
    const bad = elector('pod-b', {
      store: new LeaseApi({ url: kube.url, namespace: NS, name: NAME, token: () => 'stale' }),
    });
    void bad.e.acquire();
    await kube.afterCalls(3);
    assert.match(
      (await metric(bad.registry, 'earmark_leader_lease_errors_total{kind="forbidden"}'))!,
      / [1-9]\d*$/,
    );
    assert.ok(bad.log.lines.some((l) => l.includes('401 Unauthorized')));
  });

  it('refuses periods that would let two replicas lead at once, judged on the whole seconds written', () => {
    assert.throws(
      () => elector('pod-a', { renewDeadlineMs: 3000 }),
      /retry period < renew deadline < lease duration \(got 30 \/ 3000 \/ 3000 ms\)/,
    );
    // 1.4 s is written as 1 s: a 1.3 s deadline would outlast what the others read.
    assert.throws(
      () => elector('pod-a', { leaseDurationMs: 1400, renewDeadlineMs: 1300 }),
      /\(got 30 \/ 1300 \/ 1000 ms\)/,
    );
    const d = elector('pod-a', {
      leaseDurationMs: 1400,
      renewDeadlineMs: undefined,
      retryPeriodMs: undefined,
    }).e;
    assert.deepEqual([d.leaseSeconds, d.renewDeadlineMs, d.retryPeriodMs], [1, 667, 133]);
    assert.throws(() => elector(''), /needs an identity/);
  });

  it('the fence (mayAct) closes when the renew deadline passes, before any timer runs', async () => {
    const a = elector('pod-a');
    await a.e.acquire();
    kube.broken = { status: 503, body: 'down' }; // renewals fail from now on
    assert.equal(a.e.mayAct(), true);
    clock.t += 999; // as if the event loop had been blocked this long since the renewal began
    assert.equal(a.e.mayAct(), true);
    clock.t += 1;
    assert.equal(a.e.mayAct(), false, 'synchronously, with the deadline timer not yet run');
    assert.equal(a.e.isLeader, true);
  });

  it('a renewal that hangs past the deadline is aborted by the elector, not by a client timeout', async () => {
    const a = elector('pod-a', {
      now: () => performance.now(),
      // A client timeout far beyond the test: only the elector's abort can end the hung call.
      store: new LeaseApi({ url: kube.url, namespace: NS, name: NAME, timeoutMs: 600_000 }),
    });
    await a.e.acquire();
    kube.hangNext(1, (c) => c.method === 'PUT');
    assert.match(await a.e.lost, /^not renewed for 1000 ms/);
    const end = Date.now() + 10_000;
    while (kube.abortedCalls < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(kube.abortedCalls, 1, 'the hung PUT was closed by the client');
    assert.ok(!a.log.lines.some((l) => l.includes('aborted')), 'an abort of its own is not an API error');
    assert.equal(
      kube.lease(NS, NAME)!.spec.holderIdentity,
      'pod-a',
      'others must wait for it, unless given back',
    );
    await a.e.release();
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, '', 'given back: a standby takes over at once');
  });

  it('a renewal that commits after the deadline is given back by release()', async () => {
    const api = new LeaseApi({ url: kube.url, namespace: NS, name: NAME });
    let hold: Promise<void> | undefined = undefined;
    const a = elector('pod-a', {
      now: () => performance.now(),
      store: {
        lease: api.lease,
        get: (sig) => api.get(sig),
        create: (r, sig) => api.create(r, sig),
        // The API server commits the renewal, but only answers after the deadline.
        replace: async (read, r) => {
          const done = await api.replace(read, r);
          if (hold) await hold;
          return done;
        },
      },
    });
    await a.e.acquire();
    let open!: () => void;
    hold = new Promise<void>((r) => (open = r));
    assert.match(await a.e.lost, /^not renewed/);
    open();
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, 'pod-a', 'the late renewal landed');
    await a.e.release();
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, '');
  });

  it('the deadline counts from the start of the renewal, not from its answer', async () => {
    const api = new LeaseApi({ url: kube.url, namespace: NS, name: NAME });
    let slow = false;
    let began = 0;
    let renewed!: () => void;
    const renewal = new Promise<void>((r) => (renewed = r));
    const a = elector('pod-a', {
      renewDeadlineMs: 2500,
      store: {
        lease: api.lease,
        get: (sig) => {
          if (slow) began = clock.t;
          return api.get(sig);
        },
        create: (r, sig) => api.create(r, sig),
        replace: async (read, r, sig) => {
          const out = await api.replace(read, r, sig);
          if (slow) {
            // This renewal's answer took 600 ms; no renewal succeeds after it.
            slow = false;
            clock.t += 600;
            kube.broken = { status: 503, body: 'down' };
            renewed();
          }
          return out;
        },
      },
    });
    await a.e.acquire();
    slow = true;
    await renewal;
    await new Promise((r) => setImmediate(r)); // the elector has recorded the renewal
    clock.t = began + 2499;
    assert.equal(a.e.mayAct(), true);
    clock.t = began + 2500;
    assert.equal(a.e.mayAct(), false, 'counted from the answer it would allow 600 ms more');
  });

  it('stop() while a write of its own is in flight: the write lands, acquire says false and gives the lease back', async () => {
    const api = new LeaseApi({ url: kube.url, namespace: NS, name: NAME });
    let started!: () => void;
    const createStarted = new Promise<void>((r) => (started = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const a = elector('pod-a', {
      store: {
        lease: api.lease,
        get: (sig) => api.get(sig),
        create: async (r) => {
          started();
          await gate;
          return api.create(r); // not aborted: the API server commits it whatever the client does
        },
        replace: (read, r, sig) => api.replace(read, r, sig),
      },
    });
    const leads = a.e.acquire();
    await createStarted;
    const released = a.e.release();
    open();
    assert.equal(await leads, false);
    await released;
    assert.equal(a.e.isLeader, false);
    assert.equal(
      kube.lease(NS, NAME)!.spec.holderIdentity,
      '',
      'the lease it won while stopping is given back',
    );
    assert.ok(!a.log.lines.some((l) => l.includes('this replica leads')));
  });

  it('a release that races a renewal (409) reads again and still releases', async () => {
    const a = elector('pod-a');
    await a.e.acquire();
    kube.failNext(
      1,
      409,
      '{"kind":"Status","reason":"Conflict","message":"the object has been modified"}',
      (c) => c.method === 'PUT',
    );
    await a.e.release();
    assert.equal(kube.lease(NS, NAME)!.spec.holderIdentity, '');
  });

  it("keeps others' metadata on the Lease (labels, annotations) when it renews", async () => {
    const annotations = { 'example.com/owner': 'ops' };
    kube.put(NS, NAME, { holderIdentity: '', leaseDurationSeconds: 1 }, { annotations });
    const a = elector('pod-a');
    await a.e.acquire();
    await kube.afterCalls(4);
    assert.deepEqual(kube.leaseMetadata(NS, NAME)!.annotations, annotations);
  });
});
