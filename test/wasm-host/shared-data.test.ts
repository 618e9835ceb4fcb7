/**
 * Shared data.
 * Sources: proxy-wasm-cpp-host src/shared_data.cc (SharedData::get/set), src/shared_data.h
 * (nextCas: one counter from 1, skipping 0), src/context.cc (the store is keyed by the VM's vm_id,
 * one process-wide instance), src/exports.cc get_shared_data (copyToPointerSize through the
 * module's allocator, then the cas), spec v0.2.1 (no delete in the ABI).
 */
import { strict as assert } from 'node:assert';
import { WasmResult, type EnvoyProcess } from '../../wasm-host';
import { SharedData } from '../../wasm-host/shared-data';
import { newEnvoy, probe, PROBE, r, send } from './helpers';

describe('wasm-host: shared data (cpp-host shared_data.cc)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy({ concurrency: 3 })));
  afterEach(() => envoy.close());

  it('cas = 0 writes unconditionally, a stale cas is CAS_MISMATCH, the current cas succeeds', () => {
    const d = new SharedData();
    assert.equal(d.set('vm', 'k', 'a'), WasmResult.Ok);
    const first = d.get('vm', 'k')!.cas;
    assert.equal(d.set('vm', 'k', 'b', 0), WasmResult.Ok);
    const second = d.get('vm', 'k')!.cas;
    assert.notEqual(second, first);
    assert.equal(d.set('vm', 'k', 'c', first), WasmResult.CasMismatch);
    assert.equal(Buffer.from(d.get('vm', 'k')!.value).toString(), 'b');
    assert.equal(d.set('vm', 'k', 'c', second), WasmResult.Ok);
  });

  it('writing an absent key always succeeds, whatever cas is given', () => {
    const d = new SharedData();
    assert.equal(d.set('vm', 'new', 'x', 12345), WasmResult.Ok);
  });

  it('the cas comes from ONE counter for every key and every vm_id, starting at 1', () => {
    const d = new SharedData();
    d.set('a', 'k1', '1');
    d.set('b', 'k2', '2');
    d.set('a', 'k1', '3');
    assert.deepEqual([d.get('a', 'k1')!.cas, d.get('b', 'k2')!.cas], [3, 2]);
  });

  it('the counter skips 0 when it wraps around 2^32', () => {
    const d = new SharedData();
    (d as unknown as { cas: number }).cas = 0xffffffff;
    d.set('vm', 'a', '1');
    d.set('vm', 'b', '2');
    assert.equal(d.get('vm', 'a')!.cas, 0xffffffff);
    assert.equal(d.get('vm', 'b')!.cas, 1);
  });

  it('one store per vm_id shared by every VM of the process: workers and the singleton', () => {
    const filter = probe(envoy);
    const single = envoy.addWasmService({
      name: 'svc',
      rootId: 'svc',
      vmId: 'probe_vm',
      wasm: PROBE(),
      singleton: true,
    });
    const other = envoy.addHttpFilter({ name: 'other', rootId: 'r', vmId: 'other_vm', wasm: PROBE() });
    const w0 = filter.newStream(0);
    send(w0, 'sd_set:plan=v1@0');
    assert.equal(r(w0, 'sdset'), '0');
    const w2 = filter.newStream(2);
    send(w2, 'sd_get:plan');
    assert.match(r(w2, 'sd')!, /^v1\|cas=\d+\|ptr=set$/);
    // The singleton (main thread VM) sees the same entry; another vm_id does not.
    assert.equal(Buffer.from(envoy.sharedData.get('probe_vm', 'plan')!.value).toString(), 'v1');
    assert.notEqual(single.vm(0), filter.vm(0));
    const o = other.newStream(1);
    send(o, 'sd_get:plan');
    assert.equal(r(o, 'sd'), `status=${WasmResult.NotFound}`);
  });

  it('a get copies the value into the module through its allocator (the module owns a copy)', () => {
    envoy.sharedData.set('probe_vm', 'key', 'hello');
    const p = probe(envoy);
    const vm = p.vm(0);
    const malloc = vm.exports.malloc!;
    const allocations: Array<[number, number]> = [];
    vm.exports.malloc = (size: number) => {
      const at = malloc(size) as number;
      allocations.push([at >>> 0, size]);
      return at;
    };
    const s = p.newStream(0);
    send(s, 'sd_get:key');
    assert.match(r(s, 'sd')!, /^hello\|cas=\d+\|ptr=set$/);
    const copy = allocations.find(
      ([at, size]) => size === 5 && Buffer.from(vm.mem.u8.subarray(at, at + 5)).toString() === 'hello',
    );
    assert.ok(
      copy,
      `the value was written into memory obtained from proxy_on_memory_allocate: ${JSON.stringify(allocations)}`,
    );
    // Changing the store afterwards does not change the module's copy.
    envoy.sharedData.set('probe_vm', 'key', 'world');
    assert.equal(Buffer.from(vm.mem.u8.subarray(copy![0], copy![0] + 5)).toString(), 'hello');
  });

  it('stale cas from the module is CAS_MISMATCH; the ABI has no delete', () => {
    const p = probe(envoy);
    envoy.sharedData.set('probe_vm', 'k', 'a');
    const cas = envoy.sharedData.get('probe_vm', 'k')!.cas;
    envoy.sharedData.set('probe_vm', 'k', 'b');
    const s = p.newStream(0);
    send(s, `sd_set:k=c@${cas}`);
    assert.equal(r(s, 'sdset'), String(WasmResult.CasMismatch));
    const shared = p.vm(0).hostCallNames.filter((n) => n.includes('shared_data'));
    assert.deepEqual(shared.sort(), ['env.proxy_get_shared_data', 'env.proxy_set_shared_data']);
  });
});
