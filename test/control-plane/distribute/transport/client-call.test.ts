import { strict as assert } from 'node:assert';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ReservationClient } from '../../../../control-plane/distribute/client/reservation-client';
import { encodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import {
  encodeResourceField,
  RESERVATION_TYPE_URL,
} from '../../../../control-plane/distribute/codec/resource-codec';
import { DELTA_RESERVATIONS_PATH } from '../../../../control-plane/distribute/protos';
import { syntheticReservation } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  Status,
} from '../../../../control-plane/distribute/transport/grpc-status';
import { GrpcChannel } from '../../../../control-plane/distribute/transport/grpc-channel';
import { frameHeader, frameMessage } from '../../../../control-plane/distribute/transport/message-framing';
import { eventually } from '../harness';

const good = syntheticReservation(0, { users: 1 });
const GOOD_RESPONSE = frameMessage(
  encodeDeltaResponse({
    systemVersionInfo: 'plan-1',
    typeUrl: RESERVATION_TYPE_URL,
    nonce: 'n-1',
    resourceFields: [encodeResourceField(good, 'v1', 0)],
    removed: [],
  }),
  false,
);

/**
 * A gRPC server by hand: every call gets a good response with one reservation; once the client
 * has ACKed it, `after` decides what the first call gets next (later calls get nothing more).
 */
class RawServer {
  readonly calls: { headers: http2.IncomingHttpHeaders; body: Buffer[] }[] = [];
  private readonly http = http2.createServer();
  address = '';

