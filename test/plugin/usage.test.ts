/**
 * Usage going up: the workers count per user, ship batches on the shared queue, the sync root sums
 * them and streams earmark.v1.UsageReport to the control plane; unacknowledged reports are resent
 * after a reconnect.
 */
import { strict as assert } from 'node:assert';
import { type Stack, startStack } from './support/stack';
import type { UserUsageObj } from './support/protos';

describe('plugin: usage reports', () => {
  let st: Stack;
  afterEach(async () => st && (await st.close()));

  const streamFor = async () => {
    await st.until(
      () => st.server.current !== undefined && st.server.current.requests.length > 0,
      'xDS stream',
      50,
    );
    return st.server.current!;
  };

  const request = (
    user: string,
    worker: number,
    opts: { body?: string; response?: string; reset?: boolean } = {},
  ) => {
    const s = st.filter.newStream(worker);
    s.sendRequestHeaders(
      { ':method': 'POST', ':path': '/', ':authority': 's', 'x-earmark-user': user },
      !opts.body,
    );
    if (opts.body) s.sendRequestBody(opts.body, true);
    if (opts.reset) {
      s.reset();
      return s;
    }
    if (!s.localReply && s.lastStatus === 'Continue') {
      s.sendResponseHeaders({ ':status': '200' }, !opts.response);
      if (opts.response) s.sendResponseBody(opts.response, true);
    }
    s.finish();
    return s;
  };

  const byUser = (users: UserUsageObj[]) => Object.fromEntries(users.map((u) => [u.user, u]));

  it('reports what every worker saw, per user, with the plan version', async () => {
    st = await startStack({ workers: 3, config: { usage: { flush_ms: 200 } } });
    const s = await streamFor();
    const a = s.send({
      systemVersionInfo: 'plan-42',
      resources: [
        { name: 'alice', version: '1', reservation: { instance_address: '10.0.0.1:80', slots: 5 } },
        {
          name: 'rita',
          version: '1',
          reservation: { instance_address: '10.0.0.2:80', slots: 1, on_exhausted: 'REJECT' },
        },
      ],
    });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    for (let w = 0; w < 3; w++) request('alice', w, { body: 'abcd', response: 'hello!' });
    request('bob', 1);
    const hold = st.filter.newStream(2);
    hold.sendRequestHeaders(
      { ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'rita' },
      true,
    );
    request('rita', 0); // 429: rita's only slot is held
    hold.finish();
    await st.until(
      () => st.server.reports.some((r) => (r.users ?? []).length > 0),
      'a report with users',
      100,
    );
    const reports = st.server.reports.filter((r) => (r.users ?? []).length > 0);
    const users = byUser(reports.flatMap((r) => r.users ?? []));
    assert.deepEqual(users.alice, {
      user: 'alice',
      requests: 3,
      admitted: 3,
      peak_in_flight: 1,
      bytes_in: 12,
      bytes_out: 18,
    });
    assert.deepEqual(users.bob, { user: 'bob', requests: 1, unreserved: 1 });
    assert.deepEqual(users.rita, { user: 'rita', requests: 2, admitted: 1, throttled: 1, peak_in_flight: 1 });
    const r = reports[0];
    assert.equal(r.node_id, 'edge-1');
    assert.equal(r.plan_version, 'plan-42');
    assert.ok((r.sequence ?? 0) >= 1);
    assert.ok((r.interval_ms ?? 0) > 0);
  });

  it('reports queueing, queue wait and shortfall', async () => {
    st = await startStack({ config: { usage: { flush_ms: 200 } } });
    const s = await streamFor();
    const a = s.send({
      resources: [
        {
          name: 'tina',
          version: '1',
          reservation: {
            instance_address: '10.0.0.3:80',
            slots: 1,
            on_exhausted: 'TOP_UP',
            max_queue_wait_ms: 300,
          },
        },
      ],
    });
    await st.until(() => s.answersTo(a).length === 1, 'ACK');
    const first = st.filter.newStream(0);
    first.sendRequestHeaders(
      { ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'tina' },
      true,
    );
    const waiting = st.filter.newStream(0);
    waiting.sendRequestHeaders(
      { ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'tina' },
      true,
    );
    st.envoy.advance(400); // times out: no fallback, 429
    assert.equal(waiting.localReply?.status, 429);
    first.finish();
    waiting.finish();
    await st.until(
      () => st.server.reports.some((r) => (r.users ?? []).length > 0),
      'a report with users',
      100,
    );
    const tina = byUser(st.server.reports.flatMap((r) => r.users ?? [])).tina;
    assert.equal(tina.queued, 1);
    assert.equal(tina.shortfall, 1);
    assert.equal(tina.throttled, 1);
    assert.ok((tina.queue_wait_ms ?? 0) >= 300 && (tina.queue_wait_max_ms ?? 0) >= 300);
  });

  it('keeps reports the server has not acknowledged and resends them after a reconnect', async () => {
    st = await startStack({ server: { autoAckUsage: false }, config: { usage: { flush_ms: 200 } } });
    const x = await streamFor();
    const plan = x.send({ resources: [] });
    await st.until(() => x.answersTo(plan).length === 1, 'ACK');
    request('zoe', 0);
    await st.until(() => st.server.reports.some((r) => (r.users ?? []).length > 0), 'first report', 100);
    const first = st.server.reports.find((r) => (r.users ?? []).length > 0)!;
    const stream = st.server.usageStreams[st.server.usageStreams.length - 1];
    stream.close();
    await st.until(
      () => st.server.usageStreams.length >= 2 && st.server.usageStreams[1].reports.length > 0,
      'resent',
      100,
    );
    const resent = st.server.usageStreams[1].reports[0];
    assert.equal(resent.sequence, first.sequence);
    assert.deepEqual(resent.users, first.users);
    st.server.usageStreams[1].ack(first.sequence!);
    await st.until(() => st.envoy.metrics.get('earmark_usage_reports_acked') === 1, 'acked', 0);
    st.server.usageStreams[1].close();
    await st.until(
      () => st.server.usageStreams.length >= 3 && !st.server.usageStreams[2].ended,
      'third stream',
      100,
    );
    st.envoy.advance(100);
    await new Promise((r) => setTimeout(r, 50));
    st.envoy.drain();
    assert.ok(
      st.server.usageStreams[2].reports.every((r) => r.sequence !== first.sequence),
      'an acknowledged report is not sent again',
    );
  });

  it('counts the batches a worker drops when no sync root takes them', async () => {
    st = await startStack({ embedded: false, config: { usage: { flush_ms: 200 }, key_prefix: 'other/' } });
    // The sync root registered "other/usage"; a filter configured with another prefix finds no queue.
    const lonely = st.envoy.addHttpFilter({
      name: 'lonely',
      rootId: 'earmark_filter',
      vmId: 'earmark',
      wasm: 'build/earmark.wasm',
      configuration: JSON.stringify({ key_prefix: 'nobody/', usage: { flush_ms: 200 } }),
    });
    const s = lonely.newStream(0);
    s.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': 'u' }, true);
    s.finish();
    st.envoy.advance(500);
    assert.ok((st.envoy.metrics.get('earmark_usage_batches_dropped') ?? 0) >= 1);
  });

  it("drops and counts batches once the sync root's VM has failed, instead of piling them on its queue", async () => {
    st = await startStack({ config: { usage: { flush_ms: 200 } } });
    await streamFor();
    const token = st.envoy.sharedQueues.resolve('earmark', st.k.usageQueue)!;
    assert.ok(token !== undefined, 'the sync root registered its queue');
    // A trap fails the sync VM (the host's failure path, as for a trap in a callback). Envoy keeps
    // its queue, which goes only with the last VM of the vm_id, accepts every enqueue and delivers
    // nothing: the workers must notice by the consumer's stamp going old.
    st.sync!.vm().fail('RuntimeError', 'Function: proxy_on_tick failed: a test trap');
    for (let i = 0; i < 200; i++) {
      request(`u${i % 7}`, i % 2);
      st.envoy.advance(250); // 50 s in all: a flush per tick
    }
    const queued = st.envoy.sharedQueues.length(token);
    const dropped = st.envoy.metrics.get('earmark_usage_batches_dropped') ?? 0;
    // The stamp is given ten sync ticks and 5 s (~6 s of the 50 s: ~24 of ~200 batches).
    assert.ok(queued > 0 && queued <= 40, `batches left on the dead queue: ${queued}`);
    assert.ok(dropped >= 150, `batches dropped and counted: ${dropped} (left: ${queued})`);
    assert.ok(
      st.envoy.logs.some((l) => l.level === 'warn' && /usage queue has had no consumer/.test(l.message)),
      'a worker says why',
    );
  });
});
