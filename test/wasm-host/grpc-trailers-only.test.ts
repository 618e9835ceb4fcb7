/**
 * A gRPC stream answered without response headers (trailers-only) still gets initial metadata,
 * as an empty map, before its trailing metadata and close; a stream that got headers gets them
 * once. Source: envoy source/common/grpc/async_client_impl.cc AsyncStreamImpl::onHeaders
 * (end_stream or non-200: onReceiveInitialMetadata(ResponseHeaderMapImpl::create()) before
 * onTrailers / streamError), relayed by extensions/common/wasm/context.h GrpcStreamClientHandler.
 */
import { strict as assert } from 'node:assert';
import * as grpc from '@grpc/grpc-js';
import type { EnvoyProcess } from '../../wasm-host';
import { newEnvoy, PROBE, wasmLogs } from './helpers';

const pass = (b: Buffer): Buffer => b;

describe('wasm-host: trailers-only gRPC responses (envoy AsyncStreamImpl::onHeaders)', function () {
  this.timeout(20000);
  let bare: grpc.Server; // no service: every call is answered UNIMPLEMENTED, trailers-only
  let failing: grpc.Server; // sends its headers, then fails the stream
  const addresses = { bare: '', failing: '' };
  let envoy: EnvoyProcess;

  const bind = (server: grpc.Server): Promise<string> =>
    new Promise((ok, ko) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? ko(e) : ok(`127.0.0.1:${p}`),
      ),
    );

  before(async () => {
    bare = new grpc.Server();
    failing = new grpc.Server();
    const chat = {
      path: '/earmark.test.Echo/Chat',
      requestStream: true,
      responseStream: true,
      requestSerialize: pass,
      requestDeserialize: pass,
      responseSerialize: pass,
      responseDeserialize: pass,
    };
    failing.addService(
      { Chat: chat },
      {
        Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          call.sendMetadata(new grpc.Metadata());
          call.on('data', () =>
            call.emit('error', {
              code: grpc.status.PERMISSION_DENIED,
              details: 'no',
              metadata: new grpc.Metadata(),
            }),
          );
        },
      },
    );
    addresses.bare = await bind(bare);
    addresses.failing = await bind(failing);
  });
  after(() => {
    bare.forceShutdown();
    failing.forceShutdown();
  });
  afterEach(() => envoy.close());

  /** The module's gRPC callbacks for one stream to `target`, in order, without their details. */
  const run = async (target: string): Promise<string[]> => {
    envoy = newEnvoy({ concurrency: 1, canary: false, clusters: { cp: target } });
    envoy.addWasmService({
      name: 'sync',
      rootId: 'sync',
      vmId: 'v',
      wasm: PROBE(),
      configuration: 'grpc_stream=cp',
      singleton: true,
    });
    await envoy.waitFor(() => wasmLogs(envoy, 'grpc_close').length > 0);
    return wasmLogs(envoy)
      .filter((l) => l.startsWith('grpc_'))
      .map((l) => l.replace(/ md=.*| get_status=.*/, ''));
  };

  it('UNIMPLEMENTED (no handler): empty initial metadata, then trailers, then close', async () => {
    assert.deepEqual(await run(addresses.bare), [
      'grpc_start root=1 unary=0 status=0 token=6',
      'grpc_initial_metadata token=6 n=0',
      'grpc_trailing_metadata token=6 n=4',
      'grpc_close root=1 token=6 status=12',
    ]);
  });

  it('an unreachable upstream (UNAVAILABLE): empty initial metadata, then trailers, then close', async () => {
    const lines = await run('127.0.0.1:1');
    assert.deepEqual(
      lines.map((l) => l.replace(/ n=\d+$/, '')),
      [
        'grpc_start root=1 unary=0 status=0 token=6',
        'grpc_initial_metadata token=6',
        'grpc_trailing_metadata token=6',
        'grpc_close root=1 token=6 status=14',
      ],
    );
    assert.equal(lines[1], 'grpc_initial_metadata token=6 n=0');
  });

  it('headers then a failure: the headers are the only initial metadata', async () => {
    const lines = await run(addresses.failing);
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines[1], /^grpc_initial_metadata token=6 n=[1-9]/, 'the real headers, not an empty map');
    assert.match(lines[2], /^grpc_trailing_metadata token=6/);
    assert.equal(lines[3], 'grpc_close root=1 token=6 status=7');
  });
});
