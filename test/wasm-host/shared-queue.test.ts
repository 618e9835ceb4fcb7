/**
 * Shared queues.
 * Sources: proxy-wasm-cpp-host src/shared_queue.cc (registerQueue keeps data but replaces the
 * notified context, resolveQueue by (vm_id, name), dequeue NOT_FOUND / EMPTY, enqueue posts
 * onQueueReady with call_on_thread), src/context.cc (registerSharedQueue from a stream → its root;
 * lookupSharedQueue with an empty vm_id = own vm_id), envoy source/extensions/common/wasm/wasm.cc
 * callOnThreadFunction (dispatcher.post: never inline).
 */
import { strict as assert } from 'node:assert';
import { WasmResult, type EnvoyProcess } from '../../wasm-host';
import { newEnvoy, probe, PROBE, r, send, wasmLogs } from './helpers';

describe('wasm-host: shared queues (cpp-host shared_queue.cc)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy({ concurrency: 2, canary: false })));
  afterEach(() => envoy.close());

  /** The singleton service (main thread) registering a queue in on_configure. */
  const syncService = (configuration: string) =>
    envoy.addWasmService({
      name: 'sync',
      rootId: 'sync',
      vmId: 'probe_vm',
      wasm: PROBE(),
      configuration,
      singleton: true,
    });

  it('resolves by vm_id and name; an unknown queue or another vm_id is NOT_FOUND', () => {
    syncService('queue=usage');
    const p = probe(envoy);
    const a = p.newStream(0);
    send(a, 'enqueue:probe_vm/usage=u1');
    assert.equal(r(a, 'enq'), '0/0');
    const b = p.newStream(1);
    send(b, 'enqueue:probe_vm/nope=x');
    assert.equal(r(b, 'enq'), `${WasmResult.NotFound}/${WasmResult.NotFound}`);
    const c = p.newStream(1);
    send(c, 'enqueue:other_vm/usage=x');
    assert.equal(r(c, 'enq'), `${WasmResult.NotFound}/${WasmResult.NotFound}`);
  });

  it('notifies the registrant on its own thread after the enqueuing callback returns', () => {
    syncService('queue=usage');
    const p = probe(envoy);
    const s = p.newStream(1);
    send(s, 'enqueue:probe_vm/usage=u1,log:2:after-enqueue');
    const lines = envoy.logs.filter((l) => l.source === 'wasm').map((l) => `${l.thread} ${l.message}`);
    const enq = lines.findIndex((l) => l.includes('after-enqueue'));
    const ready = lines.findIndex((l) => l.includes('queue_ready'));
    assert.ok(enq >= 0 && ready > enq, `on_queue_ready runs after the callback: ${lines.join(' / ')}`);
    assert.match(lines[ready], /^main_thread queue_ready root=\d+ token=\d+ items=u1 last=7$/);
  });

  it('only the LAST registrant is notified; data registered earlier is kept', () => {
    // Both workers register the same queue name in on_configure: worker_1 registers last.
    const p = probe(envoy, { configuration: 'queue=work' });
    const token = envoy.sharedQueues.resolve('probe_vm', 'work')!;
    assert.ok(token > 0);
    const s = p.newStream(0);
    send(s, 'enqueue:probe_vm/work=job1');
    const ready = envoy.logs.filter((l) => l.message.includes('queue_ready'));
    assert.equal(ready.length, 1);
    assert.equal(ready[0].thread, 'worker_1');
    assert.match(ready[0].message, /items=job1 last=7/);
  });

  it('dequeue returns EMPTY once drained; an unknown token is NOT_FOUND for enqueue', () => {
    syncService('queue=q');
    const token = envoy.sharedQueues.resolve('probe_vm', 'q')!;
    assert.equal(envoy.sharedQueues.enqueue(token, new Uint8Array([0x61])), WasmResult.Ok);
    assert.equal(envoy.sharedQueues.enqueue(token + 1000, new Uint8Array([0x61])), WasmResult.NotFound);
    envoy.drain();
    assert.deepEqual(wasmLogs(envoy, 'queue_ready').length, 1);
    assert.equal(envoy.sharedQueues.dequeue(token), WasmResult.Empty);
  });

  it('a singleton and N workers share the queues: every filter root feeds the singleton', () => {
    syncService('queue=usage');
    const p = probe(envoy, { configuration: 'tick=100,tick_enqueue=probe_vm/usage' });
    envoy.advance(100);
    const ready = envoy.logs.filter((l) => l.message.includes('queue_ready'));
    assert.ok(ready.every((l) => l.thread === 'main_thread'));
    const items = ready.flatMap((l) => /items=(\S*)/.exec(l.message)![1].split('|')).filter(Boolean);
    // One item from each filter root: both workers and the main thread (its slot is set there too).
    assert.deepEqual(items.sort(), ['t1', 't1', 't1']);
    assert.equal(p.vms.length, 3);
  });
});
