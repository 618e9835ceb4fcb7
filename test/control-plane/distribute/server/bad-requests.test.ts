import { strict as assert } from 'node:assert';
import * as grpc from '@grpc/grpc-js';
import { RESERVATION_TYPE_URL } from '../../../../control-plane/distribute/codec/resource-codec';
import { DELTA_RESERVATIONS_PATH, deltaRequestCodec } from '../../../../control-plane/distribute/protos';
import { syntheticPlan } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { Harness, TOKEN } from '../harness';

/** Opens a raw stream, writes `messages` (objects or raw bytes) and returns the final status. */
async function rawCall(
  address: string,
  messages: (object | Buffer)[],
  path = DELTA_RESERVATIONS_PATH,
): Promise<grpc.StatusObject> {
  const codec = deltaRequestCodec<object>();
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${TOKEN}`);
  try {
    return await new Promise((resolve) => {
      const call = client.makeBidiStreamRequest(
        path,
        (m: object | Buffer) => (Buffer.isBuffer(m) ? m : codec.serialize(m)),
        (b: Buffer) => b,
        md,
      );
      call.on('status', resolve);
      call.on('error', () => undefined);
      call.on('data', () => undefined);
      for (const m of messages) call.write(m);
      call.end();
    });
  } finally {
    client.close();
  }
}

describe('distribute/server: malformed discovery requests', () => {
  const h = new Harness();
  beforeEach(async () => {
    await h.start();
    h.server.publishPlan(syntheticPlan('plan-1', { users: 5 }));
  });
  afterEach(() => h.cleanup());

  const cases: [string, (object | Buffer)[], RegExp][] = [
    ['a first request without node.id', [{ typeUrl: RESERVATION_TYPE_URL }], /must carry node\.id/],
    [
      'another resource type',
      [{ node: { id: 'n' }, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }],
      /is not served here/,
    ],
    [
      'bytes that are not a DeltaDiscoveryRequest',
      [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
      /undecodable DeltaDiscoveryRequest/,
    ],
    ['a node id longer than 256 characters', [{ node: { id: 'x'.repeat(300) } }], /longer than 256/],
    [
      // It could settle no response in flight, and each holds one of maxInFlight places for good.
      'a NACK that echoes no response_nonce',
      [
        { node: { id: 'n' }, typeUrl: RESERVATION_TYPE_URL },
        { typeUrl: RESERVATION_TYPE_URL, errorDetail: { code: 3, message: 'cannot read it' } },
      ],
      /must echo the response_nonce.*cannot read it/,
    ],
  ];
  for (const [what, messages, error] of cases) {
    it(`closes the stream with INVALID_ARGUMENT on ${what}, and keeps serving others`, async () => {
      const status = await rawCall(h.address, messages);
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.details, error);
      assert.ok(h.logger.lines.some((l) => l.msg === 'closing discovery stream'));
      const c = h.client('good-proxy');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
    });
  }

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const status = await rawCall(h.address, [], '/earmark.v1.Nope/Nothing');
    assert.equal(status.code, grpc.status.UNIMPLEMENTED);
  });

  it('ignores an ACK for a nonce it never sent (counted as stale)', async () => {
    const c = h.client('proxy-a');
    await c.waitFor(() => c.state.systemVersion === 'plan-1');
    const status = await rawCall(h.address, [
      { node: { id: 'proxy-b' }, typeUrl: RESERVATION_TYPE_URL },
      { responseNonce: 'never-sent' },
    ]);
    assert.equal(status.code, grpc.status.OK, 'the stream ends normally when the client half-closes');
    assert.ok(
      (await h.registry.getSingleMetricAsString('earmark_distribution_stale_nonces_total')).endsWith(' 1'),
    );
  });
});
