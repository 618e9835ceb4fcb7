/**
 * The sync root (Envoy singleton service) on the compiled module, against a real gRPC control
 * plane on loopback: delta xDS subscription, ACK/NACK with the last good state kept, removals,
 * per-resource TTL, reconnection with backoff and initial_resource_versions, and the plan's
 * freshness as the filters on every worker see it.
 */
import { strict as assert } from 'node:assert';
import { type Stack, TOKEN, startStack } from './support/stack';
import type { ReservationMsg } from './support/protos';

const res = (name: string, r: ReservationMsg = {}, version = 'v1', ttlMs?: number) => ({
  name,
  version,
  reservation: { instance_address: `10.0.0.${name.length}:8080`, slots: 2, ...r },
  ttlMs,
});

describe('plugin: sync root (delta xDS)', () => {
  let st: Stack;
  afterEach(async () => st && (await st.close()));

  const connected = async (n = 1) => {
    await st.until(
      () => st.server.streams.length >= n && st.server.streams[n - 1].requests.length >= 1,
      `stream ${n}`,
      50,
    );
    return st.server.streams[n - 1];
  };

  it('subscribes to every reservation with node, type URL and the bearer token', async () => {
    st = await startStack();
    const s = await connected();
    assert.deepEqual(s.metadata.get('authorization'), [`Bearer ${TOKEN}`]);
    const first = s.requests[0];
    assert.deepEqual(first.node, { id: 'edge-1', cluster: 'edge' });
    assert.equal(first.type_url, 'type.googleapis.com/earmark.v1.Reservation');
    assert.deepEqual(first.resource_names_subscribe ?? [], [], 'wildcard');
    assert.deepEqual(first.initial_resource_versions ?? {}, {});
    assert.equal(first.response_nonce ?? '', '');
  });

  it('applies a response to shared data for every worker and ACKs it', async () => {
    st = await startStack({ workers: 3 });
    const s = await connected();
    const nonce = s.send({
      systemVersionInfo: 'plan-7',
      resources: [
        res('alice', {
          slots: 3,
          rate_per_minute: 600,
          burst: 5,
          priority: 4,
          max_queue_wait_ms: 900,
          on_exhausted: 'REDIRECT',
          fallback: 'spill:80',
          not_before_ms: 1,
          expires_ms: 1e13,
        }),
        res('bob'),
      ],
    });
    await st.until(() => s.answersTo(nonce).length === 1, 'ACK');
    const ack = s.answersTo(nonce)[0];
    assert.equal(ack.error_detail, undefined);
    assert.equal(ack.type_url, 'type.googleapis.com/earmark.v1.Reservation');
    assert.deepEqual(st.record('alice'), {
      withdrawn: false,
      live: { inFlight: 0, tokens: 5n * 60000n, updatedMs: st.envoy.clock.now() },
      onExhausted: 'redirect',
      slots: 3,
      ratePerMinute: 600,
      burst: 5,
      priority: 4,
      maxQueueWaitMs: 900,
      notBeforeMs: 1,
      validUntilMs: 1e13,
      address: '10.0.0.5:8080',
      fallback: 'spill:80',
    });
    const meta = st.meta()!;
    assert.equal(meta.generation, 1);
    assert.equal(meta.version, 'plan-7');
    assert.equal(meta.resources, 2);
    for (let w = 0; w < 3; w++) assert.equal(st.route('alice', w), '10.0.0.5:8080');
    assert.equal(st.route('bob', 1), '10.0.0.3:8080');
    assert.equal(st.envoy.metrics.get('earmark_sync_responses_acked'), 1);
    assert.equal(st.envoy.metrics.get('earmark_sync_stream_state'), 2);
  });

  const nackCases: Array<[string, (s: Stack['server']['streams'][number]) => string, RegExp]> = [
    [
      'an empty instance address',
      (s) => s.send({ resources: [res('alice', { instance_address: '' })] }),
      /resource 'alice': instance_address must be 1 to 255 bytes \(got 0\)/,
    ],
    [
      'a user that is not the resource name',
      (s) => s.send({ resources: [res('alice', { user: 'eve' })] }),
      /resource 'alice': user differs from the resource name/,
    ],
    [
      'another body type',
      (s) => s.send({ resources: [{ ...res('alice'), typeUrl: 'type.googleapis.com/x.Y' }] }),
      /body type is not type.googleapis.com\/earmark.v1.Reservation/,
    ],
    [
      'another response type',
      (s) =>
        s.send({ typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', resources: [res('alice')] }),
      /type_url is not/,
    ],
    [
      'an empty validity window',
      (s) => s.send({ resources: [res('alice', { not_before_ms: 5000, expires_ms: 5000 })] }),
      /not_before_ms must be before expires_ms/,
    ],
    [
      'a body that is not a Reservation',
      (s) => s.send({ resources: [{ name: 'alice', version: 'v2', body: Buffer.from([0x0a, 0xff, 0x01]) }] }),
      /malformed Reservation/,
    ],
  ];
  for (const [what, bad, reason] of nackCases) {
    it(`NACKs ${what} with error_detail and keeps the last good state`, async () => {
      st = await startStack();
      const s = await connected();
      const good = s.send({ systemVersionInfo: 'good', resources: [res('alice'), res('carol')] });
      await st.until(() => s.answersTo(good).length === 1, 'ACK of the good response');
      const before = st.record('alice');
      const nonce = bad(s);
      await st.until(() => s.answersTo(nonce).length === 1, 'NACK');
      const nack = s.answersTo(nonce)[0];
      assert.equal(nack.error_detail?.code, 3);
      assert.match(nack.error_detail?.message ?? '', reason);
      assert.deepEqual(st.record('alice'), before, 'the reservation is untouched');
      assert.equal(st.meta()!.generation, 1);
      assert.equal(st.meta()!.version, 'good');
      assert.equal(st.route('alice'), '10.0.0.5:8080');
      assert.equal(st.envoy.metrics.get('earmark_sync_responses_nacked'), 1);
      assert.ok(
        st.envoy.logs.some(
          (l) => l.level === 'warn' && /rejecting reservation update \(NACK\)/.test(l.message),
        ),
      );
    });
  }

  it('NACKs a response with a bad resource as a whole: none of its good resources are applied', async () => {
    st = await startStack();
    const s = await connected();
    const nonce = s.send({ resources: [res('dave'), res('erin', { instance_address: '' })], removed: [] });
    await st.until(() => s.answersTo(nonce).length === 1, 'NACK');
    assert.equal(st.record('dave'), undefined);
    assert.equal(st.meta(), undefined, 'no plan yet');
  });

  it('withdraws removed reservations (a tombstone, the key is reused)', async () => {
    st = await startStack();
    const s = await connected();
    const a = s.send({ resources: [res('alice'), res('bob')] });
    await st.until(() => s.answersTo(a).length === 1, 'ACK 1');
    const b = s.send({ removed: ['alice'] });
    await st.until(() => s.answersTo(b).length === 1, 'ACK 2');
    assert.deepEqual(st.record('alice'), { withdrawn: true });
    assert.equal(st.route('alice'), undefined);
    assert.equal(st.route('bob'), '10.0.0.3:8080');
    assert.equal(st.meta()!.resources, 1);
    const c = s.send({ resources: [res('alice', {}, 'v9')] });
    await st.until(() => s.answersTo(c).length === 1, 'ACK 3');
    assert.equal(st.route('alice'), '10.0.0.5:8080');
  });

  it('expires a resource whose TTL ran out; a heartbeat of the held version extends it', async () => {
    st = await startStack({ config: { plan_ttl_ms: 60_000 } });
    const s = await connected();
    const a = s.send({ resources: [res('alice', {}, 'v1', 1000), res('bob', {}, 'v1', 1000)] });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    st.envoy.advance(800);
    const hb = s.send({
      resources: [
        { name: 'alice', version: 'v1', ttlMs: 1000 },
        { name: 'bob', version: 'v0', ttlMs: 1000 },
      ],
    });
    await st.until(() => s.answersTo(hb).length === 1, 'ACK heartbeat');
    st.envoy.advance(400); // 1.2 s after the data: bob's TTL ran out, alice's was refreshed at 0.8 s
    assert.equal(st.route('alice'), '10.0.0.5:8080');
    assert.equal(st.route('bob'), undefined, 'a heartbeat naming another version does not refresh');
    st.envoy.advance(200);
    assert.deepEqual(st.record('bob'), { withdrawn: true }, 'the sync root swept it');
    st.envoy.advance(600);
    assert.equal(st.route('alice'), undefined);
    assert.ok(st.envoy.metrics.get('earmark_sync_resources_expired')! >= 2);
  });

  it('keeps requests in flight accounted for when a reservation is updated', async () => {
    st = await startStack();
    const s = await connected();
    const a = s.send({ resources: [res('alice', { slots: 1 })] });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    const inflight = st.filter.newStream(0);
    inflight.sendRequestHeaders(
      { ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'alice' },
      true,
    );
    const b = s.send({ resources: [res('alice', { slots: 5, instance_address: '10.9.9.9:80' }, 'v2')] });
    await st.until(() => s.answersTo(b).length === 1, 'ACK 2');
    const r = st.record('alice');
    assert.ok(r && !r.withdrawn);
    assert.equal(r.slots, 5);
    assert.equal(r.live.inFlight, 1);
    inflight.finish();
    const after = st.record('alice');
    assert.ok(after && !after.withdrawn && after.live.inFlight === 0);
  });

  it('reconnects with backoff and sends initial_resource_versions for what it holds', async () => {
    st = await startStack();
    const s = await connected();
    const a = s.send({ systemVersionInfo: 'p1', resources: [res('alice', {}, 'a1'), res('bob', {}, 'b1')] });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    const rm = s.send({ removed: ['bob'] });
    await st.until(() => s.answersTo(rm).length === 1, 'ACK removal');
    s.close();
    await st.until(() => st.server.streams.length === 2, 'reconnect', 100);
    const again = await connected(2);
    assert.deepEqual(again.requests[0].initial_resource_versions, { alice: 'a1' });
    assert.deepEqual(again.requests[0].node, { id: 'edge-1', cluster: 'edge' });
    assert.equal(st.envoy.metrics.get('earmark_sync_reconnects'), 1);
    assert.equal(st.route('alice'), '10.0.0.5:8080', 'the plan survived the disconnect');
  });

  it('backs off exponentially between failed attempts, up to backoff_max_ms', async () => {
    st = await startStack({ token: 'wrong', logLevel: 'debug', sync: { tick_ms: 10 } });
    const times = (re: RegExp) => st.envoy.logs.filter((l) => re.test(l.message)).map((l) => l.time);
    const opens = () => times(/opening the reservation stream/);
    const closes = () => times(/reservation stream closed with gRPC status 16/);
    await st.until(() => opens().length >= 5, 'five attempts', 10);
    // Delay from each refusal to the next attempt: 200 ms doubling to the 1000 ms cap, the
    // upper half of each random ("equal jitter"), seen at the sync root's 10 ms tick.
    const delays = closes()
      .slice(0, 4)
      .map((t, i) => opens()[i + 1] - t);
    const ceilings = [200, 400, 800, 1000];
    delays.forEach((d, i) => {
      assert.ok(
        d >= ceilings[i] / 2 && d <= ceilings[i] + 10,
        `delay ${i + 1} = ${d} ms, ceiling ${ceilings[i]}`,
      );
    });
    assert.ok(st.envoy.logs.some((l) => /status 16 \(the control plane refused the token\)/.test(l.message)));
  });

  it('closes its side of every stream the control plane ends, so reconnects leave no handles behind', async () => {
    // Envoy erases a remote-closed stream's handle only once the filter closes it too (context.cc
    // onGrpcCloseWrapper / grpcClose); a handle left behind points at a deleted stream.
    st = await startStack({ token: 'wrong', logLevel: 'debug', sync: { tick_ms: 10 } });
    const opens = () => st.envoy.logs.filter((l) => /opening the reservation stream/.test(l.message)).length;
    await st.until(() => opens() >= 5, 'five refused attempts', 10);
    const vm = st.sync!.vm();
    const root = vm.contexts.get(st.sync!.rootContextId())!;
    // At most the two streams of the current attempts (reservations, usage) are held.
    assert.ok(root.grpc.size <= 2, `stream handles held by the sync root: ${root.grpc.size}`);
  });

  it('lets the plan go stale when the control plane is gone, then recovers', async () => {
    st = await startStack({ config: { plan_ttl_ms: 2000, fail_mode: 'closed' } });
    const s = await connected();
    const a = s.send({ resources: [res('alice')] });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    st.envoy.advance(3000);
    assert.equal(st.route('alice'), '10.0.0.5:8080', 'a connected stream keeps the plan fresh');
    st.server.autoRefuse = true;
    s.close();
    await st.until(() => st.server.refused.length >= 1, 'refused reconnect', 100);
    st.envoy.advance(2500);
    const f = st.filter.newStream(1);
    f.sendRequestHeaders(
      { ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'alice' },
      true,
    );
    assert.equal(f.localReply?.status, 503, 'fail closed once the plan is older than plan_ttl_ms');
    st.server.autoRefuse = false;
    await st.until(
      () => st.server.current !== undefined && st.server.current.requests.length > 0,
      'back',
      100,
    );
    const b = st.server.current!.send({ resources: [] });
    await st.until(() => st.server.current!.answersTo(b).length === 1, 'ACK after recovery');
    assert.equal(st.route('alice'), '10.0.0.5:8080');
  });
});
