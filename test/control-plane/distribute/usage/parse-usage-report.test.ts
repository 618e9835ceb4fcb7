import { strict as assert } from 'node:assert';
import {
  parseUsageReport,
  type RawUsageReport,
} from '../../../../control-plane/distribute/usage/parse-usage-report';

const NOW = 1_767_225_600_000;
const good = (): RawUsageReport => ({
  nodeId: 'proxy-a',
  sequence: '7',
  intervalStartMs: String(NOW - 60_000),
  intervalMs: 60_000,
  planVersion: 'plan-1',
  users: [
    {
      user: 'u1',
      requests: 10,
      admitted: 8,
      queued: 2,
      queueWaitMs: '120',
      queueWaitMaxMs: 90,
      bytesIn: '1000',
      bytesOut: '20000',
    },
    { user: 'u2', requests: 1 },
  ],
});

describe('distribute/usage: parseUsageReport', () => {
  it('parses a valid report, with 64-bit fields as numbers and absent counters as 0', () => {
    const r = parseUsageReport(good(), NOW);
    assert.ok(r.ok);
    assert.equal(r.value.sequence, 7);
    assert.equal(r.value.users[0].bytesOut, 20000);
    assert.equal(r.value.users[1].throttled, 0);
  });

  // One fixture per mistake, each with the reason it must give.
  const mistakes: [string, (r: RawUsageReport) => void, RegExp][] = [
    ['an empty node id', (r) => (r.nodeId = ''), /node_id is empty/],
    ['a node id that is too long', (r) => (r.nodeId = 'n'.repeat(257)), /longer than 256/],
    ['sequence 0', (r) => (r.sequence = '0'), /sequence must be/],
    ['a sequence beyond 2^53', (r) => (r.sequence = '18446744073709551615'), /sequence must be/],
    ['no interval start', (r) => delete r.intervalStartMs, /interval_start_ms/],
    [
      'an interval starting in the future',
      (r) => (r.intervalStartMs = String(NOW + 3_600_000)),
      /in the future/,
    ],
    ['interval_ms 0', (r) => (r.intervalMs = 0), /interval_ms must be/],
    ['an interval longer than a day', (r) => (r.intervalMs = 86_400_001), /interval_ms must be/],
    ['a plan version that is too long', (r) => (r.planVersion = 'p'.repeat(300)), /plan_version/],
    ['a user row without a user', (r) => (r.users![1].user = ''), /users\[1\]\.user is empty/],
    ['the same user twice', (r) => (r.users![1].user = 'u1'), /appears twice/],
    [
      'a counter that is not a uint32',
      (r) => (r.users![0].requests = -1),
      /users\[0\]\.requests is not a uint32/,
    ],
    ['bytes beyond 2^53', (r) => (r.users![0].bytesIn = '9007199254740993'), /bytesIn is beyond 2\^53/],
  ];
  for (const [what, mutate, reason] of mistakes) {
    it(`rejects ${what}`, () => {
      const raw = good();
      mutate(raw);
      const r = parseUsageReport(raw, NOW);
      assert.ok(!r.ok, 'must be rejected');
      assert.match(r.error, reason);
    });
  }

  it("rejects a report for another node than the stream's", () => {
    const r = parseUsageReport(good(), NOW, 'proxy-b');
    assert.ok(!r.ok && /differs from this stream's node/.test(r.error));
  });

  it('rejects more user rows than the limit', () => {
    const r = parseUsageReport(good(), NOW, undefined, {
      maxUsersPerReport: 1,
      maxIntervalMs: 86_400_000,
      maxFutureSkewMs: 0,
    });
    assert.ok(!r.ok && /exceed the limit/.test(r.error));
  });
});