  constructor(after: (s: http2.ServerHttp2Stream) => void) {
    this.http.on('stream', (s, headers) => {
      const call = { headers, body: [] as Buffer[] };
      this.calls.push(call);
      const first = this.calls.length === 1;
      s.on('error', () => undefined);
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      // Trailers with an OK status unless the case sends its own.
      s.on('wantTrailers', () => {
        if (s.listenerCount('wantTrailers') === 1) s.sendTrailers({ 'grpc-status': '0' });
      });
      s.write(GOOD_RESPONSE);
      s.on('data', (d: Buffer) => {
        call.body.push(d);
        // The subscription is the first message, the ACK the second.
        if (first && messagesIn(Buffer.concat(call.body)) === 2) after(s);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    this.address = `127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => this.http.close(() => r()));
  }
}

/** Counts whole length-prefixed messages in a request body. */
function messagesIn(body: Buffer): number {
  let n = 0;
  for (let p = 0; p + 5 <= body.length; p += 5 + body.readUInt32BE(p + 1)) {
    if (p + 5 + body.readUInt32BE(p + 1) > body.length) break;
    n++;
  }
  return n;
}

describe('distribute/transport: gRPC client call on node:http2', () => {
  let server: RawServer | undefined;
  let client: ReservationClient | undefined;
  afterEach(async () => {
    client?.stop();
    await server?.close();
    client = server = undefined;
  });

  const start = async (after: (s: http2.ServerHttp2Stream) => void) => {
    server = await new RawServer(after).listen();
    client = new ReservationClient({
      address: server.address,
      nodeId: 'proxy-a',
      token: 'tok',
      transport: 'http2',
      reconnect: { initialMs: 20, maxMs: 50 },
    }).start();
    return client;
  };

  it('sends what a grpc-js client sends: POST, application/grpc, te: trailers, metadata, framed messages', async () => {
    const c = await start(() => undefined);
    await c.waitFor(() => c.stats.acks === 1, 10_000, 'the ACK');
    await eventually(() => messagesIn(Buffer.concat(server!.calls[0].body)) === 2, 'both requests');
    const h = server!.calls[0].headers;
    assert.equal(h[':method'], 'POST');
    assert.equal(h[':path'], DELTA_RESERVATIONS_PATH);
    assert.equal(h['content-type'], 'application/grpc');
    assert.equal(h.te, 'trailers');
    assert.equal(h.authorization, 'Bearer tok');
    assert.equal(h['grpc-accept-encoding'], 'identity,deflate,gzip');
    assert.equal(h['grpc-timeout'], undefined, 'no deadline on the stream');
    const body = Buffer.concat(server!.calls[0].body);
    assert.equal(body[0], 0, 'requests are not compressed');
    assert.equal(c.state.get(good.user)!.version, 'v1');
  });

  const malformed: [string, (s: http2.ServerHttp2Stream) => void, number, RegExp][] = [
    [
      'a message flag other than 0 and 1',
      (s) => s.write(Buffer.from([2, 0, 0, 0, 1, 7])),
      Status.INTERNAL,
      /invalid message flag 2/,
    ],
    [
      'a compressed message on a call that negotiated no compression',
      (s) => s.write(frameMessage(Buffer.from('x'), true)),
      Status.INTERNAL,
      /compressed flag set .* no grpc-encoding/,
    ],
    [
      'a message over the size limit',
      (s) => s.write(frameHeader(0xffff_fff0, false)),
      Status.RESOURCE_EXHAUSTED,
      /exceeds the limit/,
    ],
    [
      'an end of stream inside a message',
      (s) => s.end(Buffer.concat([frameHeader(100, false), Buffer.alloc(10)])),
      Status.INTERNAL,
      /stream ended inside a message/,
    ],
    [
      'trailers without grpc-status',
      (s) => {
        s.once('wantTrailers', () => s.sendTrailers({ 'x-other': '1' }));
        s.end();
      },
      Status.UNKNOWN,
      /without a valid grpc-status/,
    ],
    [
      'a grpc-status that names no gRPC code',
      (s) => {
        s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '' }));
        s.end();
      },
      Status.UNKNOWN,
      /without a valid grpc-status \(\)/,
    ],
    [
      'a grpc-status past the last gRPC code',
      (s) => {
        s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '17' }));
        s.end();
      },
      Status.UNKNOWN,
      /without a valid grpc-status \(17\)/,
    ],
    [
      'a reset stream',
      (s) => s.close(http2.constants.NGHTTP2_INTERNAL_ERROR),
      Status.INTERNAL,
      /reset by the server/,
    ],
  ];
  for (const [what, send, code, message] of malformed) {
    it(`ends the call on ${what} with a clear status, keeps its state, and reconnects`, async () => {
      const c = await start(send);
      await c.waitFor(() => c.lastStatus !== undefined, 10_000, 'the status');
      assert.equal(c.lastStatus!.code, code);
      assert.match(c.lastStatus!.details, message);
      assert.equal(c.state.size, 1, 'the last good state is kept');
      assert.equal(c.state.systemVersion, 'plan-1');
      await c.waitFor(() => c.stats.connects >= 2 && c.stats.responses >= 2, 10_000, 'reconnect');
    });
  }

  it('NACKs, with its nonce, a response whose resources cannot be read, and keeps the stream', async () => {
    // A resource named by a byte that is not UTF-8; the nonce comes after the resources.
    const resource = [0x0a, 0x02, 0x76, 0x31, 0x1a, 0x01, 0xff];
    const bad = encodeDeltaResponse({
      systemVersionInfo: 'plan-2',
      typeUrl: RESERVATION_TYPE_URL,
      nonce: 'n-2',
      resourceFields: [Buffer.from([0x12, resource.length, ...resource])],
      removed: [],
    });
    const c = await start((s) => s.write(frameMessage(bad, false)));
    await c.waitFor(() => c.stats.nacks === 1, 10_000, 'the NACK');
    assert.match(c.lastNack!.error, /undecodable response/);
    assert.equal(c.lastNack!.nonce, 'n-2', 'the NACK names the response');
    assert.equal(c.lastStatus, undefined, 'the call is still up');
    assert.equal(c.state.size, 1);
  });

  it('ends the stream on a message whose nonce cannot be read (no NACK could name it), keeps its state, and reconnects', async () => {
    const c = await start((s) => s.write(frameMessage(Buffer.from([0x0a, 0xff]), false)));
    await c.waitFor(() => c.stats.undecodable === 1, 10_000, 'the undecodable response');
    assert.match(c.lastUndecodable!, /undecodable response/);
    assert.equal(c.stats.nacks, 0, 'no nonce-less NACK');
    assert.equal(c.state.size, 1, 'the last good state is kept');
    await c.waitFor(() => c.stats.connects >= 2 && c.stats.responses >= 3, 10_000, 'reconnect');
  });

  it('reports the server status from trailers, percent-decoded', async () => {
    const c = await start((s) => {
      s.once('wantTrailers', () =>
        s.sendTrailers({ 'grpc-status': '14', 'grpc-message': encodeGrpcMessage('going away: 100% — bye') }),
      );
      s.end();
    });
    await c.waitFor(() => c.lastStatus !== undefined, 10_000, 'the status');
    assert.deepEqual(c.lastStatus, { code: Status.UNAVAILABLE, details: 'going away: 100% — bye' });
  });

  it('maps a non-200 HTTP status as gRPC clients do', async () => {
    const http = http2.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      client = new ReservationClient({
        address: `127.0.0.1:${(http.address() as AddressInfo).port}`,
        nodeId: 'proxy-b',
        transport: 'http2',
        reconnect: false,
      }).start();
      const c = client;
      await c.waitFor(() => c.lastStatus !== undefined, 10_000, 'the status');
      assert.equal(c.lastStatus!.code, Status.UNAVAILABLE);
      assert.match(c.lastStatus!.details, /HTTP status 503/);
    } finally {
      client?.stop();
      await new Promise((r) => http.close(r));
    }
  });

  it('decodes grpc-message as it was encoded, and keeps malformed escapes as they are', () => {
    for (const m of ['plain', '50% off', 'ünïcödé ✓', 'line\nbreak']) {
      assert.equal(decodeGrpcMessage(encodeGrpcMessage(m)), m);
    }
    assert.equal(decodeGrpcMessage('bad %zz escape %4'), 'bad %zz escape %4');
  });

  it('can be closed between the TCP connect and the session connect event without throwing', async () => {
    server = await new RawServer(() => undefined).listen();
    const channel = new GrpcChannel(server.address);
    const call = channel.call(DELTA_RESERVATIONS_PATH, {});
    const status = new Promise((r) => call.on('status', r));
    // Node's session emits 'connect' on the tick after the socket's: close in between, as a
    // client stopped right then does (it used to throw ERR_HTTP2_INVALID_SESSION from the handler).
    const socket = (channel as unknown as { session: http2.ClientHttp2Session }).session.socket;
    socket.once('connect', () => channel.close());
    assert.equal(((await status) as { code: number }).code, Status.UNAVAILABLE);
  });

  it('refuses grpc-js-only options with the http2 transport', () => {
    assert.throws(
      () => new ReservationClient({ address: 'x:1', nodeId: 'n', transport: 'http2', channelOptions: {} }),
      /grpc-js options/,
    );
  });
});
