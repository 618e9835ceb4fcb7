/**
 * Every route, answered successfully, with its behaviour checked against what the port holds; the
 * last test asserts the tour touched every operation in the route list. Responses are validated
 * against the OpenAPI document by the app itself (validateResponses), so a drift fails here too.
 */
import { strict as assert } from 'node:assert';
import { startHarness, type Harness } from './support/harness';
import { policy, tier } from './support/policies';
import * as seed from './support/seed';
import { FakeCycle } from './support/fake-cycle';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const POLICY = policy(undefined, { leadTime: '60s' });

describe('api: every route', () => {
  let h: Harness;
  const succeeded = new Set<string>();

  before(async () => {
    h = await startHarness({ nowMs: NOW });
  });
  after(() => h.close());

  /** Calls, asserts the status, and records the operation as covered. */
  async function ok(
    operationId: string,
    method: string,
    path: string,
    status: number,
    body?: unknown,
    headers?: Record<string, string>,
  ) {
    const res = await h.call(method, path, { body, headers });
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    succeeded.add(operationId);
    return res;
  }

  describe('health', () => {
    it('healthz and readyz answer without a token', async () => {
      const hz = await h.call('GET', '/healthz', { token: null });
      assert.deepEqual([hz.status, hz.json], [200, { status: 'ok' }]);
      const rz = await h.call('GET', '/readyz', { token: null });
      assert.equal(rz.status, 200);
      assert.deepEqual(
        rz.json.checks.map((c: { name: string }) => c.name),
        ['store', 'plan'],
      );
      succeeded.add('healthz').add('readyz');
    });

    it('readyz is 503 and names the failing dependency', async () => {
      h.state.checks = [
        { name: 'store', ok: false, detail: 'InfluxDB unreachable' },
        { name: 'plan', ok: true },
      ];
      const rz = await h.call('GET', '/readyz', { token: null });
      assert.equal(rz.status, 503);
      assert.equal(rz.json.ready, false);
      assert.deepEqual(rz.json.checks[0], { name: 'store', ok: false, detail: 'InfluxDB unreachable' });
      h.state.checks = [{ name: 'store', ok: true }];
    });

    it('readyz stays 200 but says degraded when only a degradesOnly check fails', async () => {
      h.state.checks = [
        { name: 'store', ok: false, detail: 'InfluxDB unreachable', degradesOnly: true },
        { name: 'plan', ok: true },
      ];
      const rz = await h.call('GET', '/readyz', { token: null });
      assert.equal(rz.status, 200);
      assert.deepEqual([rz.json.ready, rz.json.degraded], [true, true]);
      h.state.checks = [{ name: 'store', ok: true }];
      const fine = await h.call('GET', '/readyz', { token: null });
      assert.deepEqual([fine.status, fine.json.ready, fine.json.degraded], [200, true, false]);
    });

    it('metrics counts the requests served, by operation', async () => {
      const res = await ok('metrics', 'GET', '/metrics', 200);
      assert.match(res.headers.get('content-type')!, /text\/plain/);
      const line = res.text
        .split('\n')
        .find((l) => l.startsWith('earmark_api_requests_total{operation="healthz"'));
      assert.ok(line, res.text.slice(0, 500));
      assert.ok(Number(line!.split(' ').pop()) >= 1);
    });

    it('openapi.json is the document the app was built from', async () => {
      const res = await ok('openapi', 'GET', '/openapi.json', 200);
      assert.equal(res.json.openapi, '3.1.0');
      assert.deepEqual(res.json, JSON.parse(JSON.stringify(h.api.document)));
    });
  });

  describe('policy', () => {
    it('creates the first version, then needs If-Match', async () => {
      const created = await ok('putPolicy', 'PUT', '/v1/policy', 201, POLICY);
      assert.equal(created.json.version, 1);
      assert.equal(created.headers.get('etag'), '"1"');
      const got = await ok('getPolicy', 'GET', '/v1/policy', 200);
      assert.deepEqual(got.json.policy, POLICY);
      const next = { ...POLICY, leadTime: '90s' };
      const v2 = await ok('putPolicy', 'PUT', '/v1/policy', 200, next, { 'if-match': '"1"' });
      assert.equal(v2.json.version, 2);
      assert.deepEqual(
        h.state.policies.map((p) => p.version),
        [1, 2],
      );
    });

    it('accepts YAML, and keeps the text as submitted', async () => {
      const yaml = [
        '# comments survive',
        'tiers:',
        '  gold: { quantile: 0.99, priority: 100 }',
        '  free: { quantile: 0.5, priority: 10 }',
        'instanceClasses:',
        '  small:',
        '    capacity: { slots: 100, cpuMillicores: 4000, memoryMb: 8192, bandwidthKbps: 100000 }',
        'leadTime: 60s',
        '',
      ].join('\n');
      const res = await h.call('PUT', '/v1/policy', {
        raw: yaml,
        headers: { 'content-type': 'application/yaml', 'if-match': '2' },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.policy, POLICY);
      assert.equal(res.json.source, yaml);
    });

    it('lists versions newest first and reads one', async () => {
      const list = await ok('listPolicyVersions', 'GET', '/v1/policy/versions?limit=2', 200);
      assert.deepEqual(
        list.json.items.map((v: { version: number }) => v.version),
        [3, 2],
      );
      assert.equal(list.json.items[0].policy, undefined, 'summaries only');
      const v1 = await ok('getPolicyVersion', 'GET', '/v1/policy/versions/1', 200);
      assert.deepEqual(v1.json.policy, POLICY);
    });

    it('edits tiers one at a time, each a new version', async () => {
      const tiers = await ok('listTiers', 'GET', '/v1/policy/tiers', 200);
      assert.deepEqual(Object.keys(tiers.json.tiers).sort(), ['free', 'gold']);
      const silver = await ok('putTier', 'PUT', '/v1/policy/tiers/silver', 200, tier(0.9, 50), {
        'if-match': tiers.headers.get('etag')!,
      });
      assert.equal(silver.json.version, tiers.json.version + 1);
      assert.deepEqual(silver.json.policy.tiers.silver, tier(0.9, 50));
      const one = await ok('getTier', 'GET', '/v1/policy/tiers/silver', 200);
      assert.deepEqual(one.json, tier(0.9, 50));
      const del = await ok('deleteTier', 'DELETE', '/v1/policy/tiers/silver', 200, undefined, {
        'if-match': `"${silver.json.version}"`,
      });
      assert.equal(del.json.policy.tiers.silver, undefined);
      assert.equal(del.json.policy.leadTime, POLICY.leadTime, 'the rest of the policy is kept');
    });
  });

  describe('users', () => {
    it('creates, replaces, reads, lists, updates context and deletes', async () => {
      const body = {
        tier: 'gold',
        preferences: { lang: 'en' },
        context: { device: 'mobile', network: '5g', networkQuality: 0.8 },
      };
      const created = await ok('putUser', 'PUT', '/v1/users/alice', 201, body);
      assert.deepEqual(created.json, { ...body, user: 'alice', updatedAtMs: NOW });
      await ok('putUser', 'PUT', '/v1/users/alice', 200, { ...body, tier: 'free' });
      await ok('putUser', 'PUT', '/v1/users/bob', 201, { tier: 'free' });
      const got = await ok('getUser', 'GET', '/v1/users/alice', 200);
      assert.equal(got.json.tier, 'free');
      const page1 = await ok('listUsers', 'GET', '/v1/users?limit=1', 200);
      assert.deepEqual(
        page1.json.items.map((u: { user: string }) => u.user),
        ['alice'],
      );
      const page2 = await ok('listUsers', 'GET', `/v1/users?limit=1&after=${page1.json.next}`, 200);
      assert.deepEqual(
        page2.json.items.map((u: { user: string }) => u.user),
        ['bob'],
      );
      assert.equal(page2.json.next, undefined);
      const ctx = await ok('putUserContext', 'PUT', '/v1/users/alice/context', 200, {
        device: 'desktop',
        location: 'eu-west',
      });
      assert.deepEqual(ctx.json.context, { device: 'desktop', location: 'eu-west' });
      assert.deepEqual(ctx.json.preferences, { lang: 'en' }, 'context update keeps preferences');
      const gotCtx = await ok('getUserContext', 'GET', '/v1/users/alice/context', 200);
      assert.deepEqual(gotCtx.json, { device: 'desktop', location: 'eu-west' });
      await ok('deleteUser', 'DELETE', '/v1/users/bob', 204);
      assert.equal(h.state.users.has('bob'), false);
    });

    it('serializes writes to one user: a context update never reverts a concurrent tier change', async () => {
      const before = h.state.users.get('alice')!;
      assert.equal(before.tier, 'free');
      // The tier change first: its write comes later than the context writes' reads unless serialized.
      const tier = h.call('PUT', '/v1/users/alice', {
        body: { tier: 'gold', preferences: before.preferences },
      });
      const contexts = Array.from({ length: 10 }, (_, i) =>
        h.call('PUT', '/v1/users/alice/context', { body: { location: `region-${i}` } }),
      );
      const replies = await Promise.all([tier, ...contexts]);
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(11).fill(200),
      );
      assert.equal(h.state.users.get('alice')!.tier, 'gold', 'the tier change survived every context write');
    });
  });

  describe('events', () => {
    it('creates with a generated id, replaces, lists by range and deletes', async () => {
      const ev = {
        name: 'launch',
        startMs: NOW + 3_600_000,
        endMs: NOW + 7_200_000,
        tiers: ['gold'],
        multiplier: 3,
      };
      const created = await ok('createEvent', 'POST', '/v1/events', 201, ev);
      const id = created.json.id;
      assert.equal(created.headers.get('location'), `/v1/events/${id}`);
      assert.deepEqual(created.json, { ...ev, id, updatedAtMs: NOW });
      const put = await ok('putEvent', 'PUT', `/v1/events/${id}`, 200, { ...ev, multiplier: 4 });
      assert.equal(put.json.multiplier, 4);
      await ok('putEvent', 'PUT', '/v1/events/sale', 201, {
        name: 'sale',
        startMs: NOW,
        endMs: NOW + 60_000,
        multiplier: 2,
      });
      const got = await ok('getEvent', 'GET', '/v1/events/sale', 200);
      assert.equal(got.json.name, 'sale');
      const all = await ok('listEvents', 'GET', '/v1/events', 200);
      assert.deepEqual(
        all.json.items.map((e: { id: string }) => e.id),
        ['sale', id],
      );
      const later = await ok('listEvents', 'GET', `/v1/events?from=${NOW + 120_000}`, 200);
      assert.deepEqual(
        later.json.items.map((e: { id: string }) => e.id),
        [id],
      );
      await ok('deleteEvent', 'DELETE', '/v1/events/sale', 204);
      assert.deepEqual([...h.state.events.keys()], [id]);
    });
  });

  describe('instances', () => {
    it('registers, reads, lists, takes load reports and deregisters', async () => {
      const [a, b] = seed.instances(2);
      const { id: _a, ...inputA } = a;
      const created = await ok('putInstance', 'PUT', `/v1/instances/${a.id}`, 201, {
        ...inputA,
        state: undefined,
      });
      assert.equal(created.json.state, 'ready', 'state defaults to ready');
      const { id: _b, ...inputB } = b;
      await ok('putInstance', 'PUT', `/v1/instances/${b.id}`, 201, inputB);
      await ok('putInstance', 'PUT', `/v1/instances/${b.id}`, 200, { ...inputB, state: 'draining' });
      const got = await ok('getInstance', 'GET', `/v1/instances/${b.id}`, 200);
      assert.equal(got.json.state, 'draining');
      const list = await ok('listInstances', 'GET', '/v1/instances', 200);
      assert.deepEqual(
        list.json.items.map((i: { id: string }) => i.id),
        [a.id, b.id],
      );
      const sample = { cpuMillicores: 1200, memoryMb: 2048, bandwidthKbps: 5000, inFlight: 7 };
      await ok('reportInstanceLoad', 'POST', `/v1/instances/${a.id}/load`, 202, {
        samples: [sample, { ...sample, atMs: NOW - 60_000, inFlight: 3, instanceId: a.id }],
      });
      const load = await ok('getInstanceLoad', 'GET', `/v1/instances/${a.id}/load`, 200);
      assert.deepEqual(
        load.json.samples.map((s: { atMs: number; inFlight: number }) => [s.atMs, s.inFlight]),
        [
          [NOW - 60_000, 3],
          [NOW, 7],
        ],
      );
      await ok('deleteInstance', 'DELETE', `/v1/instances/${b.id}`, 204);
      assert.deepEqual([...h.state.instances.keys()], [a.id]);
    });
  });

  describe('plan, reservations, scaling, proxies', () => {
    it('summarizes the plan and totals reservations per instance', async () => {
      const insts = seed.instances(3);
      for (const i of insts) h.state.instances.set(i.id, i);
      h.state.plan = seed.plan(25, insts, NOW);
      const sum = await ok('getPlan', 'GET', '/v1/plan', 200);
      const all = [...h.state.plan.reservations.values()];
      assert.equal(sum.json.version, h.state.plan.version);
      assert.equal(sum.json.users, 25);
      assert.equal(sum.json.instances, 3);
      assert.equal(
        sum.json.reserved.slots,
        all.reduce((s, r) => s + r.slots, 0),
      );
      const per = await ok('getInstanceReservations', 'GET', '/v1/plan/instances', 200);
      for (const item of per.json.items) {
        const mine = all.filter((r) => r.instanceId === item.instanceId);
        assert.equal(item.users, mine.length);
        assert.equal(
          item.reserved.memoryMb,
          mine.reduce((s, r) => s + r.memoryMb, 0),
        );
        assert.deepEqual(item.capacity, h.state.instances.get(item.instanceId)!.capacity);
      }
    });

    it('pages reservations in user order, optionally for one instance', async () => {
      const seen: string[] = [];
      let after = '';
      for (;;) {
        const res = await ok(
          'listReservations',
          'GET',
          `/v1/plan/reservations?limit=7${after && `&after=${after}`}`,
          200,
        );
        seen.push(...res.json.items.map((r: { user: string }) => r.user));
        if (!res.json.next) break;
        after = res.json.next;
      }
      assert.deepEqual(seen, [...h.state.plan!.reservations.keys()].sort());
      const one = await h.call('GET', '/v1/plan/reservations?instance=inst-1&limit=1000');
      const expected = [...h.state.plan!.reservations.values()]
        .filter((r) => r.instanceId === 'inst-1')
        .map((r) => r.user)
        .sort();
      assert.deepEqual(
        one.json.items.map((r: { user: string }) => r.user),
        expected,
      );
      assert.equal(one.json.next, undefined);
    });

    it("returns one user's reservation", async () => {
      const res = await ok('getReservation', 'GET', '/v1/users/user-0003/reservation', 200);
      assert.deepEqual(res.json, h.state.plan!.reservations.get('user-0003'));
    });

    it('returns scaling recommendations and proxy lag', async () => {
      const sc = await ok('getScaling', 'GET', '/v1/scaling', 200);
      assert.deepEqual(sc.json.recommendations, h.state.plan!.scaling);
      h.state.proxyList = [
        {
          nodeId: 'envoy-a',
          connected: true,
          ackedVersion: h.state.plan!.version,
          revisionsBehind: 0,
          secondsBehind: 0,
          nacks: 0,
        },
        {
          nodeId: 'envoy-b',
          connected: true,
          ackedVersion: 'old',
          revisionsBehind: 2,
          secondsBehind: 1.5,
          nacks: 1,
          lastNack: 'bad ttl',
        },
      ];
      const px = await ok('listProxies', 'GET', '/v1/proxies', 200);
      assert.equal(px.json.planVersion, h.state.plan!.version);
      assert.deepEqual(px.json.items, h.state.proxyList);
    });
  });

  describe('demand', () => {
    it("returns a user's forecast, usage and everyone's decisions over the range", async () => {
      const from = NOW - 3_600_000;
      h.state.forecasts.set('alice|requests', seed.forecast('alice', from, NOW, 1));
      h.state.usagePoints.set('alice', seed.usage(from, NOW, 1));
      h.state.usagePoints.set('bob', seed.usage(from, NOW, 2));
      const fc = await ok('getForecast', 'GET', `/v1/users/alice/forecast?from=${from}&to=${NOW}`, 200);
      assert.equal(fc.json.points.length, 60);
      assert.deepEqual(fc.json.quantiles, h.state.forecasts.get('alice|requests')!.quantiles);
      const us = await ok('getUsage', 'GET', `/v1/users/alice/usage?from=${from}&to=${NOW}&step=300000`, 200);
      assert.equal(us.json.points.length, 12);
      const total = h.state.usagePoints.get('alice')!.reduce((s, p) => s + p.requests, 0);
      assert.equal(
        us.json.points.reduce((s: number, p: { requests: number }) => s + p.requests, 0),
        total,
      );
      const dec = await ok('getDecisions', 'GET', `/v1/decisions?from=${from}&to=${NOW}`, 200);
      const both = [...h.state.usagePoints.values()].flat();
      for (const k of ['reserved', 'queued', 'redirected', 'throttled'] as const) {
        assert.equal(
          dec.json.points.reduce((s: number, p: Record<string, number>) => s + p[k], 0),
          both.reduce((s, p) => s + p[k], 0),
          k,
        );
      }
    });

    it('defaults the range to the last three hours at one-minute steps', async () => {
      const dec = await h.call('GET', '/v1/decisions');
      assert.deepEqual(
        [dec.json.fromMs, dec.json.toMs, dec.json.stepMs, dec.json.points.length],
        [NOW - 3 * 3_600_000, NOW, 60_000, 180],
      );
    });
  });

  describe('cycle', () => {
    it('runs a cycle on request and lists its report with stage timings', async () => {
      const fake = new FakeCycle(NOW);
      h.state.runner = fake;
      const started = await ok('runCycle', 'POST', '/v1/cycle', 202);
      assert.deepEqual(started.json, { cycle: 1, startedAtMs: NOW });
      assert.equal(started.headers.get('location'), '/v1/cycle');
      assert.equal((await h.call('GET', '/v1/cycle')).json.state, 'running');
      const report = fake.finish();
      const got = await ok('getCycle', 'GET', '/v1/cycle', 200);
      assert.deepEqual(got.json.last, report);
      assert.deepEqual(got.json.recent, [report]);
      assert.deepEqual(
        got.json.last.stages.map((s: { stage: string }) => s.stage),
        ['read', 'forecast', 'allocate', 'publish', 'record'],
      );
      h.state.runner = undefined;
    });
  });

  describe('coverage', () => {
    it('covered every operation of the route list', () => {
      const missing = h.api.routes.map((r) => r.operationId).filter((id) => !succeeded.has(id));
      assert.deepEqual(missing, []);
    });
  });
});
