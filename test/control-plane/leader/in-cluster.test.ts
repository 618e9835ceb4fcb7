/**
 * Where the Lease is (settings, the pod's environment, the service account mount), how Lease
 * answers are parsed, what a standby serves, and `earmark serve`'s refusal outside a pod.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../control-plane/cli/main';
import { LeaderConfigError, leaseApiFor } from '../../../control-plane/leader/in-cluster';
import { LeaseApi, parseLease } from '../../../control-plane/leader/lease-api';
import { startStandbyServer, type StandbyStatus } from '../../../control-plane/leader/standby-server';
import { electionSettings as base } from './support/settings';

describe('leader: in-cluster settings, Lease parsing, the standby listener', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-sa-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('in a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, namespace and identity from the pod', () => {
    fs.writeFileSync(path.join(dir, 'namespace'), 'earmark\n');
    const { api, identity, client, pod } = leaseApiFor(base(dir), {
      KUBERNETES_SERVICE_HOST: 'fd00::1',
      KUBERNETES_SERVICE_PORT: '6443',
      POD_NAME: 'earmark-control-plane-7d9-x2',
    });
    assert.equal(identity, 'earmark-control-plane-7d9-x2');
    assert.equal(api.lease, 'earmark/earmark-control-plane');
    assert.equal(pod, 'earmark-control-plane-7d9-x2', 'the pod whose role label it keeps');
    assert.equal((client as unknown as { base: URL }).base.href, 'https://[fd00::1]:6443/');
    // Outside a pod, two processes on one host get different identities.
    const a = leaseApiFor(base(dir, { kubernetesApiUrl: 'http://127.0.0.1:8001' }), {}).identity;
    const b = leaseApiFor(base(dir, { kubernetesApiUrl: 'http://127.0.0.1:8001' }), {}).identity;
    assert.notEqual(a, b);
    assert.ok(a.startsWith(os.hostname()));
  });

  it('says what is missing when not in a pod', () => {
    assert.throws(
      () => leaseApiFor(base(dir), {}),
      (e: Error) => {
        assert.ok(e instanceof LeaderConfigError);
        assert.match(
          e.message,
          /run in a pod \(KUBERNETES_SERVICE_HOST is not set\) or set kubernetesApiUrl/,
        );
        return true;
      },
    );
    assert.throws(
      () => leaseApiFor(base(dir, { kubernetesApiUrl: 'http://127.0.0.1:8001' }), {}),
      /set leaseNamespace or POD_NAMESPACE \(no .*namespace\)/,
    );
  });

  it("over https with the service account's CA and token (a self-signed API server)", async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    fs.writeFileSync(path.join(dir, 'token'), 'projected-token\n');
    const seen: string[] = [];
    const server = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'ca.crt')) },
      (req, res) => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"kind":"Status","reason":"NotFound"}');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const { api } = leaseApiFor(base(dir, { leaseNamespace: 'ops' }), {
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(port),
      });
      assert.equal(await api.get(), undefined, '404: no lease yet');
      assert.deepEqual(seen, [
        'GET /apis/coordination.k8s.io/v1/namespaces/ops/leases/earmark-control-plane Bearer projected-token',
      ]);
      // Without the CA the certificate is refused: the CA is what made the call work.
      const noCa = new LeaseApi({ url: `https://127.0.0.1:${port}`, namespace: 'ops', name: 'x' });
      await assert.rejects(noCa.get(), /self-signed certificate|unable to verify/);
    } finally {
      server.close();
    }
  });

  it('`earmark serve` without a Kubernetes API to elect on: exit 2 with the reason', async () => {
    let err = '';
    const w = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((t: string) => ((err += t), true)) as typeof process.stderr.write;
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      const code = await main([
        'serve',
        '--leader-election=kubernetes',
        `--kubernetes-service-account-dir=${dir}`,
      ]);
      assert.equal(code, 2);
    } finally {
      process.stderr.write = w;
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
    assert.match(
      err,
      /earmark serve: leaderElection=kubernetes needs the Kubernetes API: run in a pod \(KUBERNETES_SERVICE_HOST is not set\) or set kubernetesApiUrl/,
    );
  });

  it('parses Leases strictly', () => {
    assert.deepEqual(parseLease({ kind: 'Lease', metadata: { resourceVersion: '7' } }), {
      resourceVersion: '7',
      metadata: { resourceVersion: '7' },
      record: {
        holderIdentity: '',
        leaseDurationSeconds: 0,
        acquireTime: '',
        renewTime: '',
        leaseTransitions: 0,
      },
    });
    assert.equal(parseLease([]), 'the answer is not a JSON object');
    assert.equal(parseLease({ metadata: {} }), 'the Lease has no metadata.resourceVersion');
    assert.match(
      String(parseLease({ metadata: { resourceVersion: '1' }, spec: { leaseDurationSeconds: -1 } })),
      /spec.leaseDurationSeconds has the wrong type \(-1\)/,
    );
  });

  it('a standby is alive; ready only when it says so (it reads the Lease, its pod is labeled); 503 STANDBY to anything else', async () => {
    let st: StandbyStatus = {
      leader: '',
      ready: false,
      detail: 'cannot read the Lease earmark/x: ECONNREFUSED',
    };
    const s = await startStandbyServer('127.0.0.1', 0, () => st);
    try {
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200, 'alive whatever the Lease API does: the kubelet must not restart it');
      assert.deepEqual(await health.json(), { status: 'ok', role: 'standby', leader: '' });
      const unready = await fetch(`${s.url}/readyz`);
      assert.equal(
        unready.status,
        503,
        'a standby that cannot reach the Lease API must not let a rollout finish',
      );
      assert.match(JSON.stringify(await unready.json()), /ECONNREFUSED/);
      st = {
        leader: 'pod-a',
        ready: true,
        detail: 'standby replica, ready to take over; the leader is pod-a',
      };
      // Ready: a standby that never were would stall the Deployment's rolling updates; the Service
      // reaches the leader by its earmark.io/role label instead.
      const ready = await fetch(`${s.url}/readyz`);
      assert.equal(ready.status, 200);
      const r = (await ready.json()) as { ready: boolean; role: string; checks: unknown[] };
      assert.equal(r.ready, true);
      assert.equal(r.role, 'standby');
      assert.deepEqual(r.checks, [
        { name: 'leader', ok: true, detail: 'standby replica, ready to take over; the leader is pod-a' },
      ]);
      const api = await fetch(`${s.url}/v1/plan`, { headers: { authorization: 'Bearer x' } });
      assert.equal(api.status, 503);
      const e = (await api.json()) as { error: { code: string; message: string; details: unknown } };
      assert.equal(e.error.code, 'STANDBY');
      assert.match(e.error.message, /standby \(the leader is pod-a\)/);
    } finally {
      await s.close();
    }
  });
});
