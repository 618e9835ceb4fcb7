/**
 * The table of a VM's live contexts (wasm-host/context-table.ts), which replaced a Map on the
 * per-request path: it must behave like a Map<number, Context> under the churn of streams
 * created and deleted while long-lived roots stay.
 */
import { strict as assert } from 'node:assert';
import type { Context } from '../../wasm-host/context';
import { ContextTable } from '../../wasm-host/context-table';

const ctx = (id: number): Context => ({ id }) as unknown as Context;

describe('wasm-host: context table', () => {
  it('agrees with a Map through interleaved adds and deletes, growth and wrap-around', () => {
    const table = new ContextTable();
    const model = new Map<number, Context>();
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (const root of [0, 1, 2, 65, 129]) {
      table.set(root, ctx(root));
      model.set(root, ctx(root));
    }
    let next = 200;
    const live: number[] = [];
    for (let step = 0; step < 50_000; step++) {
      if (live.length < 300 && rnd(3) !== 0) {
        const id = next++;
        table.set(id, ctx(id));
        model.set(id, ctx(id));
        live.push(id);
      } else if (live.length > 0) {
        const id = live.splice(rnd(live.length), 1)[0];
        assert.equal(table.delete(id), true);
        model.delete(id);
      }
      if (step % 997 === 0) {
        for (const id of [0, 1, 2, 65, 129, ...live]) assert.equal(table.get(id)?.id, id);
        assert.equal(table.get(next), undefined);
        assert.equal(table.has(next - 1), model.has(next - 1));
      }
    }
    assert.equal(table.size, model.size);
    assert.deepEqual(
      table
        .values()
        .map((c) => c.id)
        .sort((a, b) => a - b),
      [...model.keys()].sort((a, b) => a - b),
    );
    assert.equal(table.delete(next + 5), false);
  });
});
