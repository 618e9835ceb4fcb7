/**
 * Per-request savings in the host that must not change what a module or a driver sees: stream
 * contexts are reused once deleted (WasmVm's pool) but every stream gets a fresh id and a clean
 * context; memory bounds checks take an int32 fast path that must agree with the exact check at
 * every edge (negative i32s, addresses past 2^31, the last byte, a view detached by a grow).
 */
import { strict as assert } from 'node:assert';
import { VmMemory } from '../../wasm-host/memory';
import { StreamFlags } from '../../wasm-host/stream-flags';
import { newEnvoy, probe, send, wasmLogs } from './helpers';

/** Whether a stream made its per-direction state objects (internal; made only when needed). */
const made = (s: object): [boolean, boolean] => {
  const x = s as unknown as { reqDir: object | null; respDir: object | null };
  return [x.reqDir !== null, x.respDir !== null];
};

/** The exact rule: [ptr, ptr+size) inside memory, both read as u32. */
const exact = (ptr: number, size: number, n: number): boolean => (ptr >>> 0) + (size >>> 0) <= n;

describe('wasm-host: context reuse and bounds fast paths', () => {
  it('a stream keeps its context id after finish; later streams get fresh ids and clean contexts', async () => {
    const envoy = newEnvoy({ concurrency: 1 });
    const p = probe(envoy);
    const vm = p.vm(0);
    const seen = new Set<number>();
    const finished: Array<{ id: number; s: ReturnType<typeof p.newStream> }> = [];
    for (let i = 0; i < 200; i++) {
      const s = p.newStream(0);
      s.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a' }, true);
      const id = s.contextId;
      assert.ok(id > 0 && !seen.has(id), `stream ${i} got a fresh id (${id})`);
      seen.add(id);
      const ctx = vm.contexts.get(id)!;
      assert.equal(ctx.id, id);
      assert.equal(ctx.inVmCreated, true, 'on_context_create ran for this stream');
      assert.equal(ctx.parentId, p.rootContextId(0));
      s.finish();
      assert.equal(vm.contexts.get(id), undefined, 'deleted from the VM');
      assert.equal(s.contextId, id, 'the finished stream still reports its own id');
      finished.push({ id, s });
    }
    // A new stream may get a recycled Context object, never an old id or old state.
    const s = p.newStream(0);
    const ctx = vm.contexts.get(s.contextId)!;
    assert.ok(!seen.has(s.contextId));
    assert.equal(ctx.inVmCreated, false, 'not created in the VM until its first headers');
    assert.equal(ctx.destroyed, false);
    assert.equal(ctx.stream, s as unknown);
    for (const f of finished.slice(-3)) assert.equal(f.s.contextId, f.id);
    // The root context is never pooled: it is still found under its id.
    assert.equal(vm.contexts.get(p.rootContextId(0))?.id, p.rootContextId(0));
    s.finish();
    await envoy.close();
  });

  it('a finished stream cannot be driven any more, even when its Context object serves another stream', async () => {
    const envoy = newEnvoy({ concurrency: 1 });
    const p = probe(envoy);
    const a = p.newStream(0);
    a.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a' }, false);
    a.finish();
    const b = p.newStream(0);
    b.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'b' }, false);
    // Driving `a` now must not reach b's (possibly recycled) context.
    assert.equal(a.sendResponseHeaders({ ':status': '200' }, true), 'continue');
    assert.equal(a.sendRequestBody('late', true), 'continue');
    a.finish();
    assert.ok(p.vm(0).contexts.get(b.contextId) !== undefined, 'b is still alive');
    assert.equal(b.requestHeaders.get(':authority'), 'b');
    assert.equal(b.sendResponseHeaders({ ':status': '200' }, true), 'continue');
    b.finish();
    await envoy.close();
  });

  it('a local reply with a body, then close_stream, in one callback: no callback after on_delete', async () => {
    const envoy = newEnvoy({ concurrency: 1 });
    const p = probe(envoy);
    const vm = p.vm(0);
    const late: string[] = [];
    const exports = vm.exports as unknown as Record<string, (...a: number[]) => number>;
    for (const name of ['proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_done']) {
      const f = exports[name];
      if (f === undefined) continue;
      exports[name] = (id: number, ...rest: number[]) => {
        if (!vm.contexts.has(id)) late.push(`${name}(${id})`);
        return f(id, ...rest);
      };
    }
    const s = p.newStream(0);
    send(s, 'reply:403,close'); // both run after the callback: the reply, then the close
    assert.ok(s.finished);
    assert.deepEqual(late, []); // the reply's body callback came after the close had deleted it
    await envoy.close();
  });

  it('directions that never stop make no state objects; one that pauses does, and resumes as before', async () => {
    const envoy = newEnvoy({ concurrency: 1 });
    const p = probe(envoy, { configuration: 'tick=10' });
    const a = p.newStream(0);
    assert.equal(
      a.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a' }, true),
      'continue',
    );
    assert.equal(a.sendResponseHeaders({ ':status': '200' }, true), 'continue');
    assert.deepEqual(made(a), [false, false], 'the admitted path allocates no direction state');
    a.finish();
    const b = p.newStream(0);
    assert.equal(send(b, 'pause,wait_tick,log_body'), 'pause');
    assert.deepEqual(made(b), [true, false]);
    assert.equal(b.sendRequestBody('payload', true), 'pause', 'the body waits behind the paused headers');
    envoy.advance(10);
    assert.equal(b.requestContinued, true);
    assert.ok(wasmLogs(envoy, 'payload').length > 0, 'the waiting body reached the filter on resume');
    b.finish();
    await envoy.close();
  });

  it('stream booleans kept as bits start false and change one at a time', () => {
    const names = [
      'requestContinued',
      'responseContinued',
      'finished',
      'accessLogPhase',
      'reqHeadersAvail',
      'respHeadersAvail',
      'reqTrailersAvail',
      'respTrailersAvail',
      'eos',
      'respStarted',
      'failureReplySent',
      'streamFailed',
      'continueRequest',
      'continueResponse',
    ];
    class Open extends StreamFlags {}
    const f = new Open() as unknown as Record<string, boolean>;
    const state = (): boolean[] => names.map((n) => f[n]);
    assert.deepEqual(
      state(),
      names.map(() => false),
    );
    let seed = 3;
    const model = names.map(() => false);
    for (let step = 0; step < 500; step++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const i = seed % names.length;
      const on = (seed >> 8) % 2 === 0;
      f[names[i]] = on;
      model[i] = on;
      assert.deepEqual(state(), model, `after setting ${names[i]} = ${on}`);
    }
  });

  it('stream info carries the connection id, and a given one wins, as before', async () => {
    const envoy = newEnvoy({ concurrency: 1 });
    const p = probe(envoy);
    const a = p.newStream(0);
    const b = p.newStream(0, { connectionId: 42, sourceAddress: '10.0.0.9:5555' });
    assert.equal(typeof a.info.connectionId, 'number');
    assert.deepEqual(b.info, { connectionId: 42, sourceAddress: '10.0.0.9:5555' });
    assert.equal(a.info, a.info, 'built once');
    a.finish();
    b.finish();
    await envoy.close();
  });

  it('VmMemory.ok and setU32 agree with the exact u32 rule at every edge, and follow a grow', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const mem = new VmMemory();
    mem.attach(memory);
    const n = 65536;
    const ptrs = [
      0,
      1,
      3,
      4,
      n - 8,
      n - 5,
      n - 4,
      n - 3,
      n - 1,
      n,
      n + 1,
      2 ** 31 - 1,
      -1,
      -4,
      -n,
      2 ** 31,
      2 ** 32 - 4,
    ];
    const sizes = [0, 1, 3, 4, 8, n - 4, n, n + 1, 2 ** 31 - 1, -1, -4];
    for (const p of ptrs) for (const s of sizes) assert.equal(mem.ok(p, s), exact(p, s, n), `ok(${p}, ${s})`);
    for (const p of ptrs) {
      const want = exact(p, 4, n);
      assert.equal(mem.setU32(p, 0x01020304), want, `setU32(${p})`);
      if (want) assert.equal(mem.getU32(p), 0x01020304, `read back at ${p}`);
    }
    // A grow detaches the old views: the fast paths must see the new size, not refuse or write
    // into the detached buffer.
    memory.grow(1);
    assert.equal(mem.ok(n + 100, 4), true);
    assert.equal(mem.setU32(n + 100, 7), true);
    assert.equal(new DataView(memory.buffer).getUint32(n + 100, true), 7);
    assert.equal(mem.ok(2 * n - 4, 4), true);
    assert.equal(mem.ok(2 * n - 3, 4), false);
    assert.equal(mem.setU32(2 * n, 1), false);
    memory.grow(1);
    assert.equal(mem.setU32(2 * n, 9), true, 'a store right after a grow lands in the new buffer');
    assert.equal(new DataView(memory.buffer).getUint32(2 * n, true), 9);
  });
});
