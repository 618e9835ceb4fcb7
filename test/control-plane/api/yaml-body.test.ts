/**
 * Bad YAML and bad encodings on PUT /v1/policy: every request is answered with a 400 naming the
 * problem and the process keeps serving. Before the depth check, ~3000 nested "[" overflowed yaml's
 * recursive composer and the second such request aborted the process (exit 134, under tsx).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startHarness, type Harness } from './support/harness';

const YAML_CT = { 'content-type': 'application/yaml' };
const DEFAULT_POLICY = path.join(__dirname, '../../../control-plane/allocate/policies/default.yaml');

const flow = (n: number) => '['.repeat(n) + ']'.repeat(n);
const flowMap = (n: number) => '{a: '.repeat(n) + '1' + '}'.repeat(n);
const block = (n: number) => Array.from({ length: n }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1\n';
const compact = (n: number) => '- '.repeat(n) + 'x\n';

/** A PUT whose body is sent as given, with a Content-Encoding the bytes don't match. */
function putEncoded(h: Harness, route: string, headers: Record<string, string>, body: string) {
  const u = new URL(h.url);
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path: route,
        headers: {
          authorization: `Bearer ${h.token}`,
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(t) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('api: YAML bodies that are too deep, too large, aliased or wrongly encoded', () => {
  let h: Harness;
  beforeEach(async () => (h = await startHarness()));
  afterEach(() => h.close());

  for (const [name, make] of Object.entries({ flow, flowMap, block, compact }))
    for (const depth of name === 'block' ? [65, 300] : name === 'flowMap' ? [65, 3000] : [65, 3000, 20000])
      it(`${name} nesting ${depth} deep: 400 BODY_MALFORMED_YAML every time, the process keeps serving`, async () => {
        for (let i = 0; i < 3; i++) {
          const r = await h.call('PUT', '/v1/policy', { raw: make(depth), headers: YAML_CT });
          assert.equal(r.status, 400, r.text);
          assert.equal(r.json.error.code, 'BODY_MALFORMED_YAML');
          assert.match(r.json.error.message, /nested deeper than 64 levels/);
        }
        assert.equal((await h.call('GET', '/healthz')).status, 200);
      });

  it('nesting 64 deep reaches the parser (then fails the policy schema, not the depth check)', async () => {
    const r = await h.call('PUT', '/v1/policy', { raw: 'tiers: ' + flow(63), headers: YAML_CT });
    assert.doesNotMatch(r.json.error.message, /nested deeper/);
  });

  it('a realistic policy YAML (the shipped default) is still accepted', async () => {
    const raw = fs.readFileSync(DEFAULT_POLICY, 'utf8');
    const r = await h.call('PUT', '/v1/policy', { raw, headers: YAML_CT });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.source, raw);
  });

  it('a YAML body over 64 KiB is 413 BODY_TOO_LARGE even under the 1 MiB JSON limit', async () => {
    const raw = fs.readFileSync(DEFAULT_POLICY, 'utf8') + '#' + 'x'.repeat(70 * 1024) + '\n';
    const r = await h.call('PUT', '/v1/policy', { raw, headers: YAML_CT });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.details.limitBytes, 64 * 1024);
  });

  it('a policy sharing a tier through an anchor and alias is stored as the same policy in JSON', async () => {
    const raw = [
      'instanceClasses:',
      '  small:',
      '    capacity: {slots: 100, cpuMillicores: 4000, memoryMb: 8192, bandwidthKbps: 100000}',
      'tiers:',
      '  gold: &base {quantile: 0.99, priority: 100}',
      '  silver: *base',
      '',
    ].join('\n');
    const r = await h.call('PUT', '/v1/policy', { raw, headers: YAML_CT });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.policy.tiers.silver, r.json.policy.tiers.gold);
  });

  it('an alias bomb is still refused with 400', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(
        `${name}: &${name} [${Array(10)
          .fill('*' + prev)
          .join(', ')}]`,
      );
    }
    const r = await h.call('PUT', '/v1/policy', { raw: lines.join('\n') + '\n', headers: YAML_CT });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'BODY_MALFORMED_YAML');
  });

  for (const encoding of ['gzip', 'deflate', 'br'])
    it(`a body labelled Content-Encoding: ${encoding} that is not is a 400, not 500 INTERNAL`, async () => {
      const json = await putEncoded(
        h,
        '/v1/instances/i1',
        { 'content-type': 'application/json', 'content-encoding': encoding },
        '{"address":"h:1"}',
      );
      assert.equal(json.status, 400);
      assert.equal(json.json.error.code, 'BODY_MALFORMED_JSON');
      assert.match(json.json.error.message, /Content-Encoding/);
      const yaml = await putEncoded(
        h,
        '/v1/policy',
        { ...YAML_CT, 'content-encoding': encoding },
        'tiers: {}\n',
      );
      assert.equal(yaml.status, 400);
      assert.equal(yaml.json.error.code, 'BODY_MALFORMED_YAML');
      const errors = await h.registry.getSingleMetricAsString('earmark_api_errors_total');
      assert.doesNotMatch(errors, /code="INTERNAL"/);
    });
});
