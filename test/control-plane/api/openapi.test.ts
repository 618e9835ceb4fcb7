/** The OpenAPI document: complete, self-consistent, and the same thing the validators enforce. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ERROR_CODES } from '../../../control-plane/api/errors';
import { startHarness, type Harness } from './support/harness';

describe('api: the OpenAPI document', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('has one operation per route, with unique operationIds and path parameters matching the template', () => {
    const doc = h.api.document;
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ path, method, op: op as Record<string, any> })),
    );
    assert.equal(ops.length, h.api.routes.length);
    assert.equal(new Set(ops.map((o) => o.op.operationId)).size, ops.length);
    for (const { path, op } of ops) {
      const inTemplate = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = op.parameters
        .filter((p: { in: string }) => p.in === 'path')
        .map((p: { name: string }) => p.name)
        .sort();
      assert.deepEqual(declared, inTemplate, path);
      assert.ok(
        Object.keys(op.responses).some((s) => s.startsWith('2')),
        `${path} has a success response`,
      );
      assert.ok(op.summary.length > 5);
    }
  });

  it('resolves every $ref, and every component schema compiles under ajv strict mode', () => {
    const doc = h.api.document;
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)) {
      assert.ok(doc.components.schemas[m[1]], `dangling $ref ${m[1]}`);
    }
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    ajv.addKeyword({ keyword: 'components' });
    ajv.addSchema({ $id: 'doc.json', components: doc.components });
    for (const name of Object.keys(doc.components.schemas)) {
      assert.doesNotThrow(() => ajv.compile({ $ref: `doc.json#/components/schemas/${name}` }), name);
    }
  });

  it('refuses a response that breaks its documented schema (tests run with validateResponses)', async () => {
    h.state.users.set('broken', { user: 'broken', updatedAtMs: 1 } as never);
    const res = await h.call('GET', '/v1/users/broken');
    assert.equal(res.status, 500);
    assert.equal(res.json.error.code, 'INTERNAL');
    assert.ok(h.logs.some((l) => l.includes('getUser breaks its schema') && l.includes('/tier')));
  });

  it('enforces exactly what it documents: a body valid by the document passes, one field off fails', async () => {
    const schema = h.api.document.components.schemas.InstanceInput as { required: string[] };
    const body = {
      address: 'inst.local:9000',
      instanceClass: 'small',
      capacity: { slots: 1, cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1 },
    };
    assert.deepEqual(Object.keys(body).sort(), [...schema.required].sort());
    assert.equal((await h.call('PUT', '/v1/instances/i1', { body })).status, 201);
    for (const key of schema.required) {
      const partial: Record<string, unknown> = { ...body };
      delete partial[key];
      const res = await h.call('PUT', '/v1/instances/i1', { body: partial });
      assert.equal(res.json.error.code, 'VALIDATION_BODY', key);
      assert.deepEqual(res.json.error.details, [{ path: `/${key}`, message: 'is required' }]);
    }
  });

  it('is summarized in the README: every route and every error code', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../control-plane/api/README.md'), 'utf8');
    for (const r of h.api.routes) {
      assert.ok(
        readme.includes(`| ${r.method.toUpperCase()} | \`${r.path}\` | ${r.operationId}`),
        `${r.operationId} in README`,
      );
    }
    for (const code of ERROR_CODES) assert.ok(readme.includes(`| \`${code}\` |`), `${code} in README`);
  });
});
