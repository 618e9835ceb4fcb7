/**
 * The demo stack's own scripts (envoy/compose/), run here with Node since Docker cannot: the JWT
 * keys are made once, the load generator's tokens verify against that JWKS with exactly the
 * issuer and audience envoy.yaml requires, and a companion instance answers with its id and the
 * user Envoy identified, and registers itself with the control plane's API.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE = path.join(ROOT, 'envoy', 'compose');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('compose scripts', function () {
  this.timeout(30_000);
  let keys: string;
  before(() => {
    keys = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-jwt-'));
  });
  after(() => fs.rmSync(keys, { recursive: true, force: true }));

  it('jwt-keys makes a signing key and a JWKS once, and keeps them on a second run', () => {
    const run = () =>
      execFileSync('node', [path.join(COMPOSE, 'jwt-keys.mjs')], {
        env: { ...process.env, KEYS_DIR: keys },
      }).toString();
    assert.match(run(), /wrote/);
    const first = fs.readFileSync(path.join(keys, 'jwks.json'), 'utf8');
    assert.match(run(), /already/);
    assert.equal(fs.readFileSync(path.join(keys, 'jwks.json'), 'utf8'), first);
  });

  it("signs tokens that verify against the JWKS, with envoy.yaml's issuer and audience", () => {
    const script = `import('${path.join(COMPOSE, 'jwt.mjs')}').then((m) => {
      const key = require('node:fs').readFileSync(${JSON.stringify(path.join(keys, 'signing-key.pem'))}, 'utf8');
      process.stdout.write(m.signToken(key, 'user-7').jwt);
    })`;
    const jwt = execFileSync('node', ['-e', script]).toString();
    const [head, body, sig] = jwt.split('.');
    const jwks = JSON.parse(fs.readFileSync(path.join(keys, 'jwks.json'), 'utf8'));
    const header = JSON.parse(Buffer.from(head, 'base64url').toString());
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
    assert.ok(jwk, `no key ${header.kid} in the JWKS`);
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(sig, 'base64url'),
    );
    assert.ok(ok, 'signature does not verify');

    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const envoy = parse(fs.readFileSync(path.join(ROOT, 'envoy', 'envoy.yaml'), 'utf8'));
    const jwtFilter =
      envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.find(
        (f: { name: string }) => f.name === 'envoy.filters.http.jwt_authn',
      );
    const provider = jwtFilter.typed_config.providers.earmark_idp;
    assert.equal(claims.iss, provider.issuer);
    assert.ok(provider.audiences.includes(claims.aud));
    assert.equal(claims.sub, 'user-7');
    assert.equal(provider.claim_to_headers[0].claim_name, 'sub');
  });

  it('a companion answers with its id and the identified user, serves /healthz and registers itself', async () => {
    const port = await freePort();
    // A stand-in for the control plane's API that records the registration.
    const seen: { method?: string; url?: string; auth?: string; body?: any } = {};
    let registered!: () => void;
    const got = new Promise<void>((r) => (registered = r));
    const api = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        Object.assign(seen, {
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          body: JSON.parse(data),
        });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
        registered();
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const apiUrl = `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`;
    const child = spawn('node', [path.join(COMPOSE, 'companion.mjs')], {
      env: {
        ...process.env,
        PORT: String(port),
        INSTANCE_ID: 'companion-t',
        WORK_MS: '1',
        CONTROL_PLANE_URL: apiUrl,
        API_TOKEN: 'test-token',
        INSTANCE_ADDRESS: `127.0.0.1:${port}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
        child.on('exit', (code) => reject(new Error(`companion exited ${code}`)));
      });
      const r = await fetch(`http://127.0.0.1:${port}/work`, { headers: { 'x-earmark-user': 'user-7' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-served-by'), 'companion-t');
      assert.deepEqual(await r.json(), { instance: 'companion-t', user: 'user-7', path: '/work' });
      const h = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(await h.text(), 'ok\n');
      await got;
      assert.equal(seen.method, 'PUT');
      assert.equal(seen.url, '/v1/instances/companion-t');
      assert.equal(seen.auth, 'Bearer test-token');
      assert.equal(seen.body.address, `127.0.0.1:${port}`);
      assert.equal(seen.body.capacity.slots, 200);
    } finally {
      child.kill();
      api.close();
    }
  });
});
