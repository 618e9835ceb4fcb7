import { strict as assert } from 'node:assert';
import type { UsageReport } from '../../../control-plane/domain/usage';
import { formatPoint, InvalidUsageError, usagePoints } from '../../../control-plane/store';
import { usageLines } from '../../../control-plane/store/usage';

function report(): UsageReport {
  const users = ['plain', 'with space', 'comma,user', 'eq=user', 'ünï'].map((user, i) => ({
    user,
    requests: 10 * i,
    admitted: 9 * i,
    queued: i % 2,
    queueWaitMs: 12.5 * i,
    queueWaitMaxMs: i,
    throttled: i === 3 ? 2 : 0,
    redirected: i === 4 ? 1 : 0,
    peakInFlight: i,
    bytesIn: 1e6 * i,
    bytesOut: 2e12 * i,
    shortfall: 0,
    unreserved: i === 2 ? 5 : 0,
  }));
  return {
    nodeId: 'envoy 1',
    sequence: 7,
    intervalStartMs: 1_700_000_000_000,
    intervalMs: 10_000,
    planVersion: 'p"1',
    users,
  };
}

describe('store: usage reports as points', () => {
  it('the fast line builder writes exactly what formatting the points would', () => {
    assert.deepEqual(usageLines(report()), usagePoints(report()).map(formatPoint));
  });

  it('always writes the measured fields, and only non-zero counters', () => {
    const [zero, , second] = usageLines(report());
    assert.equal(
      zero,
      'usage,node=envoy\\ 1,user=plain requests=0,peak_in_flight=0,bytes_in=0,bytes_out=0 1700000000000',
    );
    assert.match(second, /unreserved=5/);
    assert.doesNotMatch(second, /throttled|redirected|shortfall/);
  });

  it('refuses a report that cannot be stored, naming the user and field', () => {
    const bad = report();
    bad.users[1].requests = -1;
    assert.throws(
      () => usageLines(bad),
      (e: Error) => e instanceof InvalidUsageError && /user "with space" has requests=-1/.test(e.message),
    );
    assert.throws(() => usageLines({ ...report(), nodeId: '' }), /without a node id/);
    assert.throws(
      () => usageLines({ ...report(), users: [{ ...report().users[0], user: '' }] }),
      /empty user id/,
    );
    assert.throws(
      () => usagePoints({ ...report(), users: [{ ...report().users[0], bytesIn: NaN }] }),
      /bytesIn=NaN/,
    );
  });
});
