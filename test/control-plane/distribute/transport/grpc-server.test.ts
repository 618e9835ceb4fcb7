import { strict as assert } from 'node:assert';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer } from '../../../../control-plane/distribute/transport/grpc-server';
import {
  encodeGrpcMessage,
  GrpcError,
  Status,
} from '../../../../control-plane/distribute/transport/grpc-status';
import { MessageReader } from '../../../../control-plane/distribute/transport/message-framing';
import { syntheticPlan } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { Harness } from '../harness';

function h2request(
  port: number,
  headers: http2.OutgoingHttpHeaders,
): Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': '/earmark.v1.UsageReportingService/StreamUsage',
      ...headers,
    });
    req.on('response', (h) => {
      resolve(h);
      session.close();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('distribute/transport: gRPC over HTTP/2', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('answers a non-gRPC request with HTTP 415', async () => {
    const s = new GrpcServer();
    const { port } = await s.listen(0);
    try {
      const res = await h2request(port, { 'content-type': 'application/json' });
      assert.equal(res[':status'], 415);
    } finally {
      await s.stop(100);
    }
  });

  it('refuses a request compressed with an encoding it does not know, listing those it does', async () => {
    const s = new GrpcServer();
    s.handle('/earmark.v1.UsageReportingService/StreamUsage', () =>
      assert.fail('must not reach the handler'),
    );
    const { port } = await s.listen(0);
    try {
      const res = await h2request(port, { 'content-type': 'application/grpc', 'grpc-encoding': 'snappy' });
      assert.equal(res['grpc-status'], String(Status.UNIMPLEMENTED));
      assert.equal(res['grpc-accept-encoding'], 'identity,gzip,deflate');
    } finally {
      await s.stop(100);
    }
  });

  it('accepts gzip-compressed requests from a grpc-js client', async () => {
    await h.start();
    h.server.publishPlan(syntheticPlan('plan-1', { users: 50 }));
    const c = h.client('proxy-gzip', { channelOptions: { 'grpc.default_compression_algorithm': 2 } });
    await c.waitFor(() => c.state.systemVersion === 'plan-1');
    assert.ok(c.stats.acks >= 1);
  });

  it('ends open streams with UNAVAILABLE on stop, and the client keeps its reservations', async () => {
    await h.start();
    h.server.publishPlan(syntheticPlan('plan-1', { users: 50 }));
    const c = h.client('proxy-a', { reconnect: false });
    await c.waitFor(() => c.state.systemVersion === 'plan-1');
    await h.server.stop(500);
    await c.waitFor(() => c.lastStatus !== undefined, 5000, 'status');
    assert.equal(c.lastStatus!.code, grpc.status.UNAVAILABLE);
    assert.equal(c.state.size, 50);
    const n = h.server.node('proxy-a')!;
    assert.equal(n.connected, false, 'the server records the stream it ended as closed');
    assert.ok(
      (await h.registry.getSingleMetricAsString('earmark_distribution_streams')).includes(
        'service="discovery"} 0',
      ),
    );
  });

  it('refuses a message larger than the limit before buffering it', () => {
    const r = new MessageReader(100);
    const head = Buffer.from([0, 0, 0, 1, 0]); // a 256-byte message announced
    assert.throws(
      () => r.push(head),
      (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED,
    );
  });

  it('reassembles messages split across DATA frames, and several in one frame', () => {
    const r = new MessageReader(1000);
    const frame = (s: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, s.length]), Buffer.from(s)]);
    const all = Buffer.concat([frame('hello'), frame('xds'), frame('!')]);
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 3)
      for (const m of r.push(all.subarray(i, i + 3))) got.push(m.payload.toString());
    assert.deepEqual(got, ['hello', 'xds', '!']);
    assert.equal(r.pending, 0);
  });

  it('in reuse mode, reassembles split messages into one kept buffer, and exact bytes whatever the split', () => {
    const frame = (n: number, seed: number) =>
      Buffer.concat([Buffer.from([0, 0, 0, n >> 8, n & 0xff]), Buffer.alloc(n, seed)]);
    const all = Buffer.concat([frame(700, 1), frame(20, 2), frame(900, 3), frame(5, 4)]);
    for (const step of [1, 7, 64, 333, all.length]) {
      const r = new MessageReader(1000, true);
      const got: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for (let i = 0; i < all.length; i += step) {
        for (const m of r.push(all.subarray(i, i + step))) {
          got.push(Buffer.from(m.payload)); // lent until the next push
          if (m.payload.length >= 700) buffers.add(m.payload.buffer);
        }
      }
      assert.deepEqual(
        got.map((b) => [b.length, b[0], b[b.length - 1]]),
        [
          [700, 1, 1],
          [20, 2, 2],
          [900, 3, 3],
          [5, 4, 4],
        ],
        `split every ${step} bytes`,
      );
      assert.equal(r.pending, 0);
      if (step < 700) assert.equal(buffers.size, 1, 'the two split messages share the reused buffer');
    }
  });

  it('percent-encodes grpc-message as the gRPC spec requires', () => {
    assert.equal(encodeGrpcMessage('100% ok\n✓'), '100%25 ok%0A%E2%9C%93');
  });
});
