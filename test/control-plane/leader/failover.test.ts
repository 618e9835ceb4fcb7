/**
 * Two real `earmark serve` replicas with leaderElection=kubernetes, on one real influxd, electing
 * through the fake Kubernetes API: one serves and labels its pod earmark.io/role=leader (what the
 * Service selects), the other stands by (ready, labeled standby, serving nothing); when the leader
 * is stopped (SIGTERM, as a rolling update or a drained node does), it labels itself standby and
 * releases the lease, and the standby takes over and serves the plan the old leader stored.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReservationClient } from '../../../control-plane/distribute/client/reservation-client';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { testInflux, uniqueDb } from '../../support/influx';
import { seedServeStore } from '../api/support/serve-store';
import { FakeKubeApi } from './support/fake-kube-api';

const ROOT = path.join(__dirname, '../../..');
const USERS = Array.from({ length: 6 }, (_, i) => `user-00${i}`);

interface Replica {
  child: ChildProcess;
  out: string;
  api: string;
  grpc: string;
  exited: Promise<number | null>;
}

describe('leader: failover between two `earmark serve` replicas', function () {
  this.timeout(180_000);
  let kube: FakeKubeApi;
  let dir: string;
  let influxUrl: string;
  let database: string;
  const replicas: Replica[] = [];

  before(async () => {
    kube = await new FakeKubeApi().start();
    influxUrl = (await testInflux()).url;
    database = uniqueDb('failover');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-failover-'));
    // Instances, gold users and their last 20 minutes of usage, so the first cycle computes a plan.
    await seedServeStore({
      url: influxUrl,
      database,
      spoolDir: path.join(dir, 'seed'),
      users: USERS,
      now: Date.now(),
    });
  });

  after(async () => {
    for (const r of replicas)
      if (r.child.exitCode === null) {
        r.child.kill('SIGKILL');
        await r.exited;
      }
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function replica(name: string): Promise<Replica> {
    kube.addPod('earmark', name, { 'app.kubernetes.io/name': 'earmark-control-plane' });
    const [apiPort, grpcPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(ROOT, 'control-plane/cli/main-run.ts'),
        'serve',
        `--api-port=${apiPort}`,
        `--grpc-port=${grpcPort}`,
        `--influx-url=${influxUrl}`,
        `--influx-database=${database}`,
        `--api-token-file=${path.join(dir, `${name}-token`)}`,
        `--spool-dir=${path.join(dir, `${name}-spool`)}`,
        `--policy-file=${path.join(ROOT, 'control-plane/allocate/policies/default.yaml')}`,
        '--leader-election=kubernetes',
        `--kubernetes-api-url=${kube.url}`,
        '--lease-namespace=earmark',
        `--lease-identity=${name}`,
        '--lease-duration-ms=3000',
        // One cycle at start and no tick during the test, so the plan A stored is the last one.
        '--cycle-interval-ms=24h',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EARMARK_API_TOKEN: 'api-token', POD_NAME: name },
      },
    );
    const r: Replica = {
      child,
      out: '',
      api: `http://127.0.0.1:${apiPort}`,
      grpc: `127.0.0.1:${grpcPort}`,
      exited: new Promise((res) => child.once('exit', (code) => res(code))),
    };
    child.stdout!.on('data', (d) => (r.out += d));
    child.stderr!.on('data', (d) => (r.out += d));
    replicas.push(r);
    return r;
  }

  /** Resolves once the replica has printed `pattern` (or rejects when it exits first). */
  const printed = (r: Replica, pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(r.out)) resolve();
        else if (r.child.exitCode !== null) reject(new Error(`exited ${r.child.exitCode}: ${r.out}`));
        else setTimeout(check, 50);
      };
      check();
    });
  const get = async (url: string) => {
    try {
      const res = await fetch(url, { headers: { authorization: 'Bearer api-token' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch {
      return { status: 0, body: {} };
    }
  };
  const until = async (probe: () => Promise<boolean>) => {
    while (!(await probe())) await new Promise((r) => setTimeout(r, 100));
  };

  const role = (pod: string) => kube.podLabels('earmark', pod)?.['earmark.io/role'];

  it('one leads, the other stands by; on SIGTERM the standby takes over and serves the stored plan', async () => {
    const a = await replica('pod-a');
    await printed(a, /Ctrl-C stops/);
    assert.equal(kube.lease('earmark', 'earmark-control-plane')?.spec.holderIdentity, 'pod-a');
    await until(async () => (await get(`${a.api}/readyz`)).status === 200);
    await until(async () => (await get(`${a.api}/v1/plan`)).status === 200); // the first cycle stored a plan
    const planA = String((await get(`${a.api}/v1/plan`)).body.version);
    assert.ok(planA.length > 0);

    const b = await replica('pod-b');
    await until(async () => (await get(`${b.api}/healthz`)).status === 200);
    await until(async () => role('pod-a') === 'leader' && role('pod-b') === 'standby');
    const standby = await get(`${b.api}/readyz`);
    assert.equal(standby.status, 200, 'ready to take over (rolling updates wait for it)');
    assert.equal(standby.body.role, 'standby');
    assert.match(JSON.stringify(standby.body), /the leader is pod-a/);
    const refused = await get(`${b.api}/v1/plan`);
    assert.equal(refused.status, 503);
    assert.equal((refused.body.error as { code: string }).code, 'STANDBY');
    assert.doesNotMatch(b.out, /Ctrl-C stops/, 'the standby started no control plane');
    // h2c only, so probe the port itself: an HTTP/1 request would fail on an open port too.
    const grpcState = await new Promise<string>((resolve) => {
      const [host, port] = b.grpc.split(':');
      const sock = net.connect(Number(port), host);
      sock.once('connect', () => (sock.destroy(), resolve('open')));
      sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.equal(grpcState, 'ECONNREFUSED', 'nor its gRPC port');

    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    assert.match(a.out, /lease released/);
    await printed(b, /Ctrl-C stops/);
    const lease = kube.lease('earmark', 'earmark-control-plane')!;
    assert.equal(lease.spec.holderIdentity, 'pod-b');
    assert.equal(lease.spec.leaseTransitions, 1);
    await until(async () => (await get(`${b.api}/readyz`)).status === 200);
    await until(async () => role('pod-b') === 'leader');
    assert.equal(role('pod-a'), 'standby', 'the old leader left the Service before it stopped');
    assert.ok(
      b.out.includes(`serving the last stored plan until the first cycle {"plan":"${planA}"}`),
      `the new leader starts from the old one's plan ${planA}: ${b.out}`,
    );

    // A proxy reconnecting to the new leader gets the reservations the old one computed.
    const client = new ReservationClient({ address: b.grpc, nodeId: 'envoy-1', transport: 'http2' });
    client.start();
    try {
      await client.waitFor(() => USERS.every((u) => client.state.get(u) !== undefined));
    } finally {
      client.stop();
    }
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    assert.equal(kube.lease('earmark', 'earmark-control-plane')!.spec.holderIdentity, '', 'released');
  });
});
