import { strict as assert } from 'node:assert';
import type { ProxyRequest, SharedReservation } from '../../../sim/proxy';
import { BURST_RPM, BURST_START, MINUTE, startWorld, T0, type World } from './support';

describe('control-plane/service: the whole cycle on InfluxDB and emulated proxies (SimClock)', function () {
  this.timeout(180_000);
  let w: World | undefined;
  after(async () => w?.close());

  it("reserves ahead of a bursty user's forecast burst: the reservation is in the proxy before the burst and is used", async () => {
    // The first cycle waits for its tick, so the proxy is seen holding nothing before it.
    w = await startWorld({ runFirstCycle: false });
    await w.until(() => w!.fleet.proxies[0].planMeta()?.streamState === 2, 'the proxy connected');
    assert.equal(w.cp.status().cycle.runs, 0);
    assert.deepEqual(
      w.cp.status().warmup,
      { steps: 60, users: 3 },
      'the engine replayed the last hour first',
    );
    assert.equal(w.fleet.reservation('burst-user'), undefined);
    assert.equal(w.workload.inBurst(w.workload.minuteOf(BURST_START)), true);
    assert.equal(w.workload.inBurst(w.workload.minuteOf(BURST_START - MINUTE)), false);
    const burst: ProxyRequest[] = [];
    w.driver.onDecision = (r) => {
      if (r.user === 'burst-user' && r.sentAtMs >= BURST_START && r.sentAtMs < BURST_START + MINUTE)
        burst.push(r);
    };
    // Minute by minute up to the burst, noting when the proxy first holds a reservation covering it.
    let heldSince: number | undefined;
    let heldAtBurst: SharedReservation | undefined;
    while (w.clock.now() < BURST_START) {
      await w.minute();
      const r = w.fleet.reservation('burst-user');
      const covers =
        !!r &&
        r.slots > 0 &&
        r.ratePerMinute >= BURST_RPM &&
        r.notBeforeMs <= BURST_START &&
        r.validUntilMs > BURST_START;
      if (covers && heldSince === undefined) heldSince = w.clock.now();
      if (!covers) heldSince = undefined;
      if (w.clock.now() <= BURST_START) heldAtBurst = r;
    }
    assert.ok(
      heldSince !== undefined && heldSince < BURST_START,
      'the reservation covering the burst arrived before it began',
    );
    const instance = w.companions.instances.find((i) => i.address === heldAtBurst!.address);
    assert.ok(instance, `reserved on a companion instance (${heldAtBurst!.address})`);

    // The forecast issued before the burst saw it coming.
    const forecasts = await w.cp.store.readForecasts({
      user: 'burst-user',
      resource: 'requests',
      fromMs: BURST_START,
      toMs: BURST_START + MINUTE,
    });
    const before = forecasts.filter((f) => f.issuedAtMs < BURST_START);
    assert.ok(before.length > 0, 'forecasts for the burst minute were recorded before it');
    assert.ok(
      before.some((f) => (f.quantiles[0.99] ?? 0) >= BURST_RPM / 2),
      'the tail forecast foresaw the burst',
    );

    // The burst's first minute goes straight to the reserved instance.
    await w.minute();
    assert.ok(burst.length >= BURST_RPM * 0.9, `${burst.length} burst requests decided`);
    const routed = burst.filter((r) => r.decision === 'reserved' && r.target === instance!.address);
    assert.equal(routed.length, burst.length, `decisions: ${JSON.stringify(burst.map((r) => r.decision))}`);
    const st = w.cp.status().cycle;
    assert.equal(st.failed, 0);
    assert.ok(st.succeeded >= 20);
    assert.ok(st.last!.stages.map((s) => s.stage).join() === 'read,forecast,allocate,publish,record');
    assert.ok(T0 < BURST_START);
  });
});
