import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { allocate } from '../../../control-plane/allocate/allocate';
import { deliverScaling } from '../../../control-plane/allocate/scaling/deliver';
import type { Plan, ScalingRecommendation } from '../../../control-plane/domain/plan';
import { batchOf, CAP10, instances, perSlotDemand, testPolicy } from './helpers';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server answering with `reply(n)` for its n-th request (1-based), recording each. */
async function fakeServer(reply: (n: number, req: Seen) => [number, unknown]) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      const [status, json] = reply(seen.length, s);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const OUT: ScalingRecommendation = {
  instanceClass: 'standard',
  delta: 2,
  desired: 5,
  neededAtMs: 60_000,
  reason: 'test',
};
const plan = (
  scaling: ScalingRecommendation[] = [OUT],
): Pick<Plan, 'version' | 'issuedAtMs' | 'scaling'> => ({ version: 'v1', issuedAtMs: 0, scaling });
const ctx = { nowMs: 0, cycleMs: 60_000 };

function scalingPolicy(mode: string, webhook?: string, k8s?: string) {
  const lines = [`scaling:`, `  mode: ${mode}`];
  if (webhook)
    lines.push(
      `  webhook: { url: "${webhook}", retries: 2, backoff: 1ms, timeout: 2s, headers: { x-earmark: yes } }`,
    );
  if (k8s)
    lines.push(
      `  kubernetes: { apiServer: "${k8s}", namespace: prod, token: s3cret, deployments: { standard: companion } }`,
    );
  return testPolicy(lines.join('\n'));
}

