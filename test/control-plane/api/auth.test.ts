/** Every route but the health checks refuses a request without a valid bearer token, before the core. */
import { strict as assert } from 'node:assert';
import { BearerAuth } from '../../../control-plane/api/auth';
import { startHarness, type Harness } from './support/harness';

/** A concrete URL for an OpenAPI path: {param} → a valid id. */
const concrete = (path: string) => path.replace(/\{version\}/g, '1').replace(/\{[a-z]+\}/g, 'x1');

describe('api: bearer-token auth', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const refusals: Array<[string, string | null, Record<string, string>, string]> = [
    ['no Authorization header', null, {}, 'AUTH_TOKEN_MISSING'],
    ['a wrong token', 'not-the-token', {}, 'AUTH_TOKEN_INVALID'],
    ['another scheme', null, { authorization: 'Basic dXNlcjpwYXNz' }, 'AUTH_SCHEME_UNSUPPORTED'],
    ['an empty Bearer', null, { authorization: 'Bearer' }, 'AUTH_SCHEME_UNSUPPORTED'],
  ];

  for (const [what, token, headers, code] of refusals) {
    it(`answers 401 ${code} on every protected route for ${what}, and the core is never called`, async () => {
      const protectedRoutes = h.api.routes.filter((r) => !r.public);
      assert.ok(protectedRoutes.length > 30);
      h.state.calls = [];
      for (const r of protectedRoutes) {
        const res = await h.call(r.method.toUpperCase(), concrete(r.path), {
          token,
          headers,
          ...(r.body && { body: {} }),
        });
        assert.equal(res.status, 401, `${r.method} ${r.path}`);
        assert.equal(res.json.error.code, code, `${r.method} ${r.path}`);
        assert.match(res.headers.get('www-authenticate')!, /^Bearer realm="earmark"/);
      }
      assert.deepEqual(h.state.calls, []);
    });
  }

  it('accepts the token case-insensitively in the scheme, and serves health checks without one', async () => {
    const res = await h.call('GET', '/v1/instances', {
      token: null,
      headers: { authorization: `bearer ${h.token}` },
    });
    assert.equal(res.status, 200);
    for (const p of ['/healthz', '/readyz'])
      assert.equal((await h.call('GET', p, { token: null })).status, 200, p);
  });

  it('documents the scheme and marks exactly the health checks as public in the OpenAPI document', () => {
    const doc = h.api.document;
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    const publicOps = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { security?: unknown[]; operationId: string }>)
        .filter((op) => Array.isArray(op.security) && op.security.length === 0)
        .map((op) => op.operationId),
    );
    assert.deepEqual(publicOps.sort(), ['healthz', 'readyz']);
  });

  it('serves the dashboard shell without the token only when it is public', async () => {
    assert.equal((await h.call('GET', '/dashboard/', { token: null })).status, 200);
    const closed = await startHarness({ dashboard: { public: false } });
    try {
      const res = await closed.call('GET', '/dashboard/', { token: null });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, 'AUTH_TOKEN_MISSING');
      assert.equal((await closed.call('GET', '/dashboard/')).status, 200);
    } finally {
      await closed.close();
    }
  });

  it('refuses to build an app without a token', () => {
    assert.throws(() => new BearerAuth(['']), /non-empty token/);
  });
});
