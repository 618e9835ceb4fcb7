/**
 * The API checks policies with the allocator's own schema and loader: the shipped policies are
 * accepted as YAML, and every bad-policy fixture of the allocator's tests is refused with a
 * catalogued code, storing nothing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allocatePolicyModel } from '../../../control-plane/api/allocate-policy-model';
import { startHarness, type Harness } from './support/harness';
import { policy, tier } from './support/policies';

const ROOT = path.join(__dirname, '../../..');
const SHIPPED = path.join(ROOT, 'control-plane/allocate/policies');
const FIXTURES = path.join(ROOT, 'test/control-plane/allocate/fixtures');
const REFUSED = new Set(['BODY_MALFORMED_YAML', 'BODY_MISSING', 'VALIDATION_BODY', 'POLICY_INVALID']);

const putYaml = (h: Harness, text: string, ifMatch?: string) =>
  h.call('PUT', '/v1/policy', {
    raw: text,
    headers: { 'content-type': 'application/yaml', ...(ifMatch && { 'if-match': ifMatch }) },
  });

describe("api: policies checked by the allocator's schema and loader", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  for (const file of fs.readdirSync(SHIPPED).filter((f) => f.endsWith('.yaml'))) {
    it(`accepts the shipped policy ${file} as YAML, keeping its text`, async () => {
      const text = fs.readFileSync(path.join(SHIPPED, file), 'utf8');
      const res = await putYaml(h, text);
      assert.equal(res.status, 201, res.text);
      assert.equal(h.state.policies[0].source, text);
      const tiers = await h.call('GET', '/v1/policy/tiers');
      assert.ok(Object.keys(tiers.json.tiers).length > 0);
    });
  }

  const fixtures = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')) : [];
  for (const file of fixtures) {
    const good = file.startsWith('good');
    it(`${good ? 'accepts' : 'refuses'} the allocator's fixture ${file}`, async () => {
      const res = await putYaml(h, fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
      if (good) {
        assert.equal(res.status, 201, res.text);
        return;
      }
      assert.ok([400, 422].includes(res.status), res.text);
      assert.ok(REFUSED.has(res.json.error.code), res.text);
      assert.deepEqual(h.state.policies, [], 'nothing stored');
    });
  }

  it('points POLICY_INVALID problems at the line of the YAML as submitted', async () => {
    const text = [
      'tiers:',
      '  gold: { quantile: 0.99, priority: 100 }',
      'defaultTier: gld',
      'instanceClasses:',
      '  s: { capacity: { slots: 1, cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1 } }',
      '',
    ].join('\n');
    const res = await putYaml(h, text);
    assert.equal(res.json.error.code, 'POLICY_INVALID');
    const issue = res.json.error.details.issues[0];
    assert.deepEqual([issue.path, issue.line], ['defaultTier', 3]);
    assert.match(issue.message, /did you mean gold/);
  });

  it('enforces the generated schema on structure: unknown field, bad quantile, duration without unit', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [policy({ gold: { ...tier(0.99, 1), quantil: 0.9 } as never }), '/tiers/gold/quantil'],
      [policy({ gold: tier(1.5, 1) }), '/tiers/gold/quantile'],
      [policy(undefined, { leadTime: 60 }), '/leadTime'],
    ];
    for (const [body, where] of cases) {
      const res = await h.call('PUT', '/v1/policy', { body });
      assert.equal(res.json.error.code, 'VALIDATION_BODY', res.text);
      assert.ok(
        res.json.error.details.some((d: { path: string }) => d.path === where),
        `${where}: ${res.text}`,
      );
    }
    assert.deepEqual(h.state.calls, [], 'never reached the core');
  });

  it('documents the policy and tier schemas in the OpenAPI document', () => {
    const { PolicyDocument: doc, Tier: t }: Record<string, any> = h.api.document.components.schemas;
    assert.ok(doc === allocatePolicyModel.documentSchema);
    assert.deepEqual([...doc.required].sort(), ['instanceClasses', 'tiers']);
    assert.deepEqual([...t.required].sort(), ['priority', 'quantile']);
    assert.equal(t.properties.quantile.exclusiveMaximum, 1);
  });
});
