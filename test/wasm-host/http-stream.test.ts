/**
 * HTTP stream semantics.
 * Sources: proxy-wasm-cpp-host src/context.cc (convertVmCallResultToFilterHeadersStatus:
 * StopIteration → StopAllIterationAndWatermark in ABI 0.2.x; DeferAfterCallActions),
 * src/exports.cc send_local_response (stopNextIteration(true)), set_effective_context;
 * envoy source/extensions/common/wasm/context.cc (decodeHeaders drops request_headers_ on Continue,
 * continueStream and sendLocalResponse deferred with addAfterVmCallAction, log, onDestroy),
 * source/common/http/conn_manager_impl.cc doDeferredStreamDestroy (log() before destroyFilters()).
 */
import { strict as assert } from 'node:assert';
import { WasmResult, type EnvoyProcess } from '../../wasm-host';
import { newEnvoy, probe, r, send, wasmLogs } from './helpers';

describe('wasm-host: HTTP streams (envoy context.cc, cpp-host context.cc)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy()));
  afterEach(() => envoy.close());

  it('creates the in-VM context lazily at the first request headers (ContextBase::onCreate)', () => {
    const p = probe(envoy);
    const s = p.newStream(0);
    assert.equal(s.contextId, 2, 'root is 1, the first stream 2 (allocContextId)');
    s.finish(); // never saw headers: Envoy still creates it for the access log, then destroys it
    assert.deepEqual(wasmLogs(envoy, 'id=2'), [
      'on_log id=2 req_header_status=1 resp_status=none',
      'on_done id=2',
      'on_delete id=2',
    ]);
  });

  it('PAUSE from on_request_headers stops ALL iteration: the body waits, then reaches the filter on resume', () => {
    const p = probe(envoy, { configuration: 'tick=10' });
    const s = p.newStream(0);
    assert.equal(send(s, 'pause,wait_tick,log_body'), 'pause');
    assert.equal(s.lastStatus, 'StopAllIterationAndWatermark');
    assert.equal(s.sendRequestBody('payload', true), 'pause');
    assert.deepEqual(wasmLogs(envoy, 'request_body'), [], 'on_request_body not called while stopped');
    assert.equal(s.requestContinued, false);
    envoy.advance(10); // on_tick: set_effective_context(stream) + continue_stream(REQUEST)
    assert.match(wasmLogs(envoy, 'resume stream=2')[0], /effective=0 continue=0/);
    assert.equal(s.requestContinued, true);
    assert.deepEqual(wasmLogs(envoy, 'request_body'), ['request_body id=2 size=7 eos=1 body=payload']);
    assert.equal(Buffer.from(s.requestBody).toString(), 'payload');
  });

  it('proxy_continue_stream inside the callback takes effect only after it returns', () => {
    const s = probe(envoy).newStream(0);
    const result = send(s, 'continue_now,pause');
    // continue_stream also makes Envoy drop its request-map pointer at once: the probe's later
    // attempt to record a result header fails (context.cc continueStream clears request_headers_).
    assert.equal(r(s, 'cont'), undefined);
    assert.equal(s.lastStatus, 'StopAllIterationAndWatermark', 'the callback itself returned a stop');
    assert.equal(result, 'continue', 'then the deferred continue resumed the stream');
    assert.equal(s.requestContinued, true);
  });

  it('a local reply stops the current callback even if it returned CONTINUE, and acts after it returns', () => {
    const s = probe(envoy).newStream(0);
    const result = send(s, 'reply:429,add:x-after=1');
    assert.equal(result, 'local_reply');
    assert.equal(s.lastStatus, 'StopAllIterationAndWatermark');
    assert.equal(r(s, 'after'), undefined);
    assert.equal(s.requestHeaders.get('x-after'), '1', 'the callback kept running after the call');
    assert.equal(s.requestContinued, false);
    const reply = s.localReply!;
    assert.equal(reply.status, 429);
    assert.equal(reply.body, 'denied');
    assert.equal(reply.details, 'probe_said_no', 'whitespace in details becomes _');
    assert.equal(reply.grpcStatus, undefined, 'grpc_status -1 means none');
    // utility.cc prepareLocalReply: :status, the plugin's headers, then content-length and type.
    assert.deepEqual(reply.headers, [
      [':status', '429'],
      ['x-reason', 'quota'],
      ['content-length', '6'],
      ['content-type', 'text/plain'],
    ]);
    // The local reply goes through the encoder path of the same filter.
    assert.deepEqual(wasmLogs(envoy, 'response_'), [
      'response_headers id=2 n=4 eos=0 status=429',
      'response_body id=2 size=6 eos=1 body=denied',
    ]);
    assert.equal(s.sendRequestBody('late'), 'local_reply', 'nothing more reaches the filter');
  });

  it('a local reply keeps the plugin content-type (no text/plain added); no body, no length', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'reply_json:429');
    assert.deepEqual(s.localReply!.headers, [
      [':status', '429'],
      ['content-type', 'application/json'],
      ['retry-after', '3'],
      ['content-length', '17'],
    ]);
    const e = probe(envoy).newStream(0);
    send(e, 'reply_empty:204');
    assert.deepEqual(e.localReply!.headers, [[':status', '204']]);
  });

  it('a gRPC request gets a trailers-only gRPC local reply', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'reply_grpc:403', { 'content-type': 'application/grpc' });
    assert.deepEqual(s.localReply!.headers, [
      [':status', '200'],
      ['x-reason', 'quota'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '8'],
      ['grpc-message', 'denied'],
    ]);
  });

  it('Envoy forgets the request headers once on_request_headers continued (BAD_ARGUMENT later)', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'resp_read_req');
    s.sendResponseHeaders({ ':status': '200' }, true);
    assert.equal(s.responseHeaders.get('x-r-reqmap'), String(WasmResult.BadArgument));
    s.finish(); // in on_log (access-log phase) they are readable again
    assert.match(wasmLogs(envoy, 'on_log')[0], /req_header_status=0 resp_status=200/);
  });

  it('while paused the request headers stay readable and writable', () => {
    const s = probe(envoy, { configuration: 'tick=5' }).newStream(0);
    send(s, 'pause,wait_tick,body_reqmap', {}, false);
    s.sendRequestBody('x', true);
    envoy.advance(5);
    // continue_stream drops Envoy's pointer to the request map before on_request_body runs.
    assert.deepEqual(wasmLogs(envoy, 'body_reqmap'), [`body_reqmap=${WasmResult.BadArgument}`]);
  });

  it('ends with on_log, then on_done, then on_delete (conn_manager_impl.cc: log before destroyFilters)', () => {
    const s = probe(envoy).newStream(0);
    send(s, '');
    s.sendResponseHeaders({ ':status': '204' }, true);
    s.finish();
    assert.deepEqual(wasmLogs(envoy, 'id=2').slice(-3), [
      'on_log id=2 req_header_status=0 resp_status=204',
      'on_done id=2',
      'on_delete id=2',
    ]);
    assert.equal(s.finished, true);
    s.finish();
    assert.equal(wasmLogs(envoy, 'on_delete').length, 1, 'finish is idempotent');
  });

  it('response PAUSE holds the response until proxy_continue_stream(RESPONSE)', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'resp_pause,resp_add');
    assert.equal(s.sendResponseHeaders({ ':status': '200' }), 'pause');
    assert.equal(s.responseContinued, false);
    assert.equal(s.responseHeaders.get('x-resp'), 'probe');
  });

  it('proxy_close_stream resets the stream after the callback, then tears the filter down', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'close');
    assert.equal(r(s, 'close'), '0');
    assert.equal(s.resetReason, 'wasm_close_stream');
    assert.equal(s.finished, true);
    assert.ok(wasmLogs(envoy, 'on_delete id=2').length === 1);
  });

  it('proxy_set_effective_context: unknown id is BAD_ARGUMENT; a known one redirects later host calls', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'effective:999,effective:1,add:x-late=1');
    // After switching to the root context (id 1) the header calls act on a context without a
    // request map, so the second result and x-late are not added (BAD_ARGUMENT in the module).
    assert.deepEqual(s.requestHeaders.getAll('x-r-eff'), [String(WasmResult.BadArgument)]);
    assert.equal(s.requestHeaders.get('x-late'), undefined);
  });

  it('body buffering: StopIterationAndBuffer accumulates chunks, set_buffer_bytes replaces them', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'body_buffer,log_body,body_replace');
    assert.equal(s.sendRequestBody('ab', false), 'pause');
    assert.equal(s.sendRequestBody('cd', true), 'continue');
    assert.deepEqual(
      wasmLogs(envoy, 'request_body').map((l) => l.replace(/ id=\d+/, '')),
      [
        'request_body size=2 eos=0 body=ab',
        'request_body size=10 eos=1 body=REPLACEDcd', // the buffered (already replaced) data + the new chunk
      ],
    );
    assert.equal(Buffer.from(s.requestBody).toString(), 'REPLACED');
  });
});
