/**
 * One case per code of the error catalogue (the Record type makes a missing case a compile error):
 * each answers with the catalogued status and code, in the documented shape. For the body and
 * validation codes, the port behind the routes is never called.
 */
import { strict as assert } from 'node:assert';
import { ERRORS, type ErrorCode } from '../../../control-plane/api/errors';
import { OpenApiValidator } from '../../../control-plane/api/openapi/validator';
import { startHarness, type Harness, type Reply } from './support/harness';
import type { MemoryState } from './support/memory-state';
import { policy } from './support/policies';
import * as seed from './support/seed';
import { FakeCycle } from './support/fake-cycle';

const NOW = Date.UTC(2024, 4, 1, 12);
const POLICY = policy();
const JSON_CT = { 'content-type': 'application/json' };

interface Case {
  /** Runs before the request; the port's call log is cleared after it. */
  setup?: (s: MemoryState) => void;
  options?: Parameters<typeof startHarness>[0];
  request: (h: Harness) => Promise<Reply>;
  /** The request must not reach the port at all. */
  coreUntouched?: boolean;
  check?: (r: Reply, h: Harness) => void;
}

const withPolicy = (s: MemoryState) => s.policies.push({ version: 1, policy: POLICY, createdAtMs: NOW });
const withUser = (s: MemoryState) => s.users.set('u1', { user: 'u1', tier: 'free', updatedAtMs: NOW });
const withInstance = (s: MemoryState) => seed.instances(1).forEach((i) => s.instances.set(i.id, i));
const event = { name: 'sale', startMs: NOW, endMs: NOW + 60_000, multiplier: 2 };

