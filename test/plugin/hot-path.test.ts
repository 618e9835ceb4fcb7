/**
 * The admitted request's cost in host calls and memory, counted by the host (not timed: speed is
 * measured by bench:plugin). Pins the numbers plugin/README.md documents.
 */
import { strict as assert } from 'node:assert';
import { startFilter } from './support/harness';

describe('plugin: hot path', () => {
  it('an admitted request costs 4 host calls in on_request_headers and 6 in all', async () => {
    const h = startFilter({}, { concurrency: 1, countHostCalls: true });
    h.plant('alice', { address: '10.0.0.5:80', slots: 4, ratePerMinute: 6000 });
    h.request('alice').finish(); // warm: pool objects, usage entry
    const vm = h.filter.vm(0);
    const before = vm.hostCallsByFunction();
    const s = h.request('alice');
    assert.equal(s.hostCalls.proxy_on_request_headers, 4);
    s.sendResponseHeaders({ ':status': '200' }, true);
    s.finish();
    const used: Record<string, number> = {};
    for (const [f, n] of Object.entries(vm.hostCallsByFunction()))
      if (n !== (before[f] ?? 0)) used[f] = n - (before[f] ?? 0);
    assert.deepEqual(used, {
      'env.proxy_get_header_map_value': 1,
      'env.proxy_get_shared_data': 2,
      'env.proxy_set_shared_data': 2,
      'env.proxy_replace_header_map_value': 1,
    });
    await h.envoy.close();
  });

  it('a reservation without limits costs 3 host calls and nothing when the stream ends', async () => {
    const h = startFilter({}, { concurrency: 1, countHostCalls: true });
    h.plant('bob', { address: '10.0.0.6:80' });
    h.request('bob').finish();
    const vm = h.filter.vm(0);
    const total = vm.hostCallsTotal;
    const s = h.request('bob');
    assert.equal(s.hostCalls.proxy_on_request_headers, 3);
    s.finish();
    assert.equal(vm.hostCallsTotal - total, 3);
    await h.envoy.close();
  });

  it('does not grow Wasm memory or log over 20,000 admitted requests', async () => {
    const h = startFilter({}, { concurrency: 1 });
    for (let i = 0; i < 500; i++) h.plant(`u${i}`, { address: `10.0.${i >> 8}.${i & 255}:80`, slots: 2 });
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const s = h.request(`u${(i * 7) % 500}`);
        s.sendResponseHeaders({ ':status': '200' }, true);
        s.finish();
      }
    };
    run(2000);
    const mem = h.filter.vm(0).memoryBytes();
    h.envoy.clearLogs();
    run(20_000);
    assert.equal(h.filter.vm(0).memoryBytes(), mem);
    assert.deepEqual(
      h.envoy.logs.filter((l) => l.source === 'wasm'),
      [],
    );
    await h.envoy.close();
  });

  it('logs one line per decision when the wasm log level is trace, and none at info', async () => {
    const h = startFilter({}, { concurrency: 1, logLevel: 'trace' });
    h.plant('alice', { address: '10.0.0.5:80', slots: 1, onExhausted: 'reject' });
    h.request('alice');
    h.request('alice');
    h.request(undefined);
    assert.deepEqual(
      h.envoy.logs.filter((l) => l.level === 'trace').map((l) => l.message),
      [
        'earmark: alice: admitted -> 10.0.0.5:80',
        'earmark: alice: rejected',
        'earmark: (no identity): unreserved, admitted',
      ],
    );
    await h.envoy.close();
  });
});