describe('allocate: scaling delivery', () => {
  it('POSTs the recommendations as JSON to the webhook', async () => {
    const hook = await fakeServer(() => [204, {}]);
    try {
      const r = await deliverScaling(plan(), scalingPolicy('forecast_and_scale', hook.url + '/scale'), ctx);
      assert.equal(r.webhook?.ok, true);
      assert.equal(hook.seen.length, 1);
      assert.equal(hook.seen[0].method, 'POST');
      assert.equal(hook.seen[0].url, '/scale');
      assert.equal(hook.seen[0].headers['content-type'], 'application/json');
      assert.equal(hook.seen[0].headers['x-earmark'], 'yes');
      assert.deepEqual(JSON.parse(hook.seen[0].body), {
        planVersion: 'v1',
        issuedAtMs: 0,
        mode: 'forecast_and_scale',
        recommendations: [OUT],
      });
    } finally {
      await hook.close();
    }
  });

  it('retries a failing webhook, and does not retry one that refuses', async () => {
    const flaky = await fakeServer((n) => (n < 3 ? [503, { error: 'busy' }] : [200, {}]));
    const refusing = await fakeServer(() => [400, { error: 'bad' }]);
    try {
      const ok = await deliverScaling(plan(), scalingPolicy('forecast_and_scale', flaky.url), ctx);
      assert.deepEqual([ok.webhook?.ok, ok.webhook?.attempts], [true, 3]);
      const no = await deliverScaling(plan(), scalingPolicy('forecast_and_scale', refusing.url), ctx);
      assert.equal(no.webhook?.ok, false);
      assert.equal(refusing.seen.length, 1);
      assert.equal(
        no.webhook?.error,
        `webhook ${refusing.url} refused the recommendations: HTTP 400: {"error":"bad"}`,
      );
    } finally {
      await flaky.close();
      await refusing.close();
    }
  });

  it('says clearly when the webhook is unreachable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    const r = await deliverScaling(plan(), scalingPolicy('forecast_and_scale', url), ctx);
    assert.equal(r.webhook?.ok, false);
    assert.equal(r.webhook?.attempts, 3);
    assert.match(r.webhook!.error!, new RegExp(`^webhook ${url} unreachable after 3 attempts: ECONNREFUSED`));
  });

  it('PATCHes the Deployment scale subresource with a bearer token', async () => {
    const api = await fakeServer((_n, s) => [200, { kind: 'Scale', spec: JSON.parse(s.body).spec }]);
    try {
      const r = await deliverScaling(plan(), scalingPolicy('forecast_and_scale', undefined, api.url), ctx);
      assert.deepEqual(r.kubernetes, [
        { target: 'deployment prod/companion', ok: true, attempts: 1, status: 200 },
      ]);
      const s = api.seen[0];
      assert.equal(s.method, 'PATCH');
      assert.equal(s.url, '/apis/apps/v1/namespaces/prod/deployments/companion/scale');
      assert.equal(s.headers.authorization, 'Bearer s3cret');
      assert.equal(s.headers['content-type'], 'application/merge-patch+json');
      assert.deepEqual(JSON.parse(s.body), { spec: { replicas: 5 } });
    } finally {
      await api.close();
    }
  });

  it('reads the token from a file, and reports API errors and an unreachable API server', async () => {
    const api = await fakeServer((n) => (n === 1 ? [200, {}] : [403, { message: 'forbidden' }]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-k8s-'));
    try {
      fs.writeFileSync(path.join(dir, 'token'), 'from-file\n');
      const p = scalingPolicy('forecast_and_scale', undefined, api.url);
      Object.assign(p.scaling.kubernetes!, { token: '', tokenFile: path.join(dir, 'token') });
      assert.equal((await deliverScaling(plan(), p, ctx)).kubernetes[0].ok, true);
      assert.equal(api.seen[0].headers.authorization, 'Bearer from-file');
      const denied = await deliverScaling(plan(), p, ctx);
      assert.equal(
        denied.kubernetes[0].error,
        'deployment prod/companion: HTTP 403 (not allowed to patch deployments/scale): {"message":"forbidden"}',
      );
      Object.assign(p.scaling.kubernetes!, { tokenFile: path.join(dir, 'absent') });
      const noToken = await deliverScaling(plan(), p, ctx);
      assert.equal(
        noToken.kubernetes[0].error,
        `deployment prod/companion: cannot read token file ${path.join(dir, 'absent')}: ENOENT`,
      );
      const down = scalingPolicy('forecast_and_scale', undefined, `http://127.0.0.1:${await closedPort()}`);
      const r = await deliverScaling(plan(), down, ctx);
      assert.match(
        r.kubernetes[0].error!,
        /^deployment prod\/companion: API server http:\/\/127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/,
      );
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends nothing in forecast_only mode, and says what it would have sent', async () => {
    const hook = await fakeServer(() => [200, {}]);
    const api = await fakeServer(() => [200, {}]);
    try {
      const r = await deliverScaling(plan(), scalingPolicy('forecast_only', hook.url, api.url), ctx);
      assert.equal(r.dryRun, true);
      assert.equal(hook.seen.length + api.seen.length, 0);
      assert.deepEqual(r.patches, [{ instanceClass: 'standard', deployment: 'companion', replicas: 5 }]);
      assert.deepEqual(r.payload?.recommendations, [OUT]);
      assert.equal(r.webhook, undefined);
    } finally {
      await hook.close();
      await api.close();
    }
  });

  it('asks Kubernetes for instances only once waiting longer would leave them cold', async () => {
    const api = await fakeServer(() => [200, {}]);
    try {
      const p = scalingPolicy('forecast_and_scale', undefined, api.url); // warmup 60s, cycle 60s
      const later = { ...OUT, neededAtMs: 10 * 60_000 };
      const early = await deliverScaling(plan([later]), p, ctx);
      assert.equal(api.seen.length, 0);
      assert.match(early.deferred[0], /standard: \+2 needed at 1970-01-01T00:10:00.000Z, asked for later/);
      await deliverScaling(plan([later]), p, { nowMs: 8 * 60_000, cycleMs: 60_000 });
      assert.equal(api.seen.length, 1, 'due at 10 min - 60s warmup - one 60s cycle');
    } finally {
      await api.close();
    }
  });

  it('delivers what an allocation cycle recommends', async () => {
    const hook = await fakeServer(() => [200, {}]);
    try {
      const p = scalingPolicy('forecast_and_scale', hook.url);
      const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
      const r = allocate({
        nowMs: 0,
        cycleMs: 60_000,
        forecast: batchOf(users, (_u, x) => perSlotDemand(1)(x)),
        policy: p,
        instances: instances(1, CAP10),
      });
      assert.equal(r.plan.scaling[0].desired, 4, '30 slots at 80% of 10-slot instances');
      await deliverScaling(r.plan, p, ctx);
      assert.deepEqual(JSON.parse(hook.seen[0].body).recommendations, r.plan.scaling);
    } finally {
      await hook.close();
    }
  });
});
