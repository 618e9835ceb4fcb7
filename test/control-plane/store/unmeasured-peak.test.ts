import { strict as assert } from 'node:assert';
import { DenseBuilder } from '../../../control-plane/store/dense-builder';

describe('store: demand of users the filter did not measure', () => {
  const profiles = new Map([
    ['u', { durationMs: 30_000, memoryMb: 100, cpuFraction: 1, bytesPerRequest: 0 }],
  ]);
  // Columns: time, requests, peak_in_flight, bytes_in, bytes_out, cpu, memory, bandwidth, user, node.
  const columns = [
    'time',
    'requests',
    'peak_in_flight',
    'bytes_in',
    'bytes_out',
    'cpu_millicores',
    'memory_mb',
    'bandwidth_kbps',
    'user',
    'node',
  ];
  const col = DenseBuilder.columnIndex(columns);
  const concurrency = (rows: unknown[][]) => {
    const b = new DenseBuilder(1, 60_000, ['u'], profiles);
    for (const r of rows) b.row(0, r, col);
    const { values } = b.result();
    return values[1]; // resource 1 = concurrency, step 0
  };

  it('derives concurrency from requests when the reported peak is 0 (requests admitted without a reservation)', () => {
    // 4 requests × 30 s in a minute: 2 in flight on average.
    assert.equal(concurrency([[0, 4, 0, 0, 0, null, null, null, 'u', 'edge-1']]), 2);
  });

  it('keeps a measured peak, and 0 for a minute without requests', () => {
    assert.equal(concurrency([[0, 4, 3, 0, 0, null, null, null, 'u', 'edge-1']]), 3);
    assert.equal(concurrency([[0, 0, 0, 0, 0, null, null, null, 'u', 'edge-1']]), 0);
  });
});
