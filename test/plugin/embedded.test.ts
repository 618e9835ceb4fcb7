/**
 * Embedded sync (Istio WasmPlugin: no singleton can be declared): the filter roots (one per
 * worker, and the main thread's, which Envoy also creates) elect one of themselves through a lease
 * in shared data, and that root alone runs the delta xDS and usage streams. Failover when the
 * lease is lost or expires.
 */
import { strict as assert } from 'node:assert';
import { type Stack, startStack } from './support/stack';

const LEASE = { leader_lease_ms: 1000 };

describe('plugin: embedded sync (no singleton)', () => {
  let st: Stack;
  afterEach(async () => st && (await st.close()));

  const leaderThreads = () =>
    st.envoy.logs
      .filter((l) => /this thread now runs the embedded sync/.test(l.message))
      .map((l) => l.thread);

  it('exactly one root connects, and every worker routes by what it applied', async () => {
    st = await startStack({ embedded: true, workers: 4, sync: LEASE });
    await st.until(
      () => st.server.streams.length >= 1 && st.server.streams[0].requests.length >= 1,
      'a stream',
      50,
    );
    st.envoy.advance(500);
    await new Promise((r) => setTimeout(r, 50));
    st.envoy.drain();
    assert.equal(st.server.streams.length, 1, 'one reservation stream for the whole proxy');
    assert.equal(leaderThreads().length, 1);
    const s = st.server.streams[0];
    assert.deepEqual(s.requests[0].node, { id: 'edge-1', cluster: 'edge' });
    const n = s.send({
      resources: [{ name: 'alice', version: '1', reservation: { instance_address: '10.0.0.7:80' } }],
    });
    await st.until(() => s.answersTo(n).length === 1, 'ACK');
    for (let w = 0; w < 4; w++) assert.equal(st.route('alice', w), '10.0.0.7:80');
  });

  it('reports the usage of all workers through the leader', async () => {
    st = await startStack({ embedded: true, workers: 3, sync: LEASE, config: { usage: { flush_ms: 200 } } });
    await st.until(
      () => st.server.current !== undefined && st.server.current.requests.length > 0,
      'stream',
      50,
    );
    const s = st.server.current!;
    const n = s.send({
      resources: [{ name: 'alice', version: '1', reservation: { instance_address: '10.0.0.7:80' } }],
    });
    await st.until(() => s.answersTo(n).length === 1, 'ACK');
    for (let w = 0; w < 3; w++) st.route('alice', w);
    await st.until(
      () => st.server.reports.flatMap((r) => r.users ?? []).reduce((a, u) => a + (u.requests ?? 0), 0) >= 3,
      'usage of three workers',
      100,
    );
    const total = st.server.reports.flatMap((r) => r.users ?? []).filter((u) => u.user === 'alice');
    assert.equal(
      total.reduce((a, u) => a + (u.admitted ?? 0), 0),
      3,
    );
  });

  it('hands over when the leader loses its lease, and again when a lease expires', async () => {
    st = await startStack({ embedded: true, workers: 3, sync: LEASE });
    await st.until(
      () => st.server.streams.length >= 1 && st.server.streams[0].requests.length >= 1,
      'a stream',
      50,
    );
    const first = leaderThreads()[0];
    // Another holder (e.g. a restarted VM) claims the lease: the leader steps down at its next tick.
    const lease = Buffer.alloc(16);
    lease.writeBigUInt64LE(0xdeadn, 0);
    lease.writeBigUInt64LE(BigInt(st.envoy.clock.now() + 1000), 8);
    st.envoy.sharedData.set('earmark', st.k.leader, lease);
    await st.until(() => st.server.streams[0].ended, 'old leader closed its stream', 50);
    assert.ok(
      st.envoy.logs.some((l) => l.thread === first && /no longer runs the embedded sync/.test(l.message)),
    );
    // The foreign holder never renews: once its lease expires a worker takes over and resyncs.
    await st.until(
      () => st.server.streams.length >= 2 && st.server.streams[1].requests.length >= 1,
      'takeover',
      100,
    );
    assert.equal(leaderThreads().length, 2);
    assert.equal(st.server.streams.filter((x) => !x.ended).length, 1, 'still one stream');
  });

  it("a worker takes over when the leading thread's VM fails, and serves requests and the sync from one VM", async () => {
    // Envoy gives a Wasm HTTP filter a root on the main thread too (ThreadLocal set); it ticks
    // first and usually leads. When its VM fails, its lease runs out and a worker leads instead.
    st = await startStack({ embedded: true, workers: 2, sync: LEASE, config: { usage: { flush_ms: 200 } } });
    await st.until(
      () => st.server.streams.length >= 1 && st.server.streams[0].requests.length >= 1,
      'a stream',
      50,
    );
    assert.deepEqual(leaderThreads(), ['main_thread']);
    st.filter.main!.vm!.fail('RuntimeError', 'Function: proxy_on_tick failed: a test trap');
    await st.until(() => leaderThreads().length >= 2, 'a worker takes the expired lease', 100);
    const worker = leaderThreads()[1];
    assert.match(worker, /^worker_/);
    await st.until(() => st.server.streams.some((x, i) => i > 0 && x.requests.length >= 1), 'its stream', 50);
    const s = st.server.streams.find((x, i) => i > 0 && !x.ended)!;
    const n = s.send({
      resources: [{ name: 'alice', version: '1', reservation: { instance_address: '10.0.0.9:80' } }],
    });
    await st.until(() => s.answersTo(n).length === 1, 'ACK from the worker');
    const w = Number(worker.slice('worker_'.length));
    assert.equal(st.route('alice', w), '10.0.0.9:80', 'the leading worker routes by what it applied');
    assert.equal(st.route('alice', 1 - w), '10.0.0.9:80');
    await st.until(
      () => st.server.reports.flatMap((r) => r.users ?? []).some((u) => u.user === 'alice'),
      'usage through the worker',
      100,
    );
  });
});
