/**
 * Times the store cannot hold are refused with a 400 naming the field, before any store call:
 * past 2262 (InfluxDB keeps int64 ns) a query or write came back as a 500, and a load sample in
 * epoch seconds was dropped by InfluxDB as beyond retention (a 500, failing its whole batch).
 */
import { strict as assert } from 'node:assert';
import { MAX_EPOCH_MS } from '../../../control-plane/api/openapi/schema-builders';
import { RAW_RETENTION_MS } from '../../../control-plane/store';
import { startHarness, type Harness } from './support/harness';
import * as seed from './support/seed';

const NOW = Date.UTC(2026, 10, 29, 8, 0, 0);
const LOAD = { cpuMillicores: 1, memoryMb: 1, bandwidthKbps: 1, inFlight: 1 };

describe('api: time bounds', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ nowMs: NOW });
    for (const i of seed.instances(1)) h.state.instances.set(i.id, i);
  });
  afterEach(() => h.close());

  const badQuery = async (path: string, param: string) => {
    const r = await h.call('GET', path);
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.equal(r.json.error.code, 'VALIDATION_QUERY');
    assert.ok(
      r.json.error.details.some((d: { path: string }) => d.path.includes(param)),
      `${path} names ${param}: ${r.text}`,
    );
  };

  it('refuses query times past year 2262 on every ranged read', async () => {
    const past = MAX_EPOCH_MS + 1;
    await badQuery(`/v1/decisions?from=9300000000000&to=9300000600000`, 'from');
    await badQuery(`/v1/users/u1/usage?from=${past}&to=${past + 600_000}`, 'from');
    await badQuery(`/v1/users/u1/forecast?from=1000000000000000000000&to=1000000000000000600000`, 'from');
    await badQuery(`/v1/instances/inst-0/load?from=${NOW}&to=${past}`, 'to');
    // The limit itself is still a valid range end.
    const edge = await h.call('GET', `/v1/instances/inst-0/load?from=${MAX_EPOCH_MS - 1}&to=${MAX_EPOCH_MS}`);
    assert.equal(edge.status, 200, edge.text);
  });

  it('refuses body times past year 2262', async () => {
    const r = await h.call('POST', '/v1/events', {
      body: { id: 'far', name: 'far', startMs: 9_300_000_000_000, endMs: 9_300_000_600_000, multiplier: 2 },
    });
    assert.equal(r.status, 400, r.text);
    assert.ok(
      r.json.error.details.some((d: { path: string }) => d.path === '/startMs'),
      r.text,
    );
  });

  it('refuses a load sample outside the raw retention window, naming it, and writes nothing', async () => {
    for (const atMs of [Math.floor(NOW / 1000), NOW - RAW_RETENTION_MS, NOW + 3_600_000, 9_300_000_000_000]) {
      const r = await h.call('POST', '/v1/instances/inst-0/load', {
        body: {
          samples: [
            { ...LOAD, atMs: NOW },
            { ...LOAD, atMs },
          ],
        },
      });
      assert.equal(r.status, 400, `${atMs}: ${r.text}`);
      assert.equal(r.json.error.code, 'VALIDATION_BODY');
      // Past 2262 the schema answers; inside the int64 range the retention check does, with the window.
      assert.ok(
        r.json.error.details.some((d: { path: string }) => d.path === '/samples/1/atMs'),
        r.text,
      );
      if (atMs < MAX_EPOCH_MS) assert.match(r.json.error.message, /samples\[1\]\.atMs .*epoch milliseconds/);
      assert.equal(h.state.loads.length, 0, 'nothing of the report is written');
    }
  });

  it('accepts samples across the window: a day old, now, a minute ahead, and the default', async () => {
    const r = await h.call('POST', '/v1/instances/inst-0/load', {
      body: { samples: [{ ...LOAD, atMs: NOW - 86_400_000 }, { ...LOAD, atMs: NOW + 60_000 }, LOAD] },
    });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(
      h.state.loads.map((l) => l.atMs),
      [NOW - 86_400_000, NOW + 60_000, NOW],
    );
  });
});