const CASES: { [C in ErrorCode]: Case } = {
  AUTH_TOKEN_MISSING: { request: (h) => h.call('GET', '/v1/users', { token: null }), coreUntouched: true },
  AUTH_SCHEME_UNSUPPORTED: {
    request: (h) => h.call('GET', '/v1/users', { headers: { authorization: 'Basic YTpi' } }),
    coreUntouched: true,
  },
  AUTH_TOKEN_INVALID: { request: (h) => h.call('GET', '/v1/users', { token: 'nope' }), coreUntouched: true },
  BODY_MALFORMED_JSON: {
    request: (h) => h.call('PUT', '/v1/users/u1', { raw: '{"tier": ', headers: JSON_CT }),
    coreUntouched: true,
  },
  BODY_MALFORMED_YAML: {
    request: (h) =>
      h.call('PUT', '/v1/policy', { raw: 'tiers: [gold', headers: { 'content-type': 'application/yaml' } }),
    coreUntouched: true,
  },
  BODY_UNSUPPORTED_MEDIA_TYPE: {
    request: (h) =>
      h.call('PUT', '/v1/users/u1', {
        raw: 'tier=gold',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    coreUntouched: true,
    check: (r) => assert.deepEqual(r.json.error.details, { accepted: ['application/json'] }),
  },
  BODY_UNSUPPORTED_ENCODING: {
    request: (h) =>
      h.call('PUT', '/v1/users/u1', {
        raw: '{"tier":"gold"}',
        headers: { 'content-type': 'application/json; charset=latin1' },
      }),
    coreUntouched: true,
  },
  BODY_TOO_LARGE: {
    options: { bodyLimitBytes: 1024 },
    request: (h) =>
      h.call('PUT', '/v1/users/u1', { body: { tier: 'gold', preferences: { note: 'x'.repeat(2000) } } }),
    coreUntouched: true,
    check: (r) => assert.equal(r.json.error.details.limitBytes, 1024),
  },
  BODY_MISSING: { request: (h) => h.call('PUT', '/v1/users/u1'), coreUntouched: true },
  VALIDATION_BODY: {
    request: (h) =>
      h.call('PUT', '/v1/users/u1', { body: { tier: 5, context: { networkQuality: 2 }, extra: true } }),
    coreUntouched: true,
    check: (r) =>
      assert.deepEqual(r.json.error.details.map((d: { path: string }) => d.path).sort(), [
        '/context/networkQuality',
        '/extra',
        '/tier',
      ]),
  },
  VALIDATION_QUERY: {
    request: (h) => h.call('GET', '/v1/users?limit=0&form=1'),
    coreUntouched: true,
    check: (r) =>
      assert.deepEqual(r.json.error.details.map((d: { path: string }) => d.path).sort(), ['/form', '/limit']),
  },
  VALIDATION_PATH: { request: (h) => h.call('GET', '/v1/users/-bad%20id'), coreUntouched: true },
  VALIDATION_HEADER: {
    setup: withPolicy,
    request: (h) => h.call('PUT', '/v1/policy', { body: POLICY, headers: { 'if-match': 'yesterday' } }),
    coreUntouched: true,
  },
  TIME_RANGE_INVALID: {
    request: (h) => h.call('GET', `/v1/decisions?from=${NOW}&to=${NOW - 1}`),
    coreUntouched: true,
  },
  POLICY_INVALID: {
    // Valid by the schema; the allocator's cross-field check refuses the unknown default tier.
    request: (h) => h.call('PUT', '/v1/policy', { body: { ...POLICY, defaultTier: 'platinum' } }),
    check: (r, h) => {
      assert.equal(r.json.error.details.issues[0].path, 'defaultTier');
      assert.match(r.json.error.details.issues[0].message, /unknown tier "platinum"/);
      assert.deepEqual(h.state.policies, []);
    },
  },
  POLICY_VERSION_CONFLICT: {
    setup: withPolicy,
    request: (h) => h.call('PUT', '/v1/policy', { body: POLICY, headers: { 'if-match': '"7"' } }),
    check: (r) => {
      assert.equal(r.json.error.details.currentVersion, 1);
      assert.equal(r.headers.get('etag'), '"1"');
    },
  },
  POLICY_PRECONDITION_REQUIRED: {
    setup: withPolicy,
    request: (h) => h.call('PUT', '/v1/policy', { body: POLICY }),
  },
  EVENT_WINDOW_INVALID: {
    request: (h) => h.call('POST', '/v1/events', { body: { ...event, endMs: event.startMs } }),
    check: (_r, h) => assert.equal(h.state.events.size, 0),
  },
  TIER_UNKNOWN: {
    setup: withPolicy,
    request: (h) => h.call('PUT', '/v1/users/u1', { body: { tier: 'platinum' } }),
    check: (r) => assert.deepEqual(r.json.error.details, { unknown: ['platinum'], known: ['gold', 'free'] }),
  },
  EVENT_ALREADY_EXISTS: {
    setup: (s) => s.events.set('sale', { ...event, id: 'sale', updatedAtMs: NOW }),
    request: (h) => h.call('POST', '/v1/events', { body: { ...event, id: 'sale' } }),
  },
  LOAD_INSTANCE_MISMATCH: {
    setup: withInstance,
    request: (h) =>
      h.call('POST', '/v1/instances/inst-0/load', {
        body: {
          samples: [{ instanceId: 'inst-9', cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1, inFlight: 1 }],
        },
      }),
    check: (_r, h) => assert.deepEqual(h.state.loads, []),
  },
  CYCLE_RUNNING: {
    setup: (s) => {
      s.runner = new FakeCycle(NOW);
      void s.runner.trigger();
    },
    request: (h) => h.call('POST', '/v1/cycle'),
    check: (r, h) => {
      assert.deepEqual(r.json.error.details, { cycle: 1, state: 'running' });
      assert.equal(h.state.runner!.status().runs, 1, 'no second cycle started');
      assert.equal(h.state.runner!.status().skipped, 1);
    },
  },
  ROUTE_NOT_FOUND: { request: (h) => h.call('GET', '/v2/users'), coreUntouched: true },
  METHOD_NOT_ALLOWED: {
    request: (h) => h.call('PATCH', '/v1/users/u1', { body: {} }),
    coreUntouched: true,
    check: (r) => assert.equal(r.headers.get('allow'), 'GET, PUT, DELETE'),
  },
  USER_NOT_FOUND: { request: (h) => h.call('GET', '/v1/users/ghost') },
  POLICY_NOT_FOUND: { request: (h) => h.call('GET', '/v1/policy') },
  TIER_NOT_FOUND: { setup: withPolicy, request: (h) => h.call('GET', '/v1/policy/tiers/silver') },
  EVENT_NOT_FOUND: { request: (h) => h.call('DELETE', '/v1/events/ghost') },
  INSTANCE_NOT_FOUND: { request: (h) => h.call('GET', '/v1/instances/ghost/load') },
  FORECAST_NOT_FOUND: {
    setup: withUser,
    request: (h) => h.call('GET', '/v1/users/u1/forecast?resource=cpu'),
  },
  PLAN_NOT_FOUND: { request: (h) => h.call('GET', '/v1/users/u1/reservation') },
  RESERVATION_NOT_FOUND: {
    setup: (s) => (s.plan = seed.plan(3, seed.instances(1), NOW)),
    request: (h) => h.call('GET', '/v1/users/ghost/reservation'),
  },
  DEPENDENCY_UNAVAILABLE: {
    setup: (s) => (s.unavailable = true),
    request: (h) => h.call('GET', '/v1/users'),
    check: (r) => assert.deepEqual(r.json.error.details, { dependency: 'store' }),
  },
  INTERNAL: {
    setup: (s) => (s.listInstances = async () => Promise.reject(new Error('secret stack detail'))),
    request: (h) => h.call('GET', '/v1/instances'),
    check: (r, h) => {
      assert.ok(!r.text.includes('secret'), 'the cause is logged, not shown');
      assert.ok(h.logs.some((l) => l.includes('secret stack detail')));
    },
  },
};

describe('api: every error code of the catalogue', () => {
  for (const [code, c] of Object.entries(CASES) as Array<[ErrorCode, Case]>) {
    it(`${code} → ${ERRORS[code].status}`, async () => {
      const h = await startHarness({ nowMs: NOW, ...c.options });
      try {
        c.setup?.(h.state);
        h.state.calls = [];
        const res = await c.request(h);
        assert.equal(res.status, ERRORS[code].status, res.text);
        assert.equal(res.json?.error?.code, code, res.text);
        assert.ok(res.json.error.message.length > 5);
        assert.match(res.headers.get('content-type')!, /^application\/json/);
        const errorSchema = OpenApiValidator.for(h.api.document).compileError();
        assert.ok(errorSchema(res.json), JSON.stringify(errorSchema.errors));
        if (c.coreUntouched) assert.deepEqual(h.state.calls, [], 'the port was called');
        c.check?.(res, h);
        const counted = (await h.registry.getSingleMetricAsString('earmark_api_errors_total')).includes(
          `code="${code}"`,
        );
        assert.ok(counted, 'counted in earmark_api_errors_total');
      } finally {
        await h.close();
      }
    });
  }

  it('documents each code an operation can return, and every documented code exists', async () => {
    const h = await startHarness();
    try {
      for (const r of h.api.routes)
        for (const code of r.errors) assert.ok(code in ERRORS, `${r.operationId}: ${code}`);
      const putUser = h.api.document.paths['/v1/users/{user}'].put as {
        responses: Record<string, { description: string }>;
      };
      assert.match(putUser.responses['422'].description, /TIER_UNKNOWN/);
      assert.match(putUser.responses['401'].description, /AUTH_TOKEN_MISSING/);
      assert.match(putUser.responses['415'].description, /BODY_UNSUPPORTED_MEDIA_TYPE/);
    } finally {
      await h.close();
    }
  });
});
