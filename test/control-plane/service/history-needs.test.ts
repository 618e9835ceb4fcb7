/**
 * The default historySteps lets every forecaster run (the daily-seasonal ones need a day plus
 * their level window), and a shorter history is named at start with the methods it turns off.
 */
import { strict as assert } from 'node:assert';
import { defaultSettings } from '../../../control-plane/config';
import { MemoryLogger } from '../../../control-plane/distribute';
import { forecastHistoryNeed, warnIfHistoryShort } from '../../../control-plane/service/history-needs';

describe('control-plane/service: history the forecaster needs', () => {
  it('the default historySteps covers every forecaster at the default step', () => {
    const s = defaultSettings();
    const need = forecastHistoryNeed(s.historySteps, s.forecastStepMs);
    assert.deepEqual(need.off, []);
    assert.ok(need.needed > 1440, 'a day of one-minute steps plus a level window');
    assert.ok(s.historySteps >= need.needed);
  });

  it('names the daily-seasonal methods a shorter history turns off, and warns once at start', () => {
    const need = forecastHistoryNeed(720, 60_000);
    assert.ok(need.off.includes('seasonal-naive'));
    assert.ok(need.off.includes('seasonal-delta-6'));
    assert.ok(!need.off.includes('naive'));
    const log = new MemoryLogger();
    assert.equal(warnIfHistoryShort(720, 60_000, log), true);
    const line = log.lines.find((l) => l.level === 'warn');
    assert.match(String(line?.fields?.fix), new RegExp(`historySteps .* to ${need.needed} or more`));
    assert.equal(warnIfHistoryShort(need.needed, 60_000, new MemoryLogger()), false);
    // Five-minute steps: a day is 288 steps.
    assert.deepEqual(forecastHistoryNeed(300, 300_000).off, []);
  });
});
