/**
 * The plugin configuration as the filter itself judges it at on_configure (what Envoy's config
 * canary runs): every mistake is refused with one log line naming the field, what was expected
 * and what was found; a valid document starts the filter.
 */
import { strict as assert } from 'node:assert';
import { EnvoyProcess } from '../../wasm-host';
import { FILTER_ROOT, SYNC_ROOT, VM_ID, wasmPath } from './support/harness';

const check = (configuration: string, rootId = FILTER_ROOT) => {
  const envoy = new EnvoyProcess({ concurrency: 1, clock: 'virtual' });
  const r = envoy.checkConfiguration({
    name: 'earmark',
    rootId,
    vmId: VM_ID,
    wasm: wasmPath(),
    configuration,
  });
  void envoy.close();
  return { ok: r.ok, said: r.logs.filter((l) => l.level === 'error').map((l) => l.message) };
};

/** One fixture per mistake: [what, document, the exact log line]. */
const BAD: Array<[string, string, string]> = [
  ['not JSON', '{"fail_mode": open}', 'not valid JSON: unexpected character at offset 14'],
  ['trailing garbage', '{} {}', 'not valid JSON: trailing characters at offset 3'],
  ['not an object', '[1, 2]', ': must be an object (got an array)'],
  [
    'misspelt key',
    '{"fial_mode": "open"}',
    'fial_mode: unknown field (allowed: key_prefix, identity, max_user_id_bytes, routing_header, decision_header, fail_mode, plan_ttl_ms, defaults, unreserved, queue, reject, tick_ms, usage, slot_lease_ms, sync)',
  ],
  ['duplicate key', '{"tick_ms": 100, "tick_ms": 200}', 'tick_ms: duplicate field'],
  ['bad enum', '{"fail_mode": "maybe"}', 'fail_mode: must be one of "open", "closed" (got "maybe")'],
  ['enum of wrong type', '{"fail_mode": true}', 'fail_mode: must be one of "open", "closed" (got a boolean)'],
  [
    'negative integer',
    '{"queue": {"max_depth": -3}}',
    'queue.max_depth: must be an integer from 1 to 65536 (got -3)',
  ],
  [
    'fraction',
    '{"plan_ttl_ms": 1500.5}',
    'plan_ttl_ms: must be an integer from 100 to 86400000 (got 1500.5)',
  ],
  ['number as string', '{"tick_ms": "100"}', 'tick_ms: must be an integer from 10 to 60000 (got a string)'],
  [
    'nested unknown',
    '{"unreserved": {"slot": 4}}',
    'unreserved.slot: unknown field (allowed: slots, rate_per_minute, burst, on_exhausted, priority, max_queue_wait_ms, fallback, route)',
  ],
  [
    'bad action',
    '{"defaults": {"on_exhausted": "drop"}}',
    'defaults.on_exhausted: must be one of "queue", "top_up", "redirect", "reject" (got "drop")',
  ],
  [
    'uppercase header',
    '{"routing_header": "X-Earmark-Instance"}',
    'routing_header: must be a lowercase header name of [a-z0-9-_.] (got "X-Earmark-Instance")',
  ],
  ['empty header', '{"routing_header": ""}', 'routing_header: must be 1 to 128 bytes long (got 0)'],
  [
    'both identities',
    '{"identity": {"header": "x-u", "property": ["a"]}}',
    'identity: must have exactly one of "header" or "property"',
  ],
  [
    'empty property path',
    '{"identity": {"property": []}}',
    'identity.property: must be a non-empty array of at most 16 path segments, e.g. ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "jwt", "sub"]',
  ],
  [
    'bad property segment',
    '{"identity": {"property": ["request", 7]}}',
    'identity.property[1]: must be a non-empty string without NUL',
  ],
  ['long prefix', `{"key_prefix": "${'p'.repeat(65)}"}`, 'key_prefix: must be 1 to 64 bytes long (got 65)'],
  [
    'reject status',
    '{"reject": {"status": 200}}',
    'reject.status: must be an integer from 400 to 599 (got 200)',
  ],
  [
    'sync without cluster',
    '{"sync": {"mode": "embedded"}}',
    'sync.cluster: is required: the Envoy cluster of the control plane',
  ],
  [
    'sync token twice',
    '{"sync": {"cluster": "cp", "token": "a", "token_env": "B"}}',
    'sync.token_env: give either "token" or "token_env", not both',
  ],
  [
    'backoff order',
    '{"sync": {"cluster": "cp", "backoff_initial_ms": 5000, "backoff_max_ms": 1000}}',
    'sync.backoff_max_ms: must be at least backoff_initial_ms',
  ],
  [
    'freshness not below the plan TTL',
    '{"plan_ttl_ms": 1000, "sync": {"cluster": "cp", "freshness_ms": 1000}}',
    'sync.freshness_ms: must be below plan_ttl_ms (1000), or the plan goes stale between refreshes',
  ],
  [
    'sync mode',
    '{"sync": {"cluster": "cp", "mode": "sidecar"}}',
    'sync.mode: must be one of "service", "embedded" (got "sidecar")',
  ],
];

