import { strict as assert } from 'node:assert';
import { ENVOY_DEFAULTS, GradientController } from '../../../sim/baselines/gradient-controller';

const T0 = 1_000_000;

/** Runs the controller's timers up to `to`. */
function runTimers(c: GradientController, to: number): void {
  for (let t = c.nextEventMs(); t <= to; t = c.nextEventMs()) c.fire(t);
}

/** `n` requests of latency `ms`, one after another, starting at `at`; returns the end time. */
function sequential(c: GradientController, at: number, n: number, ms: number): number {
  let t = at;
  for (let i = 0; i < n; i++) {
    assert.ok(c.forward(), `request ${i} forwarded`);
    c.complete(t, t + ms);
    t += ms;
  }
  return t;
}

describe('adaptive concurrency (gradient controller model)', () => {
  it("uses Envoy's defaults", () => {
    assert.deepEqual(ENVOY_DEFAULTS, {
      sampleAggregatePercentile: 50,
      maxConcurrencyLimit: 1000,
      concurrencyUpdateIntervalMs: 100,
      minRttIntervalMs: 60_000,
      minRttRequestCount: 50,
      jitterPct: 15,
      minConcurrency: 3,
      bufferPct: 25,
    });
  });

  it('starts measuring minRTT at concurrency 3 and blocks the fourth outstanding request', () => {
    const c = new GradientController(T0, 1);
    assert.ok(c.inMinRttWindow);
    assert.equal(c.concurrencyLimit, 3);
    assert.ok(c.forward() && c.forward() && c.forward());
    assert.equal(c.forward(), false);
    assert.equal(c.stats.blocked, 1);
  });

  it('takes minRTT from 50 samples, then restores the limit and schedules the next window with jitter', () => {
    const c = new GradientController(T0, 1);
    const end = sequential(c, T0, 50, 10);
    assert.equal(c.inMinRttWindow, false);
    assert.equal(c.minRtt, 10);
    assert.equal(c.concurrencyLimit, 3);
    const next = c.nextEventMs();
    assert.equal(next, end + 100, 'the sample window timer comes first');
    c.fire(next);
    // No samples in the window: the limit is unchanged.
    assert.equal(c.concurrencyLimit, 3);
  });

  it('grows the limit by the gradient plus sqrt headroom when latency stays near minRTT', () => {
    const c = new GradientController(T0, 1);
    const end = sequential(c, T0, 50, 10);
    // One window of samples at 10 ms: gradient = 10·1.25/10 → clamped to 1.25; limit 3·1.25 = 3.75 + 1.94.
    sequential(c, end, 3, 10);
    c.fire(end + 100);
    assert.equal(c.concurrencyLimit, Math.floor(3 * 1.25 + Math.sqrt(3 * 1.25)));
  });

  it('halves the limit (gradient 0.5) when latency jumps, but never below the minimum', () => {
    const c = new GradientController(T0, 1);
    let t = sequential(c, T0, 50, 10);
    for (let k = 0; k < 10; k++) {
      sequential(c, t, 1, 10);
      t += 100;
      c.fire(t);
    }
    const grown = c.concurrencyLimit;
    assert.ok(grown > 20, `grown to ${grown}`);
    sequential(c, t, 1, 1000); // sampleRTT 1000 vs minRTT 10
    t += 1000;
    c.fire(t);
    const half = grown * 0.5;
    assert.equal(c.concurrencyLimit, Math.floor(half + Math.sqrt(half)));
  });

  it('re-measures minRTT after the limit sat at the minimum for five windows', () => {
    const c = new GradientController(T0, 1);
    let t = sequential(c, T0, 50, 10);
    assert.equal(c.stats.minRttWindows, 1);
    for (let k = 0; k < 6 && !c.inMinRttWindow; k++) {
      sequential(c, t, 1, 500); // far above minRTT: the limit stays at 3
      t += 500;
      c.fire(t);
      runTimers(c, t);
    }
    assert.ok(c.inMinRttWindow);
    assert.equal(c.stats.minRttWindows, 2);
  });

  it('ignores samples of requests sent before the minRTT window began', () => {
    const c2 = new GradientController(T0 + 10, 1);
    assert.ok(c2.forward());
    c2.complete(T0, T0 + 20); // sent before this controller's window
    for (let i = 0; i < 49; i++) {
      c2.forward();
      c2.complete(T0 + 10, T0 + 15);
    }
    assert.ok(c2.inMinRttWindow, 'only 49 samples count');
  });

  it('starts the next minRTT window within interval + 15 % and is deterministic for a seed', () => {
    const starts = (seed: number) => {
      const c = new GradientController(T0, seed);
      const end = sequential(c, T0, 50, 1);
      const out: number[] = [];
      while (out.length < 5) {
        const t = c.nextEventMs();
        const before = c.stats.minRttWindows;
        c.fire(t);
        if (c.stats.minRttWindows > before) {
          out.push(t);
          sequential(c, t, 50, 1);
        }
      }
      return { out, end };
    };
    const a = starts(7);
    assert.deepEqual(a, starts(7));
    const first = a.out[0] - a.end;
    assert.ok(first >= 60_000 && first < 69_000, `first window after ${first} ms`);
  });
});
