import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { syntheticPlan } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { CLIENT_TRANSPORTS, Harness } from '../harness';

const opts = { users: 10 };

/** A self-signed certificate for localhost and 127.0.0.1, in a temporary directory. */
function selfSigned(dir: string): { key: string; cert: string } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: authentication and TLS (${transport} client)`, () => {
    const h = new Harness(transport);
    afterEach(() => h.cleanup());

    for (const [what, token] of [
      ['a wrong token', 'not-the-token'],
      ['no token', undefined],
    ] as const) {
      it(`refuses ${what} with UNAUTHENTICATED and sends nothing`, async () => {
        await h.start();
        h.server.publishPlan(syntheticPlan('plan-1', opts));
        const c = h.client('intruder', { token, reconnect: false });
        await c.waitFor(() => c.lastStatus !== undefined, 10_000, 'refusal');
        assert.equal(c.lastStatus!.code, grpc.status.UNAUTHENTICATED);
        assert.match(c.lastStatus!.details, token ? /invalid bearer token/ : /missing authorization/);
        assert.equal(c.stats.responses, 0);
        assert.equal(c.state.size, 0);
        assert.equal(h.server.node('intruder'), undefined, 'a refused call never becomes a node');
        const metric = await h.registry.getSingleMetricAsString('earmark_distribution_auth_failures_total');
        assert.match(metric, new RegExp(`reason="${token ? 'invalid' : 'missing'}"} 1`));
      });
    }

    it('accepts tokens through a verify function', async () => {
      await h.start({ auth: { verify: (t) => t === 'from-the-secret-store' } });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { token: 'from-the-secret-store' });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
    });

    it('serves over TLS with certificates read from files', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-tls-'));
      try {
        const { key, cert } = selfSigned(dir);
        await h.start({ tls: { certFile: cert, keyFile: key } });
        h.server.publishPlan(syntheticPlan('plan-1', opts));
        const c = h.client('proxy-tls', h.tlsOptions(fs.readFileSync(cert)));
        await c.waitFor(() => c.state.systemVersion === 'plan-1', 10_000, 'sync over TLS');
        assert.equal(c.state.size, 10);
        const plain = h.client('proxy-plain', { reconnect: false });
        await plain.waitFor(() => plain.lastStatus !== undefined, 10_000, 'plaintext refusal');
        assert.equal(plain.stats.responses, 0, 'a plaintext client gets nothing from a TLS server');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

describe('distribute/server: authentication and TLS (transport-independent)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('refuses an authorization header that is not a Bearer token', async () => {
    await h.start();
    const client = new grpc.Client(h.address, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', 'Basic dXNlcjpwYXNz');
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = client.makeBidiStreamRequest(
        '/earmark.v1.ReservationDiscoveryService/DeltaReservations',
        (b: Buffer) => b,
        (b: Buffer) => b,
        md,
      );
      call.on('status', resolve);
      call.on('error', () => undefined);
    });
    client.close();
    assert.equal(status.code, grpc.status.UNAUTHENTICATED);
    assert.match(status.details, /Bearer/);
  });

  it('fails to start on unreadable certificate files, with the path in the error', async () => {
    await assert.rejects(
      async () => h.start({ tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } }),
      /cannot read TLS certFile \/nonexistent\/cert\.pem/,
    );
  });
});
