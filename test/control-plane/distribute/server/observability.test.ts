import { strict as assert } from 'node:assert';
import {
  syntheticPlan,
  syntheticReservation,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { Harness, eventually } from '../harness';

const opts = { users: 100 };

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('distribute/server: callbacks and metrics', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('calls every hook in protocol order, and survives a hook that throws', async () => {
    const events: string[] = [];
    await h.start({
      callbacks: {
        onStreamOpen: (s) => events.push(`open:${s.service}`),
        onRequest: (s, r) => events.push(r.responseNonce ? 'request:reply' : `request:first:${s.nodeId}`),
        onResponse: () => {
          events.push('response');
          throw new Error('observer bug');
        },
        onAck: () => events.push('ack'),
        onStreamClose: (s, c) => events.push(`close:${s.nodeId}:${c.code}`),
      },
    });
    h.server.publishPlan(syntheticPlan('plan-1', opts));
    const c = h.client('proxy-a', { reconnect: false });
    await c.waitFor(() => c.state.systemVersion === 'plan-1');
    await eventually(() => events.includes('ack'), 'ack hook');
    c.stop();
    await eventually(() => events.some((e) => e.startsWith('close:')), 'close hook');
    assert.deepEqual(events.slice(0, 5), [
      'open:discovery',
      'request:first:proxy-a',
      'response',
      'request:reply',
      'ack',
    ]);
    assert.match(events[events.length - 1], /^close:proxy-a:/);
    assert.ok(h.logger.lines.some((l) => l.level === 'error' && /callback threw/.test(l.msg)));
  });

  it('exports streams, ACKs, bytes, publish-to-ACK latency and per-node lag', async () => {
    await h.start({ compression: { minBytes: 1024 } });
    h.server.publishPlan(syntheticPlan('plan-1', opts));
    const fast = h.client('fast');
    const slow = h.client('slow');
    await fast.waitFor(() => fast.state.systemVersion === 'plan-1');
    await slow.waitFor(() => slow.state.systemVersion === 'plan-1');
    await eventually(() => h.server.node('slow')?.ackedRevision === 1, 'slow ACK');
    slow.pause();
    for (let k = 2; k <= 7; k++) {
      h.server.publishChanges({ upsert: [syntheticReservation(1, opts, k)], systemVersion: `plan-${k}` });
      await fast.waitFor(() => fast.state.systemVersion === `plan-${k}`);
    }
    await eventually(() => h.server.node('fast')?.ackedSystemVersion === 'plan-7', 'fast ACK');
    const text = await h.registry.metrics();
    assert.equal(value(text, 'earmark_distribution_streams{service="discovery"}'), 2);
    assert.equal(value(text, 'earmark_distribution_node_lag_revisions{node="fast"}'), 0);
    assert.ok(value(text, 'earmark_distribution_node_lag_revisions{node="slow"}')! >= 1);
    assert.ok(value(text, 'earmark_distribution_node_lag_seconds{node="slow"}')! >= 0);
    const acks = h.server.nodes().reduce((n, s) => n + s.acks, 0);
    assert.ok(acks >= 8, `fast ACKed 7 revisions, slow at least 1 (${acks})`);
    assert.equal(value(text, 'earmark_distribution_acks_total'), acks);
    assert.ok(value(text, 'earmark_distribution_bytes_sent_total{encoding="gzip"}')! > 0);
    assert.ok(
      value(text, 'earmark_distribution_raw_bytes_sent_total')! >
        value(text, 'earmark_distribution_bytes_sent_total{encoding="gzip"}')!,
    );
    assert.equal(
      value(text, 'earmark_distribution_publish_to_ack_seconds_count'),
      acks,
      'every ACK here completed a revision',
    );
    assert.equal(value(text, 'earmark_distribution_cache_revision'), 7);
    assert.equal(value(text, 'earmark_distribution_cache_resources'), 100);
    const status = h.server.nodes().find((n) => n.nodeId === 'slow')!;
    assert.ok(status.revisionsBehind >= 1 && status.connected);
  });

  it('encodes and compresses a change set once for all wildcard proxies', async () => {
    const nonces = new Map<string, Set<string>>();
    await h.start({
      callbacks: {
        onResponse: (s, r) => nonces.set(r.nonce, (nonces.get(r.nonce) ?? new Set()).add(s.nodeId!)),
      },
    });
    h.server.publishPlan(syntheticPlan('plan-1', opts));
    const clients = ['a', 'b', 'c'].map((n) => h.client(n));
    for (const c of clients) await c.waitFor(() => c.state.systemVersion === 'plan-1');
    h.server.publishChanges({ upsert: [syntheticReservation(3, opts, 1)], systemVersion: 'plan-2' });
    for (const c of clients) await c.waitFor(() => c.state.systemVersion === 'plan-2');
    const delta = [...nonces.values()].filter((nodes) => nodes.size === 3);
    assert.ok(delta.length >= 1, 'one response (one nonce) went to all three proxies');
  });
});
