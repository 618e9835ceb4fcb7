/**
 * The process model and the driver's instruments.
 * Sources: proxy-wasm-cpp-host src/wasm.cc (createWasm: one base VM per vm_key, a canary that
 * starts and configures then is killed; getOrCreateThreadLocalWasm/Plugin: a clone per thread,
 * each with its root context: on_context_create(root, 0), on_vm_start, on_configure),
 * src/context.cc onStart/onConfigure (plugin configuration readable only in on_configure),
 * envoy source/extensions/bootstrap/wasm/config.cc (singleton service on the main thread),
 * source/extensions/common/wasm/wasm.cc PluginConfig / filters/http/wasm/wasm_filter.cc (a
 * per-thread plugin lives in a ThreadLocal slot) and source/common/thread_local/thread_local_impl.cc
 * SlotImpl::set (posted to every worker, then run inline on the main thread).
 */
import { strict as assert } from 'node:assert';
import { type EnvoyProcess } from '../../wasm-host';
import { newEnvoy, probe, PROBE, r, send } from './helpers';

describe('wasm-host: process model and instruments (cpp-host wasm.cc)', () => {
  let envoy: EnvoyProcess;
  afterEach(() => envoy.close());

  it('loads a canary on the main thread, then a VM and root on the main thread and on every worker', () => {
    envoy = newEnvoy({ concurrency: 3 });
    const p = probe(envoy, { configuration: 'x', vmConfiguration: 'vmcfg' });
    const lines = envoy.logs.filter((l) => l.source === 'wasm').map((l) => `${l.thread} ${l.message}`);
    const started = (thread: string) => [
      `${thread} vm_start root=1 vm_config=vmcfg plugin_config_status=1`,
      `${thread} configure root=1 config=x size=1 root_id=probe_root`,
    ];
    // The canary, then the slot's main-thread callback (inline in set()), then the posted ones.
    assert.deepEqual(lines, [
      ...started('main_thread'),
      ...started('main_thread'),
      ...[0, 1, 2].flatMap((w) => started(`worker_${w}`)),
    ]);
    assert.deepEqual(
      p.vms.map((v) => v.thread.name),
      ['main_thread', 'worker_0', 'worker_1', 'worker_2'],
    );
    assert.equal(new Set(p.vms).size, 4, 'distinct instances');
    assert.equal(p.main!.root!.id, 1, 'the main thread has a configured root');
    assert.equal(p.handles.length, 3, 'streams run on workers only');
    assert.equal(p.vm(2).thread.name, 'worker_2');
  });

  it('workers have separate memories: per-VM state does not leak between them', () => {
    envoy = newEnvoy({ concurrency: 2, canary: false });
    const p = probe(envoy);
    const [m0, m1] = [p.vm(0).mem, p.vm(1).mem];
    const at = m0.size() - 8;
    m0.setU32(at, 0xfeedbeef);
    assert.notEqual(m1.getU32(at), 0xfeedbeef);
    const a = p.newStream(0);
    send(a, 'metric_inc');
    assert.equal(a.contextId, 2);
    const b = p.newStream(0);
    assert.equal(b.contextId, 3, 'context ids are per VM');
    assert.equal(p.newStream(1).contextId, 2);
  });

  it('a singleton service runs once, on the main thread, next to the per-worker filter (same vm_id)', () => {
    envoy = newEnvoy({ concurrency: 2, canary: false });
    const svc = envoy.addWasmService({
      name: 'sync',
      rootId: 'sync',
      vmId: 'probe_vm',
      wasm: PROBE(),
      singleton: true,
    });
    const perWorker = envoy.addWasmService({ name: 'bg', rootId: 'bg', vmId: 'probe_vm', wasm: PROBE() });
    assert.deepEqual(
      svc.vms.map((v) => v.thread.name),
      ['main_thread'],
    );
    assert.deepEqual(
      perWorker.vms.map((v) => v.thread.name),
      ['main_thread', 'worker_0', 'worker_1'],
    );
    // cpp-host keeps one VM per vm_key per thread (local_wasms): the per-thread service's
    // main-thread root lives in the singleton's VM.
    assert.equal(perWorker.main!.vm, svc.vm(0));
    assert.deepEqual([svc.rootContextId(0), perWorker.main!.root!.id], [1, 2]);
  });

  it('plugins with the same code, vm_id and vm configuration share a thread-local VM (two roots)', () => {
    envoy = newEnvoy({ concurrency: 1, canary: false });
    const a = probe(envoy, { rootId: 'a' });
    const b = probe(envoy, { rootId: 'b' });
    assert.equal(a.vm(0), b.vm(0));
    assert.deepEqual([a.rootContextId(0), b.rootContextId(0)], [1, 2]);
    const c = probe(envoy, { rootId: 'c', vmId: 'another' });
    assert.notEqual(c.vm(0), a.vm(0));
  });

  it('counts host calls per callback only when asked, and exposes memory size', () => {
    envoy = newEnvoy({ concurrency: 1, canary: false, countHostCalls: true });
    const p = probe(envoy);
    const s = p.newStream(0);
    send(s, 'count:5');
    // get x-op (1) + 5 get_log_level; ops without results add no header.
    const calls: Record<string, number> = s.hostCalls;
    assert.deepEqual({ ...calls }, { proxy_on_request_headers: 6 });
    s.sendResponseHeaders({ ':status': '200' }, true);
    assert.equal(calls.proxy_on_response_headers, 2, 'get :status + log');
    assert.equal(p.vm(0).hostCallsByFunction()['env.proxy_get_log_level'], 5);
    assert.ok(p.vm(0).memoryBytes() >= 65536 && p.vm(0).memoryBytes() % 65536 === 0);

    const quiet = newEnvoy({ concurrency: 1, canary: false });
    try {
      const q = probe(quiet).newStream(0);
      send(q, 'count:5');
      assert.deepEqual(q.hostCalls, {});
      assert.equal(probe(quiet).vm(0).hostCallsTotal, 0);
    } finally {
      void quiet.close();
    }
  });

  it('close() ends every root with on_done then on_delete; a root answering false is not deleted', async () => {
    envoy = newEnvoy({ concurrency: 1, canary: false });
    probe(envoy, { rootId: 'plain' });
    probe(envoy, { rootId: 'slow', configuration: 'done_later' });
    await envoy.close();
    const ends = envoy.logs
      .filter((l) => l.message.startsWith('on_d'))
      .map((l) => `${l.thread} ${l.message}`);
    assert.deepEqual(ends, [
      ...['main_thread', 'worker_0'].flatMap((t) => [`${t} on_done id=1`, `${t} on_delete id=1`]),
      ...['main_thread', 'worker_0'].map((t) => `${t} on_done id=2`),
    ]);
  });

  it('a stream driven after the plugin and a result header: the driver sees what the filter set', () => {
    envoy = newEnvoy({ concurrency: 1, canary: false });
    const s = probe(envoy).newStream(0);
    assert.equal(send(s, 'add:x-earmark-instance=i-7'), 'continue');
    assert.equal(s.requestHeaders.get('x-earmark-instance'), 'i-7');
    assert.equal(r(s, 'add'), '0');
    assert.equal(s.requestContinued, true);
  });
});
