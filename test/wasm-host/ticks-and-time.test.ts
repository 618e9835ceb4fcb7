/**
 * Ticks and time.
 * Sources: proxy-wasm-cpp-host src/context.cc setTimerPeriod (per root context),
 * envoy source/extensions/common/wasm/wasm.cc setTimerPeriod/tickHandler (a timer on the VM's own
 * dispatcher, re-armed after every tick, 0 disarms), context.cc getCurrentTimeNanoseconds
 * (the dispatcher's time source).
 */
import { strict as assert } from 'node:assert';
import { EnvoyProcess } from '../../wasm-host';
import { msToNs, msToNsWords } from '../../wasm-host/clock';
import { newEnvoy, PROBE, probe, r, send, wasmLogs } from './helpers';

describe('wasm-host: ticks and time (envoy wasm.cc tickHandler)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy({ concurrency: 2, canary: false })));
  afterEach(() => envoy.close());

  it('ticks each root context on its own VM thread, at its own period', () => {
    probe(envoy, { configuration: 'tick=100' });
    envoy.addWasmService({
      name: 'svc',
      rootId: 'svc',
      vmId: 'probe_vm',
      wasm: PROBE(),
      configuration: 'tick=250',
      singleton: true,
    });
    envoy.advance(500);
    const ticks = envoy.logs.filter((l) => l.message.startsWith('tick '));
    const by = (thread: string) => ticks.filter((t) => t.thread === thread).length;
    assert.equal(by('worker_0'), 5);
    assert.equal(by('worker_1'), 5);
    // The main thread's VM holds the filter's root (id 1, from the ThreadLocal slot) and the
    // singleton's (id 2): each ticks at its own period.
    const main = ticks.filter((t) => t.thread === 'main_thread').map((t) => /root=(\d+)/.exec(t.message)![1]);
    assert.deepEqual(
      [main.filter((id) => id === '1').length, main.filter((id) => id === '2').length],
      [5, 2],
    );
  });

  it('the module sees the virtual clock: a tick at t0+100ms reads t0+100ms', () => {
    const start = Date.UTC(2025, 5, 1);
    const e = new EnvoyProcess({ startTime: start, canary: false });
    try {
      probe(e, { configuration: 'tick=100' });
      e.advance(100);
      const at = `tick root=1 n=1 now=${BigInt(start + 100) * 1_000_000n}`;
      const ticks = e.logs
        .filter((l) => l.message.startsWith('tick '))
        .map((l) => `${l.thread} ${l.message}`);
      // The main thread's root was configured (and its timer armed) first, so it ticks first.
      assert.deepEqual(ticks, [`main_thread ${at}`, `worker_0 ${at}`]);
      const s = e.addHttpFilter({ name: 'p2', wasm: PROBE(), vmId: 'x' }).newStream(0);
      send(s, 'time');
      assert.equal(r(s, 'time'), String(BigInt(start + 100) * 1_000_000n));
    } finally {
      void e.close();
    }
  });

  it('nanoseconds are exact at any virtual time (no double rounding near 1.7e18)', () => {
    const e = new EnvoyProcess({ startTime: 1704067205001, canary: false });
    try {
      const s = probe(e).newStream(0);
      send(s, 'time');
      assert.equal(r(s, 'time'), '1704067205001000000');
      e.advance(0.5);
      const s2 = probe(e, { vmId: 'other' }).newStream(0);
      send(s2, 'time');
      assert.equal(r(s2, 'time'), '1704067205001500000');
    } finally {
      void e.close();
    }
  });

  it('time is written as two u32 words without BigInt, bit-exact with the BigInt conversion', () => {
    const out = new Uint32Array(2);
    // Word carries (4294.967296 ms = 2^32 ns), fractions, today's epoch, and the far future.
    const cases = [
      0,
      4294.967295,
      4294.967296,
      4294.967297,
      1704067205001,
      1704067205001.5,
      2 ** 40 + 0.999999,
    ];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      cases.push((seed / 0x7fffffff) * 9e12, Math.floor((seed / 0x7fffffff) * 4e12) + (i % 1000) / 1000);
    }
    for (const ms of cases) {
      msToNsWords(ms, out);
      assert.equal((BigInt(out[1]) << 32n) | BigInt(out[0]), msToNs(ms), `at ${ms} ms`);
    }
  });

  it('a period of 0 stops the ticks', () => {
    probe(envoy, { configuration: 'tick=10,tick_stop' });
    envoy.advance(100);
    assert.equal(
      wasmLogs(envoy, 'tick ').length,
      3,
      'one tick per root (main thread, 2 workers), then stopped',
    );
  });

  it('real-time mode follows the host clock and fires ticks from real timers', async () => {
    const e = new EnvoyProcess({ clock: 'real', canary: false });
    try {
      probe(e, { configuration: 'tick=20' });
      await e.waitFor(() => wasmLogs(e, 'tick ').length >= 2, 3000);
      const ns = BigInt(/now=(\d+)/.exec(wasmLogs(e, 'tick ')[0])![1]);
      const drift = Math.abs(Number(ns / 1_000_000n) - Date.now());
      assert.ok(drift < 2000, `module time within the host clock (drift ${drift} ms)`);
      assert.throws(() => e.advance(10), /virtual clock/);
    } finally {
      await e.close();
    }
  });
});
