/**
 * Several filter roots in one VM (one per plugin configuration): streams reach their own root
 * and release under its key prefix, also after a root is deleted and another takes its slot
 * (the root index cache and the plain-global root check of 9e7e598).
 */
import { strict as assert } from 'node:assert';
import { onDelete } from '../../wasm-host/root-callbacks';
import { keys, encodeRecord, decodeRecord, inFlightOf, encodeMeta } from './support/records';
import { startFilter, VM_ID, wasmPath } from './support/harness';

describe('plugin: several filter roots in one VM', () => {
  it('streams of interleaved roots, a root deleted and another added, reach their own root', async () => {
    const h = startFilter({ key_prefix: 'a/' }, { concurrency: 1 });
    const env = h.envoy;
    const add = (prefix: string, name: string) => {
      const k = keys(prefix);
      env.sharedData.set(VM_ID, k.meta, encodeMeta({ freshMs: env.clock.now(), generation: 1 }));
      const f = env.addHttpFilter({
        name,
        rootId: 'earmark_filter',
        vmId: VM_ID,
        wasm: wasmPath(),
        configuration: JSON.stringify({ key_prefix: prefix }),
      });
      return { k, f };
    };
    const A = { k: h.k, f: h.filter };
    const B = add('bb/', 'b');
    const plant = (p: { k: ReturnType<typeof keys> }, u: string, addr: string) =>
      env.sharedData.set(
        VM_ID,
        p.k.record(u),
        encodeRecord({ address: addr, slots: 4 }, { updatedMs: env.clock.now() }),
      );
    const inflight = (p: { k: ReturnType<typeof keys> }, u: string) =>
      inFlightOf(decodeRecord(env.sharedData.get(VM_ID, p.k.record(u))!.value));
    const req = (p: { f: typeof h.filter }, u: string) => {
      const s = p.f.newStream(0);
      s.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': u }, true);
      return s;
    };
    plant(A, 'u', '10.0.0.1:80');
    plant(B, 'u', '10.0.0.2:80');
    const open = [];
    for (let i = 0; i < 6; i++) {
      const p = i % 2 ? B : A;
      const s = req(p, 'u');
      assert.equal(
        s.requestHeaders.get('x-earmark-instance'),
        p === A ? '10.0.0.1:80' : '10.0.0.2:80',
        `i=${i}`,
      );
      open.push(s);
    }
    assert.equal(inflight(A, 'u'), 3);
    assert.equal(inflight(B, 'u'), 3);
    for (const s of open) s.finish();
    assert.equal(inflight(A, 'u'), 0);
    assert.equal(inflight(B, 'u'), 0);
    // delete root A in the module (as Envoy would on removing its config), then add C
    const ha = A.f.handles[0];
    onDelete(ha.vm!, ha.root!);
    const C = add('ccc/', 'c');
    plant(C, 'u', '10.0.0.3:80');
    for (let i = 0; i < 4; i++) {
      const p = i % 2 ? C : B;
      const s = req(p, 'u');
      assert.equal(
        s.requestHeaders.get('x-earmark-instance'),
        p === C ? '10.0.0.3:80' : '10.0.0.2:80',
        `after: i=${i}`,
      );
      assert.equal(inflight(p, 'u'), 1);
      s.finish();
      assert.equal(inflight(p, 'u'), 0);
    }
    assert.equal(inflight(A, 'u'), 0);
    assert.deepEqual(h.problems(), []);
    await env.close();
  });
});
