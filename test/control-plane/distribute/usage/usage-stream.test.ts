import { strict as assert } from 'node:assert';
import * as grpc from '@grpc/grpc-js';
import { UsageReporter } from '../../../../control-plane/distribute/client/usage-reporter';
import type { UsageReport } from '../../../../control-plane/domain/usage';
import { Harness, TOKEN, eventually } from '../harness';

function report(sequence: number, nodeId = 'proxy-a'): UsageReport {
  return {
    nodeId,
    sequence,
    intervalStartMs: Date.now() - 60_000,
    intervalMs: 60_000,
    planVersion: 'plan-1',
    users: [
      {
        user: 'u1',
        requests: 10,
        admitted: 9,
        queued: 1,
        queueWaitMs: 40,
        queueWaitMaxMs: 40,
        throttled: 0,
        redirected: 1,
        peakInFlight: 3,
        bytesIn: 100,
        bytesOut: 2000,
        shortfall: 1,
        unreserved: 0,
      },
    ],
  };
}

async function outcome(h: Harness, o: string): Promise<number> {
  const text = await h.registry.getSingleMetricAsString('earmark_usage_reports_total');
  const m = new RegExp(`outcome="${o}"} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('distribute/usage: StreamUsage', () => {
  const h = new Harness();
  let reporters: UsageReporter[] = [];
  const reporter = () => {
    const r = new UsageReporter({ address: h.address, token: TOKEN });
    reporters.push(r);
    return r;
  };
  beforeEach(() => h.start({ usage: { reportIntervalMs: 30_000 } }));
  afterEach(async () => {
    for (const r of reporters) r.close();
    reporters = [];
    await h.cleanup();
  });

  it('writes valid reports to the sink and acknowledges their sequence', async () => {
    const r = reporter();
    r.send(report(1));
    r.send(report(2));
    await r.nextAcks(2);
    assert.equal(r.acked, 2);
    assert.equal(r.reportIntervalMs, 30_000);
    assert.equal(h.sink.reports.length, 2);
    assert.deepEqual(h.sink.reports[0].users[0], report(1).users[0]);
    assert.equal(h.sink.reports[1].sequence, 2);
  });

  it('counts and drops malformed reports with a log line, and keeps the stream up', async () => {
    const r = reporter();
    r.send(report(1));
    r.sendRaw(Buffer.from([0x0a, 0xff, 0x01])); // not a UsageReport
    r.sendRaw({ nodeId: 'proxy-a', sequence: 2, intervalStartMs: Date.now(), intervalMs: 0 }); // invalid interval
    r.sendRaw({ ...report(3), nodeId: 'someone-else' }); // another node on this stream
    r.send(report(4));
    await r.nextAcks(5);
    assert.equal(r.acked, 4, 'the stream stayed up and accepted the next good report');
    assert.equal(r.status, undefined);
    assert.deepEqual(
      h.sink.reports.map((x) => x.sequence),
      [1, 4],
    );
    assert.equal(await outcome(h, 'malformed'), 3);
    assert.equal(await outcome(h, 'accepted'), 2);
    const drops = h.logger.lines.filter((l) => /usage report dropped \(malformed\)/.test(l.msg));
    assert.equal(drops.length, 3);
    assert.match(String(drops[0].fields!.reason), /undecodable UsageReport/);
    assert.match(String(drops[1].fields!.reason), /interval_ms/);
    assert.match(String(drops[2].fields!.reason), /differs from this stream's node/);
  });

  it('drops replayed sequences, also across reconnects', async () => {
    const r1 = reporter();
    r1.send(report(1));
    r1.send(report(2));
    await r1.nextAcks(2);
    r1.close();
    const r2 = reporter();
    r2.send(report(2)); // the proxy resends what it was not sure about
    r2.send(report(3));
    await r2.nextAcks(2);
    assert.equal(r2.acked, 3);
    assert.deepEqual(
      h.sink.reports.map((x) => x.sequence),
      [1, 2, 3],
    );
    assert.equal(await outcome(h, 'replay'), 1);
    assert.deepEqual(
      h.server.usageNodes().map((n) => [n.nodeId, n.acceptedSequence]),
      [['proxy-a', 3]],
    );
  });

  it('does not acknowledge a report the store refused, and accepts its retry', async () => {
    const r = reporter();
    h.sink.failNext = 1;
    r.send(report(1));
    await r.nextAcks(1);
    assert.equal(r.acked, 0);
    r.send(report(1));
    await r.nextAcks(1);
    assert.equal(r.acked, 1);
    assert.equal(h.sink.reports.length, 1);
    assert.equal(await outcome(h, 'sink_error'), 1);
  });

  it('refuses a usage stream without a valid token', async () => {
    const r = new UsageReporter({ address: h.address, token: 'wrong' });
    reporters.push(r);
    r.send(report(1));
    await eventually(() => r.status !== undefined, 'refusal');
    assert.equal(r.status!.code, grpc.status.UNAUTHENTICATED);
    assert.equal(h.sink.reports.length, 0);
  });

  it('answers UNIMPLEMENTED when the server has no usage sink', async () => {
    await h.cleanup();
    await h.start({ usageSink: undefined });
    const r = reporter();
    r.send(report(1));
    await eventually(() => r.status !== undefined, 'status');
    assert.equal(r.status!.code, grpc.status.UNIMPLEMENTED);
  });
});