describe('plugin: configuration (on_configure)', () => {
  for (const [what, doc, message] of BAD) {
    it(`refuses ${what} with one precise log line`, () => {
      const r = check(doc);
      assert.equal(r.ok, false);
      assert.deepEqual(r.said, [`earmark: invalid plugin configuration: ${message}`]);
    });
  }

  it('accepts an empty configuration (all defaults)', () => {
    assert.equal(check('').ok, true);
    assert.equal(check('{}').ok, true);
    assert.equal(check('  \n').ok, true);
  });

  it('accepts a full document using every field', () => {
    const full = {
      key_prefix: 'mesh-a/earmark/',
      identity: { header: 'x-earmark-user' },
      max_user_id_bytes: 200,
      routing_header: 'x-earmark-instance',
      decision_header: 'x-earmark-decision',
      fail_mode: 'closed',
      plan_ttl_ms: 60000,
      defaults: { on_exhausted: 'top_up', max_queue_wait_ms: 2500, fallback: 'overflow:80' },
      unreserved: {
        slots: 100,
        rate_per_minute: 6000,
        burst: 200,
        on_exhausted: 'queue',
        priority: 1,
        max_queue_wait_ms: 500,
        fallback: 'overflow:80',
        route: 'shared:80',
      },
      queue: { max_depth: 4096, retries_per_tick: 128 },
      reject: { status: 429, retry_after_s: 2 },
      tick_ms: 50,
      usage: { flush_ms: 2000, max_users: 65536 },
      slot_lease_ms: 300000,
      sync: {
        mode: 'service',
        cluster: 'earmark_control_plane',
        authority: 'control-plane.earmark',
        token_env: 'EARMARK_GRPC_TOKEN',
        node_id: 'edge-1',
        backoff_initial_ms: 250,
        backoff_max_ms: 60000,
        report_interval_ms: 5000,
        max_report_users: 200000,
        sweep_per_tick: 5000,
        tick_ms: 200,
        leader_lease_ms: 3000,
        freshness_ms: 500,
      },
    };
    const r = check(JSON.stringify(full));
    assert.deepEqual(r.said, []);
    assert.equal(r.ok, true);
    assert.equal(
      check(JSON.stringify(full), SYNC_ROOT).ok,
      true,
      'the same document configures the sync root',
    );
  });

  it('the sync root requires the sync section', () => {
    const r = check('{}', SYNC_ROOT);
    assert.equal(r.ok, false);
    assert.deepEqual(r.said, [
      'earmark: invalid plugin configuration: sync: required by the sync root (root id earmark_sync)',
    ]);
  });

  it('the sync root refuses the same mistakes as the filter', () => {
    const r = check('{"sync": {"cluster": "cp"}, "queue": {"max_depth": 0}}', SYNC_ROOT);
    assert.equal(r.ok, false);
    assert.deepEqual(r.said, [
      'earmark: invalid plugin configuration: queue.max_depth: must be an integer from 1 to 65536 (got 0)',
    ]);
  });

  it('a refused configuration leaves the filter out, as Envoy does', () => {
    const envoy = new EnvoyProcess({ concurrency: 1, clock: 'virtual' });
    assert.throws(() =>
      envoy.addHttpFilter({
        name: 'earmark',
        rootId: FILTER_ROOT,
        vmId: VM_ID,
        wasm: wasmPath(),
        configuration: '{"x":1}',
      }),
    );
    void envoy.close();
  });
});
