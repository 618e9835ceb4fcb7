/**
 * Refusals, traps and bad pointers: the host survives every one and reports it.
 * Sources: proxy-wasm-cpp-host src/v8/v8.cc (link: missing import / import type mismatch;
 * getModuleFunctionImpl: bad signature; a trap → fail(RuntimeError, "Function: … failed")),
 * src/wasm.cc (load: ABI version; getFunctions: malloc; canary: start + configure or the config
 * is rejected), include/proxy-wasm/wasm.h allocMemory (restricted callbacks; a bad allocation →
 * INVALID_MEMORY_ACCESS), src/exports.cc (bounds-checked getMemory/setWord → INVALID_MEMORY_ACCESS),
 * src/context.cc CHECK_FAIL_HTTP, envoy source/extensions/common/wasm/context.cc failStream
 * (503 "wasm_fail_stream"), source/extensions/filters/http/wasm/wasm_filter.h createFilter
 * (failed VM: fail_open skips the filter, fail closed answers every stream).
 */
import { strict as assert } from 'node:assert';
import { WasmLoadError, WasmResult, type EnvoyProcess } from '../../wasm-host';
import { fixture, newEnvoy, probe, PROBE, r, send, wasmLogs } from './helpers';

describe('wasm-host: robustness (cpp-host v8.cc, wasm.cc; envoy wasm_filter.h)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy()));
  afterEach(() => envoy.close());

  const refused = (wasm: string, pattern: RegExp, config = '') =>
    assert.throws(
      () => envoy.addHttpFilter({ name: 'x', wasm: fixture(wasm), configuration: config }),
      (e: unknown) => {
        assert.ok(e instanceof WasmLoadError, String(e));
        assert.match((e as Error).message, pattern);
        return true;
      },
    );

  it('refuses a module importing what Envoy does not provide (env.abort)', () => {
    refused('missing-import.wasm', /missing import: env\.abort/);
  });

  it('refuses an import with the wrong signature', () => {
    refused(
      'type-mismatch.wasm',
      /import type mismatch: env\.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32/,
    );
  });

  it('refuses a callback exported with the wrong signature', () => {
    refused('bad-signature.wasm', /Bad function signature for: proxy_on_tick/);
  });

  it('refuses a module without ABI version marker or without an allocator', () => {
    refused('no-abi.wasm', /Missing or unknown Proxy-Wasm ABI version/);
    refused('no-malloc.wasm', /missing malloc function/);
  });

  it('refuses a host call from a Wasm start section (no context exists yet)', () => {
    refused(
      'start-section.wasm',
      /Failed to create new Wasm instance: host call from the Wasm start section: no context/,
    );
  });

  it('rejects the configuration when on_configure returns false or traps in the canary', () => {
    assert.throws(() => probe(envoy, { configuration: 'fail' }), /Failed to configure base Wasm plugin/);
    assert.throws(
      () => probe(envoy, { configuration: 'trap' }),
      /Function: proxy_on_configure failed: unreachable/,
    );
    assert.throws(() => probe(envoy, { vmConfiguration: 'fail_vm_start' }), /Failed to start base Wasm/);
    assert.deepEqual(envoy.checkConfiguration({ name: 'p', wasm: PROBE(), configuration: 'fail' }).ok, false);
    const ok = envoy.checkConfiguration({ name: 'p', wasm: PROBE(), configuration: 'x=1' });
    assert.equal(ok.ok, true);
    assert.ok(ok.logs.some((l) => l.message.includes('configure root=1 config=x=1')));
  });

  it('bad pointers get INVALID_MEMORY_ACCESS, bad enums BAD_ARGUMENT, and the VM lives on', () => {
    const p = probe(envoy);
    const s = p.newStream(0);
    send(s, 'badptr');
    assert.equal(
      r(s, 'badptr'),
      'log=6,get_key=6,get_out=6,sd_get=6,pairs=6,set_pairs=6,time=6,prop=6,huge=6,bad_map=2,bad_level=2',
    );
    assert.equal(p.vm(0).failed, false);
    assert.equal(s.requestContinued, true);
  });

  it('an allocator returning memory out of bounds gives INVALID_MEMORY_ACCESS, not a crash', () => {
    const p = envoy.addHttpFilter({ name: 'bm', vmId: 'bm', wasm: fixture('bad-malloc.wasm') });
    assert.equal(p.vm(0).mem.getU32(0), WasmResult.InvalidMemoryAccess);
    assert.equal(p.vm(0).failed, false);
  });

  it('a forbidden host call inside the allocator traps "restricted_callback"', () => {
    refused('restricted-malloc.wasm', /Function: malloc failed: restricted_callback/);
  });

  it('a trap fails the VM; fail closed answers 503 wasm_fail_stream now and for every later stream', () => {
    const p = probe(envoy, { failOpen: false });
    const s = p.newStream(0);
    assert.equal(send(s, 'trap'), 'local_reply');
    assert.equal(p.vm(0).failed, true);
    assert.match(p.vm(0).failMessage!, /^Function: proxy_on_request_headers failed: unreachable/);
    assert.deepEqual(
      [s.localReply!.status, s.localReply!.details, s.localReply!.grpcStatus],
      [503, 'wasm_fail_stream', 14],
    );
    assert.ok(
      envoy.logs.some(
        (l) => l.source === 'envoy' && l.level === 'error' && l.message.includes('Wasm VM failed'),
      ),
    );
    s.finish(); // no callbacks into a failed VM
    assert.deepEqual(wasmLogs(envoy, 'on_log id=2'), []);
    const next = p.newStream(0);
    assert.equal(send(next, ''), 'local_reply');
    assert.equal(next.localReply!.status, 503);
    assert.equal(next.contextId, 0, 'fail closed: an empty context, the VM is not entered');
    // Other workers have their own VM and keep serving.
    const other = p.newStream(1);
    assert.equal(send(other, 'get::path'), 'continue');
    assert.equal(r(other, 'get'), '/p?q=1');
  });

  it('fail open passes the failing request and every later one without entering the VM', () => {
    const p = probe(envoy, { failOpen: true });
    const s = p.newStream(0);
    assert.equal(send(s, 'oob'), 'continue');
    assert.match(p.vm(0).failMessage!, /memory access out of bounds/);
    const next = p.newStream(0);
    assert.equal(send(next, 'add:x-touched=1'), 'continue');
    assert.equal(next.requestHeaders.get('x-touched'), undefined);
    assert.equal(next.sendResponseHeaders({ ':status': '200' }, true), 'continue');
  });

  it('a trap in on_tick fails that VM only; the clock and other VMs go on', () => {
    const p = probe(envoy, { configuration: 'tick=10,tick_trap' });
    envoy.advance(50);
    assert.equal(p.vm(0).failed, true);
    assert.equal(p.vm(1).failed, true);
    assert.equal(p.main!.vm!.failed, true, 'the main thread root ticks (and traps) too');
    assert.equal(wasmLogs(envoy, 'tick ').length, 6, 'two ticks each, the second trapped, then no more');
    const q = envoy.addHttpFilter({ name: 'fresh', vmId: 'fresh', wasm: PROBE(), configuration: 'tick=10' });
    envoy.advance(20);
    assert.equal(q.failed, false);
  });

  it('a failing posted task is logged, not thrown into the event loop', () => {
    envoy.workers[0].post(() => {
      throw new Error('boom');
    });
    assert.doesNotThrow(() => envoy.drain());
    assert.ok(
      envoy.logs.some((l) => l.thread === 'worker_0' && l.level === 'error' && l.message.includes('boom')),
    );
  });

  it('a host exception inside a callback (stack overflow, JS error) is contained', () => {
    const p = probe(envoy);
    const vm = p.vm(0);
    vm.exports.proxy_on_request_headers = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    const s = p.newStream(0);
    assert.equal(send(s, ''), 'local_reply');
    assert.match(vm.failMessage!, /Maximum call stack size exceeded/);
  });
});
