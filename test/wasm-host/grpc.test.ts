/**
 * The gRPC bridge: proxy_grpc_call / proxy_grpc_stream become real @grpc/grpc-js calls.
 * Sources: envoy source/extensions/common/wasm/context.cc (grpcCall/grpcStream: GrpcService bytes,
 * else a cluster name; tokens from nextGrpcCallId/nextGrpcStreamId; onGrpcReceiveWrapper,
 * onGrpcCloseWrapper with status readable through proxy_get_status), context.h
 * (GrpcCallClientHandler: success → receive only, failure → close; GrpcStreamClientHandler:
 * initial metadata, messages, trailing metadata, remote close), proxy-wasm-cpp-host src/exports.cc
 * grpc_* (the root context owns calls), include/proxy-wasm/wasm.h (callout ids).
 */
import { strict as assert } from 'node:assert';
import * as grpc from '@grpc/grpc-js';
import { encodeGrpcService, parseGrpcService, type EnvoyProcess } from '../../wasm-host';
import { newEnvoy, PROBE, wasmLogs } from './helpers';

const grpcLogs = (e: EnvoyProcess): string[] => wasmLogs(e).filter((l) => l.startsWith('grpc_'));

const pass = (b: Buffer): Buffer => b;
const method = (name: string, stream: boolean): grpc.MethodDefinition<Buffer, Buffer> => ({
  path: `/earmark.test.Echo/${name}`,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: pass,
  requestDeserialize: pass,
  responseSerialize: pass,
  responseDeserialize: pass,
});

describe('wasm-host: gRPC bridge (envoy context.cc grpcCall/grpcStream)', function () {
  this.timeout(20000);
  let server: grpc.Server;
  let address = '';
  const seen: { auth: string[]; messages: string[] } = { auth: [], messages: [] };
  let unaryError: grpc.ServiceError | null = null;

  before(async () => {
    server = new grpc.Server();
    server.addService(
      { Chat: method('Chat', true), Unary: method('Unary', false) },
      {
        Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          seen.auth.push(String(call.metadata.get('authorization')[0]));
          call.on('data', (d: Buffer) => {
            seen.messages.push(d.toString());
            const md = new grpc.Metadata();
            md.set('x-server', 'yes');
            call.sendMetadata(md);
            call.write(Buffer.from(`pong:${d}`));
            const trailers = new grpc.Metadata();
            trailers.set('x-trailer', 'bye');
            call.end(trailers);
          });
        },
        Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          seen.auth.push(String(call.metadata.get('authorization')[0]));
          if (unaryError) cb(unaryError);
          else cb(null, Buffer.from(`pong:${call.request}`));
        },
      },
    );
    const port = await new Promise<number>((ok, ko) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());

  let envoy: EnvoyProcess;
  beforeEach(() => {
    seen.auth = [];
    seen.messages = [];
    unaryError = null;
    envoy = newEnvoy({ concurrency: 1, canary: false, clusters: { cp: address } });
  });
  afterEach(() => envoy.close());

  const service = (config: string) =>
    envoy.addWasmService({
      name: 'sync',
      rootId: 'sync',
      vmId: 'v',
      wasm: PROBE(),
      configuration: config,
      singleton: true,
    });

  it('a stream delivers initial metadata, messages, trailers and close to the calling root, in order', async () => {
    service('grpc_stream=cp');
    await envoy.waitFor(() => wasmLogs(envoy, 'grpc_close').length > 0);
    assert.deepEqual(seen.auth, ['Bearer t0ken'], 'initial metadata passed through');
    assert.deepEqual(seen.messages, ['hello'], 'raw bytes passed through');
    const lines = envoy.logs
      .filter((l) => l.message.startsWith('grpc_'))
      .map((l) => `${l.thread} ${l.message}`);
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.match(lines[0], /^main_thread grpc_start root=1 unary=0 status=0 token=6$/);
    assert.match(
      lines[1],
      /^main_thread grpc_initial_metadata token=6 n=\d+ md=:status=200;content-type=application\/grpc;.*x-server=yes/,
    );
    assert.equal(lines[2], 'main_thread grpc_receive root=1 token=6 size=10 msg=pong:hello');
    assert.match(
      lines[3],
      /^main_thread grpc_trailing_metadata token=6 n=\d+ md=grpc-status=0;.*x-trailer=bye/,
    );
    assert.equal(lines[4], 'main_thread grpc_close root=1 token=6 status=0 get_status=0:');
  });

  it('a unary call gets on_grpc_receive only on success', async () => {
    service('grpc_call=cp');
    await envoy.waitFor(() => wasmLogs(envoy, 'grpc_receive').length > 0);
    assert.deepEqual(grpcLogs(envoy), [
      'grpc_start root=1 unary=1 status=0 token=5',
      'grpc_receive root=1 token=5 size=9 msg=pong:ping',
    ]);
    await new Promise((r) => setTimeout(r, 50));
    envoy.drain();
    assert.deepEqual(wasmLogs(envoy, 'grpc_close'), []);
  });

  it('a failed unary call reports its status and message through on_grpc_close / proxy_get_status', async () => {
    unaryError = Object.assign(new Error('nope'), {
      code: grpc.status.PERMISSION_DENIED,
      details: 'nope',
      metadata: new grpc.Metadata(),
    });
    service('grpc_call=cp');
    await envoy.waitFor(() => wasmLogs(envoy, 'grpc_close').length > 0);
    assert.deepEqual(wasmLogs(envoy, 'grpc_close'), ['grpc_close root=1 token=5 status=7 get_status=7:nope']);
  });

  it('an unknown cluster fails the start (INTERNAL_FAILURE) and reports UNAVAILABLE after the callback', () => {
    service('grpc_stream=nowhere');
    assert.deepEqual(grpcLogs(envoy), [
      'grpc_start root=1 unary=0 status=10 token=0',
      'grpc_close root=1 token=6 status=14 get_status=14:Cluster not available',
    ]);
  });

  it('a service that is not a GrpcService message is taken as a cluster name (ParseFailure if unknown)', async () => {
    service('grpc_raw=cp');
    await envoy.waitFor(() => wasmLogs(envoy, 'grpc_receive').length > 0);
    assert.match(wasmLogs(envoy, 'grpc_start')[0], /status=0 token=5/);
    const e2 = newEnvoy({ concurrency: 1, canary: false });
    try {
      e2.addWasmService({
        name: 's',
        vmId: 'v',
        wasm: PROBE(),
        configuration: 'grpc_raw=cp',
        singleton: true,
      });
      assert.deepEqual(wasmLogs(e2, 'grpc_start'), ['grpc_start root=1 unary=1 status=4 token=0']);
    } finally {
      await e2.close();
    }
  });

  it('google_grpc.target_uri connects directly; GrpcService initial_metadata is sent', () => {
    const bytes = encodeGrpcService({ targetUri: '127.0.0.1:1', metadata: [['x-k', 'v']] });
    assert.deepEqual(parseGrpcService(bytes), {
      targetUri: '127.0.0.1:1',
      cluster: undefined,
      metadata: [['x-k', 'v']],
    });
    assert.deepEqual(parseGrpcService(encodeGrpcService({ cluster: 'cp' }))?.cluster, 'cp');
    assert.equal(parseGrpcService(new Uint8Array([0x0a, 0x05, 0x0a])), undefined, 'truncated');
  });
});
