/**
 * The compiled filter against the real control-plane distribution server
 * (control-plane/distribute/) on loopback: a published plan lands in every worker's view, a later
 * plan withdraws what it dropped, and usage reaches the server's sink.
 */
import { strict as assert } from 'node:assert';
import { DistributionServer } from '../../control-plane/distribute';
import {
  syntheticPlan,
  syntheticReservation,
} from '../../control-plane/distribute/testing/synthetic-reservations';
import type { UsageReport } from '../../control-plane/domain/usage';
import { EnvoyProcess, type Plugin } from '../../wasm-host';
import { FILTER_ROOT, SYNC_ROOT, VM_ID, wasmPath } from './support/harness';
import { decodeMeta, decodeRecord, keys } from './support/records';

describe('plugin: with the real distribution server', () => {
  let server: DistributionServer;
  let envoy: EnvoyProcess;
  let filter: Plugin;
  const reports: UsageReport[] = [];
  const k = keys();

  before(async () => {
    server = new DistributionServer({
      auth: { tokens: ['t0k3n'] },
      usageSink: { writeUsage: (r) => void reports.push(r) },
    });
    const { port } = await server.start({ host: '127.0.0.1', port: 0 });
    envoy = new EnvoyProcess({
      concurrency: 2,
      clock: 'virtual',
      node: { id: 'edge-7', cluster: 'edge' },
      clusters: { earmark_control_plane: `127.0.0.1:${port}` },
    });
    const config = JSON.stringify({
      usage: { flush_ms: 200 },
      sync: { cluster: 'earmark_control_plane', token: 't0k3n', report_interval_ms: 500 },
    });
    envoy.addWasmService({
      name: 'sync',
      rootId: SYNC_ROOT,
      vmId: VM_ID,
      wasm: wasmPath(),
      configuration: config,
      singleton: true,
    });
    filter = envoy.addHttpFilter({
      name: 'earmark',
      rootId: FILTER_ROOT,
      vmId: VM_ID,
      wasm: wasmPath(),
      configuration: config,
    });
  });
  after(async () => {
    await envoy.close();
    await server.stop(100);
  });

  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      envoy.advance(50);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const meta = () => {
    const e = envoy.sharedData.get(VM_ID, k.meta);
    return e && decodeMeta(e.value);
  };
  const route = (user: string, worker: number) => {
    const s = filter.newStream(worker);
    s.sendRequestHeaders({ ':method': 'GET', ':path': '/', ':authority': 's', 'x-earmark-user': user }, true);
    const v = s.requestHeaders.get('x-earmark-instance');
    s.finish();
    return v;
  };

  it('applies a published plan of 2,000 users for every worker and ACKs it', async () => {
    const opts = { users: 2000, issuedAtMs: envoy.clock.now() - 1000, windowMs: 3_600_000 };
    server.publishPlan(syntheticPlan('plan-1', opts));
    await until(() => meta()?.resources === 2000 && meta()?.version === 'plan-1', 'plan-1 applied');
    for (const i of [0, 1, 777, 1999]) {
      const r = syntheticReservation(i, opts);
      assert.equal(route(r.user, i % 2), r.instanceAddress, r.user);
      const rec = decodeRecord(envoy.sharedData.get(VM_ID, k.record(r.user))!.value);
      assert.ok(rec && !rec.withdrawn);
      assert.equal(rec.slots, r.slots);
      assert.equal(rec.priority, r.priority);
      assert.equal(rec.onExhausted, r.onExhausted);
    }
    await until(
      () => server.resourceState('edge-7', syntheticReservation(5, opts).user).state === 'acked',
      'acked',
    );
    assert.equal(server.node('edge-7')?.nacks, 0);
  });

  it('withdraws the users a later plan drops', async () => {
    const opts = { users: 1500, issuedAtMs: envoy.clock.now() - 1000, windowMs: 3_600_000 };
    server.publishPlan(syntheticPlan('plan-2', opts));
    await until(() => meta()?.resources === 1500 && meta()?.version === 'plan-2', 'plan-2 applied');
    const dropped = syntheticReservation(1700, opts).user;
    assert.deepEqual(decodeRecord(envoy.sharedData.get(VM_ID, k.record(dropped))!.value), {
      withdrawn: true,
    });
    assert.equal(route(dropped, 0), undefined);
    assert.equal(
      route(syntheticReservation(10, opts).user, 1),
      syntheticReservation(10, opts).instanceAddress,
    );
  });

  it("delivers the workers' usage to the server's sink", async () => {
    const user = syntheticReservation(3, { users: 1 }).user;
    for (let i = 0; i < 5; i++) route(user, i % 2);
    await until(() => reports.some((r) => r.users.some((u) => u.user === user)), 'usage of the user');
    const rows = reports.flatMap((r) => r.users.filter((u) => u.user === user));
    assert.equal(rows.reduce((a, u) => a + u.requests, 0) >= 5, true);
    assert.equal(reports[reports.length - 1].nodeId, 'edge-7');
  });
});
