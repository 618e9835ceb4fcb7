/**
 * The API over the real store on a real influxd: what goes in through the routes is what InfluxDB
 * holds, what the cycle wrote (plans, forecasts, usage) comes out through the routes, policy
 * versions stay consistent under concurrent writers, and an unreachable InfluxDB is a 503.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApi } from '../../../control-plane/api/app';
import { startApiServer, type ApiServer } from '../../../control-plane/api/server';
import { StoreState } from '../../../control-plane/api/state/store-state';
import { DEFAULT_QUANTILES, RESOURCES, type ForecastBatch } from '../../../control-plane/domain/demand';
import type { UsageReport, UserUsage } from '../../../control-plane/domain/usage';
import { Store, silentLogger } from '../../../control-plane/store';
import { createRegistry } from '../../../control-plane/telemetry';
import { testInflux, uniqueDb } from '../../support/influx';
import { quietLogger, type Reply } from './support/harness';
import { policy as makePolicy, tier } from './support/policies';
import * as seed from './support/seed';

const TOKEN = 'store-state-test-token';

async function startOn(state: StoreState): Promise<{ server: ApiServer; logs: string[] }> {
  const logs: string[] = [];
  const api = createApi({
    state,
    tokens: [TOKEN],
    registry: createRegistry({ defaultMetrics: false }),
    logger: quietLogger(logs),
    validateResponses: true,
  });
  return { server: await startApiServer(api.app), logs };
}

async function call(
  server: ApiServer,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(server.url + p, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function usageOf(user: string, i: number): UserUsage {
  return {
    user,
    requests: 10 + i,
    admitted: 6 + i,
    queued: 2,
    queueWaitMs: 30,
    queueWaitMaxMs: 20,
    throttled: 1,
    redirected: 1,
    peakInFlight: 3,
    bytesIn: 100,
    bytesOut: 1000,
    shortfall: 2,
    unreserved: 0,
  };
}

describe('api: ControlPlaneState over the real store (influxd)', function () {
  this.timeout(60_000);
  let store: Store;
  let server: ApiServer;
  let spool: string;
  const now = Math.floor(Date.now() / 60_000) * 60_000;

  before(async () => {
    const influx = await testInflux();
    spool = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-api-spool-'));
    store = await Store.open({
      url: influx.url,
      database: uniqueDb('api'),
      spoolDir: spool,
      log: silentLogger,
    });
    await store.schemaReady;
    ({ server } = await startOn(
      new StoreState({ store, now: Date.now, forecastStepMs: 60_000, planRefreshMs: 0 }),
    ));
  });
  after(async () => {
    await server?.close();
    await store?.close();
    fs.rmSync(spool, { recursive: true, force: true });
  });

  it('is not ready before a plan exists, and says why per dependency', async () => {
    const res = await call(server, 'GET', '/readyz');
    assert.equal(res.status, 503);
    assert.deepEqual(
      res.json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
      [
        ['store', true],
        ['plan', false],
      ],
    );
  });

  it('versions policies in InfluxDB, one winner among concurrent writers with the same If-Match', async () => {
    const policy = makePolicy();
    assert.equal((await call(server, 'PUT', '/v1/policy', policy)).status, 201);
    const racers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(server, 'PUT', `/v1/policy/tiers/t${i}`, tier(0.9, 50), { 'if-match': '"1"' }),
      ),
    );
    assert.deepEqual(racers.map((r) => r.status).sort(), [200, 412, 412, 412, 412, 412, 412, 412]);
    const history = await store.readPolicyHistory(10);
    assert.deepEqual(
      history.map((v) => v.version),
      ['2', '1'],
    );
    const cur = await call(server, 'GET', '/v1/policy');
    assert.equal(cur.headers.get('etag'), '"2"');
    assert.deepEqual(Object.keys(cur.json.policy.tiers).length, 3);
    const v1 = await call(server, 'GET', '/v1/policy/versions/1');
    assert.deepEqual(v1.json.policy, policy);
    const list = await call(server, 'GET', '/v1/policy/versions?before=2');
    assert.deepEqual(
      list.json.items.map((v: { version: number }) => v.version),
      [1],
    );
  });

  it('keeps users, their context and deletion in the store', async () => {
    assert.equal(
      (
        await call(server, 'PUT', '/v1/users/alice', {
          tier: 'gold',
          context: { device: 'mobile', networkQuality: 0.5 },
        })
      ).status,
      201,
    );
    assert.equal(
      (await call(server, 'PUT', '/v1/users/bob', { tier: 'free', preferences: { lang: 'fr' } })).status,
      201,
    );
    assert.equal(
      (await call(server, 'PUT', '/v1/users/alice/context', { device: 'desktop', location: 'eu-west' }))
        .status,
      200,
    );
    const stored = await store.readProfiles(['alice']);
    assert.deepEqual(stored.get('alice')!.context, { device: 'desktop', location: 'eu-west' });
    assert.equal(stored.get('alice')!.tier, 'gold');
    const tier = await call(server, 'PUT', '/v1/users/carol', { tier: 'platinum' });
    assert.equal(tier.json.error.code, 'TIER_UNKNOWN', 'the tier is checked against the stored policy');
    assert.equal((await call(server, 'DELETE', '/v1/users/bob')).status, 204);
    assert.equal((await call(server, 'GET', '/v1/users/bob')).status, 404);
    const list = await call(server, 'GET', '/v1/users');
    assert.deepEqual(
      list.json.items.map((u: { user: string }) => u.user),
      ['alice'],
    );
  });

  it('schedules, lists and cancels events in the store', async () => {
    const ev = await call(server, 'POST', '/v1/events', {
      id: 'launch',
      name: 'launch',
      startMs: now + 3_600_000,
      endMs: now + 7_200_000,
      tiers: ['gold'],
      multiplier: 3,
    });
    assert.equal(ev.status, 201, ev.text);
    assert.deepEqual(
      (await store.readEvents()).map((e) => [e.id, e.multiplier, e.tiers]),
      [['launch', 3, ['gold']]],
    );
    assert.equal((await call(server, 'GET', '/v1/events/launch')).json.name, 'launch');
    assert.equal((await call(server, 'DELETE', '/v1/events/launch')).status, 204);
    assert.deepEqual((await call(server, 'GET', '/v1/events')).json.items, []);
  });

  it('registers instances and serves their reported load as per-minute means', async () => {
    const [a] = seed.instances(1);
    const { id: _id, ...input } = a;
    assert.equal((await call(server, 'PUT', `/v1/instances/${a.id}`, input)).status, 201);
    assert.deepEqual((await call(server, 'GET', '/v1/instances')).json.items, [a]);
    const at = now - 5 * 60_000;
    const samples = [0, 20_000].map((dt, i) => ({
      atMs: at + dt,
      cpuMillicores: 1000 * (i + 1),
      memoryMb: 512,
      bandwidthKbps: 10,
      inFlight: 2 * (i + 1),
    }));
    assert.equal((await call(server, 'POST', `/v1/instances/${a.id}/load`, { samples })).status, 202);
    await store.flush();
    const load = await call(server, 'GET', `/v1/instances/${a.id}/load?from=${now - 3_600_000}`);
    assert.deepEqual(
      load.json.samples.map((s: { atMs: number; cpuMillicores: number; inFlight: number }) => [
        s.atMs,
        s.cpuMillicores,
        s.inFlight,
      ]),
      [
        [
          at,
          (samples[0].cpuMillicores + samples[1].cpuMillicores) / 2,
          (samples[0].inFlight + samples[1].inFlight) / 2,
        ],
      ],
    );
  });

  it("serves the cycle's forecasts, usage and plan from the store", async () => {
    const users = ['alice', 'bob'];
    const from = now - 10 * 60_000;
    const reports: UsageReport[] = Array.from({ length: 10 }, (_, m) => ({
      nodeId: m % 2 ? 'envoy-a' : 'envoy-b',
      sequence: m,
      intervalStartMs: from + m * 60_000,
      intervalMs: 60_000,
      planVersion: 'p1',
      users: users.map((u) => usageOf(u, m)),
    }));
    await Promise.all(reports.map((r) => store.writeUsage(r)));
    const horizon = 5;
    const quantiles = DEFAULT_QUANTILES;
    const values = new Float32Array(users.length * RESOURCES.length * quantiles.length * horizon);
    values.forEach((_, i) => (values[i] = i % 97));
    const batch: ForecastBatch = {
      issuedAtMs: now,
      stepMs: 60_000,
      horizon,
      quantiles,
      resources: RESOURCES,
      users,
      values,
      modelOf: new Uint16Array([0, 1]),
      models: ['holt-winters', 'lstm'],
    };
    await store.writeForecasts(batch);
    const plan = seed.plan(12, seed.instances(2), now);
    await store.writePlan(plan);
    await store.flush();

    const usage = await call(server, 'GET', `/v1/users/alice/usage?from=${from}&to=${now}`);
    assert.equal(usage.json.points.length, 10);
    assert.deepEqual(
      usage.json.points.map((p: { requests: number; reserved: number }) => [p.requests, p.reserved]),
      Array.from({ length: 10 }, (_, m) => [usageOf('alice', m).requests, usageOf('alice', m).admitted]),
    );
    const decisions = await call(server, 'GET', `/v1/decisions?from=${from}&to=${now}`);
    const sum = (k: 'queued' | 'throttled') =>
      decisions.json.points.reduce((s: number, p: Record<string, number>) => s + p[k], 0);
    assert.equal(sum('queued'), 10 * users.length * usageOf('x', 0).queued);
    assert.equal(sum('throttled'), 10 * users.length * usageOf('x', 0).throttled);

    const fc = await call(
      server,
      'GET',
      `/v1/users/bob/forecast?resource=cpu&from=${now}&to=${now + horizon * 60_000}`,
    );
    assert.equal(fc.status, 200, fc.text);
    assert.deepEqual(fc.json.quantiles, [...quantiles]);
    assert.equal(fc.json.model, 'lstm');
    const r = RESOURCES.indexOf('cpu');
    const idx = (q: number, h: number) => ((1 * RESOURCES.length + r) * quantiles.length + q) * horizon + h;
    assert.deepEqual(
      fc.json.points.map((p: { atMs: number; values: number[] }) => [p.atMs, p.values]),
      Array.from({ length: horizon }, (_, h) => [
        now + h * 60_000,
        quantiles.map((_q, q) => values[idx(q, h)]),
      ]),
    );

    const summary = await call(server, 'GET', '/v1/plan');
    assert.equal(summary.json.version, plan.version);
    assert.equal(summary.json.users, plan.reservations.size);
    const one = await call(server, 'GET', '/v1/users/user-0005/reservation');
    assert.deepEqual(one.json, plan.reservations.get('user-0005'));
    assert.equal((await call(server, 'GET', '/readyz')).status, 200);
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE when InfluxDB cannot be reached, and readyz says which', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-api-dead-'));
    const dead = await Store.open({
      url: 'http://127.0.0.1:9',
      database: 'nowhere',
      spoolDir: dir,
      log: silentLogger,
      writer: { requestTimeoutMs: 500 },
    });
    const { server: s } = await startOn(
      new StoreState({ store: dead, now: Date.now, forecastStepMs: 60_000 }),
    );
    try {
      for (const p of ['/v1/users', '/v1/policy', '/v1/events', '/v1/instances', '/v1/decisions']) {
        const res = await call(s, 'GET', p);
        assert.equal(res.status, 503, `${p}: ${res.text}`);
        assert.equal(res.json.error.code, 'DEPENDENCY_UNAVAILABLE');
        assert.equal(res.json.error.details.dependency, 'store');
      }
      const ready = await call(s, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.json.checks[0].ok, false);
      assert.match(ready.json.checks[0].detail, /127\.0\.0\.1:9/);
    } finally {
      await s.close();
      await dead.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
