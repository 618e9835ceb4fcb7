import { strict as assert } from 'node:assert';
import { HISTOGRAM_DEFAULTS, IdleHistogram } from '../../../sim/baselines/idle-histogram';

const C = HISTOGRAM_DEFAULTS;

function histogramOf(idle: number[], range = C.rangeMinutes): IdleHistogram {
  const h = new IdleHistogram(range);
  for (const x of idle) h.add(x);
  return h;
}

describe('idle-time histogram (hybrid histogram policy)', () => {
  it('a periodic function (every 30 min): pre-warm at the 5th percentile less 10 %, hold to the 99th plus 10 %', () => {
    // Runs one minute every 30: 29 quiet minutes between active minutes.
    const w = histogramOf(Array(20).fill(29)).window(C);
    assert.equal(w.representative, true);
    assert.equal(w.prewarmMin, Math.floor(29 * 0.9), 'pre-warm 26 quiet minutes after the run');
    assert.equal(w.untilMin, Math.ceil(29 * 1.1) + 1, 'held through the minute 32 quiet minutes on');
    assert.ok(w.prewarmMin <= 29 && 29 < w.untilMin, 'the next run falls inside the window');
  });

  it('a jittered period widens the window to its head and tail', () => {
    const idle = [...Array(50).fill(59), ...Array(25).fill(58), ...Array(25).fill(61)];
    const w = histogramOf(idle).window(C);
    assert.equal(w.prewarmMin, Math.floor(58 * 0.9));
    assert.equal(w.untilMin, Math.ceil(61 * 1.1) + 1);
  });

  it('percentiles and CV: a single spike has a high CV, a flat spread a CV of 0', () => {
    const spike = histogramOf(Array(10).fill(7), 10);
    assert.equal(spike.percentile(5), 7);
    assert.equal(spike.percentile(99), 7);
    assert.ok(Math.abs(spike.cv() - 3) < 1e-12, 'one bin of ten: CV = sqrt(9)');
    const flat = histogramOf(
      Array.from({ length: 10 }, (_, i) => i),
      10,
    );
    assert.equal(flat.cv(), 0);
    assert.equal(flat.percentile(50), 4);
  });

  it('falls back to the fixed keep-alive when the histogram is not representative', () => {
    const fallback = { representative: false, prewarmMin: 0, untilMin: C.fallbackKeepAliveMin };
    assert.deepEqual(histogramOf([29, 29]).window(C), fallback, 'too few idle times');
    const flat = Array.from({ length: 240 }, (_, i) => i);
    assert.deepEqual(histogramOf(flat).window(C), fallback, 'flat: CV below 2');
    const oob = [...Array(10).fill(500), ...Array(5).fill(29)];
    assert.deepEqual(histogramOf(oob).window(C), fallback, 'most idle times beyond the range');
    assert.equal(histogramOf(oob).outOfBounds, 10);
  });

  it('busy back-to-back functions are held from the end of the minute, no pre-warm gap', () => {
    const w = histogramOf([...Array(95).fill(0), ...Array(5).fill(3)]).window(C);
    assert.equal(w.prewarmMin, 0);
    assert.equal(w.untilMin, Math.ceil(3 * 1.1) + 1);
  });

  it('caps a hold at maxHoldMin', () => {
    const w = histogramOf([...Array(10).fill(10), ...Array(10).fill(200)]).window({ ...C, maxHoldMin: 30 });
    assert.equal(w.prewarmMin, 9);
    assert.equal(w.untilMin, 39);
  });
});
