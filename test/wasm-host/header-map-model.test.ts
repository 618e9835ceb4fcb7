/**
 * HeaderMap (wasm-host/header-map.ts, one flat [key, value, …] array) against a plain model of
 * Envoy's header map (header_map_impl.cc): addCopy puts pseudo-headers after the last pseudo-header
 * and others at the end, setCopy removes every entry then adds, remove deletes every entry, get is
 * the first value; clones share storage until either side changes (copy on write).
 */
import { strict as assert } from 'node:assert';
import { HeaderMap } from '../../wasm-host/header-map';
import { newEnvoy, probe } from './helpers';

type Entry = [string, string];

const modelAdd = (m: Entry[], k: string, v: string): void => {
  if (k.startsWith(':')) {
    let at = 0;
    while (at < m.length && m[at][0].startsWith(':')) at++;
    m.splice(at, 0, [k, v]);
  } else m.push([k, v]);
};
const modelRemove = (m: Entry[], k: string): Entry[] => m.filter(([x]) => x !== k);

const same = (h: HeaderMap, m: Entry[], what: string): void => {
  assert.deepEqual(h.entries(), m, what);
  assert.equal(h.size, m.length, what);
  assert.deepEqual(
    h.keys,
    m.map(([k]) => k),
    what,
  );
  assert.deepEqual(
    h.values,
    m.map(([, v]) => v),
    what,
  );
  for (let i = 0; i < m.length; i++) {
    assert.equal(h.keyAt(i), m[i][0], what);
    assert.equal(h.valueAt(i), m[i][1], what);
  }
  assert.equal(
    h.byteSize(),
    m.reduce((n, [k, v]) => n + k.length + v.length, 0),
    what,
  );
  for (const k of [':path', ':a', 'x', 'y', 'z'])
    assert.equal(h.getRaw(k), m.find(([x]) => x === k)?.[1], `${what}: get ${k}`);
};

describe('wasm-host: header map against a model of Envoy’s', () => {
  it('agrees through random adds, sets, removes and clones (copy on write both ways)', () => {
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const keys = [':path', ':a', 'x', 'y', 'z'];
    for (let trial = 0; trial < 200; trial++) {
      let h = HeaderMap.from([]);
      let m: Entry[] = [];
      const saved: Array<[HeaderMap, Entry[]]> = [];
      for (let step = 0; step < 30; step++) {
        const k = keys[rnd(keys.length)];
        const v = `v${trial}.${step}`;
        const what = `trial ${trial} step ${step}`;
        switch (rnd(5)) {
          case 0:
          case 1:
            h.addRaw(k, v);
            modelAdd(m, k, v);
            break;
          case 2:
            h.setRaw(k, v);
            m = modelRemove(m, k);
            modelAdd(m, k, v);
            break;
          case 3:
            h.removeRaw(k);
            m = modelRemove(m, k);
            break;
          default: {
            // Keep the original aside (it must not change) and go on with a clone, or the reverse.
            const c = h.clone();
            if (rnd(2) === 0) {
              saved.push([h, m.map((e) => [...e] as Entry)]);
              h = c;
            } else saved.push([c, m.map((e) => [...e] as Entry)]);
          }
        }
        same(h, m, what);
      }
      for (const [s, sm] of saved) same(s, sm, `trial ${trial}: a clone or original left aside`);
    }
  });

  it('keys and values are fresh arrays: changing them does not change the map', () => {
    const h = HeaderMap.from({ ':method': 'GET', 'x-a': '1' });
    h.keys.push('x-b');
    h.values[0] = 'POST';
    assert.deepEqual(h.entries(), [
      [':method', 'GET'],
      ['x-a', '1'],
    ]);
  });

  it('a stream’s maps before any headers were sent are one shared placeholder that refuses writes', async () => {
    const envoy = newEnvoy();
    const f = probe(envoy);
    const a = f.newStream(0);
    assert.throws(() => a.requestHeaders.set('x-a', '1'), TypeError);
    assert.throws(() => a.responseHeaders.set(':status', '200'), TypeError);
    assert.equal(f.newStream(0).requestHeaders.size, 0, 'another stream’s placeholder is still empty');
    await envoy.close();
  });

  it('a refused pseudo-header write and a clone leave the placeholder empty, frozen and in order', async () => {
    const envoy = newEnvoy();
    const f = probe(envoy);
    const a = f.newStream(0);
    assert.throws(() => a.requestHeaders.addRaw(':authority', 'x'), TypeError);
    const copy = HeaderMap.from(a.requestHeaders); // a driver copying the map before headers
    copy.addRaw(':a', '1');
    copy.addRaw('b', '2');
    copy.addRaw(':c', '3');
    assert.deepEqual(copy.kv, [':a', '1', ':c', '3', 'b', '2'], 'pseudo-headers first in the copy');
    assert.throws(() => a.requestHeaders.addRaw('x-leak', 'v'), TypeError, 'still refuses writes');
    const b = f.newStream(0);
    assert.equal(b.requestHeaders.size, 0, 'nothing leaked into a later stream');
    const later = HeaderMap.from(b.requestHeaders);
    later.addRaw(':x', '1');
    later.addRaw('y', '2');
    assert.deepEqual(later.kv, [':x', '1', 'y', '2'], 'a later copy starts with no pseudo-headers counted');
    await envoy.close();
  });
});
