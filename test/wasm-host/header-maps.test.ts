/**
 * Header maps and their serialization.
 * Sources: proxy-wasm-cpp-host src/pairs_util.cc (marshalPairs/toPairs), src/exports.cc
 * (get/set_header_map_pairs, get_header_map_value), spec abi-versions/v0.2.1 "Serialization",
 * envoy source/extensions/common/wasm/context.cc (getHeaderMapValue, setHeaderMapPairs,
 * replaceHeaderMapValue = setCopy, getHeaderMapSize = byteSize), source/common/http/header_map_impl.cc.
 */
import { strict as assert } from 'node:assert';
import { encodePairs, HeaderMap, type EnvoyProcess } from '../../wasm-host';
import { VmMemory } from '../../wasm-host/memory';
import { parsePairs } from '../../wasm-host/pairs';
import { newEnvoy, probe, r, send } from './helpers';

describe('wasm-host: header maps (pairs_util.cc, envoy context.cc)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy()));
  afterEach(() => envoy.close());

  it('serializes pairs as count, (key_len, value_len)*, then NUL-terminated keys and values (pairs_util.cc)', () => {
    const bytes = encodePairs([
      ['a', '1'],
      ['b', '22'],
    ]);
    assert.deepEqual(
      [...bytes],
      [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x61, 0, 0x31, 0, 0x62, 0, 0x32, 0x32, 0],
    );
  });

  it('parses strictly like PairsUtil::toPairs: any malformation is an empty list, not an error', () => {
    const mem = new VmMemory();
    mem.attach(new WebAssembly.Memory({ initial: 1 }));
    const good = encodePairs([['k', 'v']]);
    mem.setBytes(0, good);
    assert.deepEqual(parsePairs(mem, 0, good.length), { keys: ['k'], values: ['v'] });
    const noNul = good.slice();
    noNul[noNul.length - 1] = 0x41;
    mem.setBytes(100, noNul);
    assert.deepEqual(parsePairs(mem, 100, noNul.length).keys, []);
    assert.deepEqual(parsePairs(mem, 0, good.length + 1).keys, [], 'trailing bytes');
    assert.deepEqual(parsePairs(mem, 0, 3).keys, [], 'shorter than the count');
  });

  it('gives the module the live request map in that format, with Envoy byteSize as size', () => {
    const p = probe(envoy);
    const s = p.newStream(0);
    send(s, 'pairs,size');
    const expected = [':method=GET', ':path=/p?q=1', ':authority=svc', 'x-op=pairs,size'].join(';');
    const [status, size, text] = r(s, 'pairs')!.split(/:(\d+):/);
    assert.equal(status, '0');
    assert.equal(text, expected);
    const bytes = encodePairs(s.requestHeaders.entries().slice(0, 4));
    assert.equal(Number(size), bytes.length);
    // getHeaderMapSize is HeaderMap::byteSize(): key and value lengths summed, at the time of the call.
    const before = s.requestHeaders.entries().filter(([k]) => k !== 'x-r-size');
    const byteSize = before.reduce((n, [k, v]) => n + k.length + v.length, 0);
    assert.equal(r(s, 'size'), `0:${byteSize}`);
  });

  it('get returns the first value (case-insensitive key), NOT_FOUND when absent', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'get:X-Dup', { 'x-dup': 'one' });
    assert.equal(r(s, 'get'), 'one');
    const s2 = probe(envoy).newStream(0);
    send(s2, 'get:x-missing');
    assert.equal(r(s2, 'get'), 'status=1');
  });

  it('add appends, replace is setCopy (remove all, add at the end), remove deletes every entry', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'add:x-a=1,add:x-a=2,add:x-b=3,replace:x-a=9,remove:x-b,add:X-Upper=u');
    const entries = s.requestHeaders
      .entries()
      .filter(([k]) => k.startsWith('x-a') || k.startsWith('x-b') || k === 'x-upper');
    assert.deepEqual(entries, [
      ['x-a', '9'],
      ['x-upper', 'u'],
    ]);
  });

  it('pseudo-headers stay in front of regular headers (header_map_impl.cc)', () => {
    const m = HeaderMap.from([['x-first', '1']]);
    m.addRaw(':path', '/');
    assert.deepEqual(m.entries(), [
      [':path', '/'],
      ['x-first', '1'],
    ]);
  });

  it('set_header_map_pairs replaces the whole map; malformed pairs clear it (toPairs gives {})', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'setpairs');
    assert.deepEqual(s.requestHeaders.entries().slice(0, 2), [
      ['a', '1'],
      ['b', '22'],
    ]);
    assert.equal(s.requestHeaders.get(':path'), undefined);
    const s2 = probe(envoy).newStream(0);
    send(s2, 'setpairs_bad');
    assert.deepEqual(s2.requestHeaders.entries(), [['x-r-setpairs', '0']]);
  });

  it('binary header values round-trip byte for byte', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'get:x-bin', { 'x-bin': 'é✓' });
    assert.equal(r(s, 'get'), 'é✓');
  });

  it('a HeaderMap passed to several streams is copied for each: the filter changes only its own', () => {
    const template = HeaderMap.from({ ':method': 'GET', ':path': '/', 'x-op': 'add:x-a=1' });
    const p = probe(envoy);
    const s1 = p.newStream(0);
    s1.sendRequestHeaders(template);
    const s2 = p.newStream(0);
    s2.sendRequestHeaders(template);
    assert.deepEqual(s1.requestHeaders.getAll('x-a'), ['1']);
    assert.deepEqual(
      s2.requestHeaders.getAll('x-a'),
      ['1'],
      'not 1,1: the first stream did not write the template',
    );
    assert.equal(template.has('x-a'), false);
    template.set('x-later', 'v'); // the driver changing its template afterwards changes no stream
    assert.equal(s1.requestHeaders.has('x-later'), false);
    const copy = template.clone();
    copy.clear();
    assert.equal(template.get('x-later'), 'v', 'clearing a copy leaves the original');
  });
});
