/**
 * Values that parse but leave the service unusable are refused at load, naming the setting:
 * a token with blanks (never matches "Bearer <token>"), a cycle longer than a Node timer can wait
 * (it fires after 1 ms), an InfluxDB URL with a path (the store client keeps only the origin).
 */
import { strict as assert } from 'node:assert';
import { SettingsError, loadSettings } from '../../../control-plane/config';

function refusal(env: Record<string, string>): string {
  try {
    loadSettings({ env, argv: [] });
  } catch (err) {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${err}`);
    return err.message;
  }
  return assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('config: values the service could not use', () => {
  it('refuses an API or gRPC token with a space or tab inside', () => {
    assert.match(refusal({ EARMARK_API_TOKEN: 'correct horse battery' }), /EARMARK_API_TOKEN.*one word/s);
    assert.match(refusal({ EARMARK_GRPC_TOKEN: 'a\tb' }), /EARMARK_GRPC_TOKEN.*one word/s);
    // Surrounding blanks are trimmed as before, so a token pasted with a newline still loads.
    assert.equal(
      loadSettings({ env: { EARMARK_API_TOKEN: ' tok-1\n' }, argv: [] }).settings.apiToken,
      'tok-1',
    );
  });

  it('refuses a cycle interval past the longest Node timer (2^31-1 ms)', () => {
    assert.match(refusal({ EARMARK_CYCLE_INTERVAL_MS: '30d' }), /EARMARK_CYCLE_INTERVAL_MS.*2147483647/s);
    const ok = loadSettings({ env: { EARMARK_CYCLE_INTERVAL_MS: '24d' }, argv: [] }).settings;
    assert.equal(ok.cycleIntervalMs, 24 * 86_400_000);
  });

  it('refuses an InfluxDB URL with a path or query, keeps a bare origin', () => {
    assert.match(
      refusal({ EARMARK_INFLUX_URL: 'http://h:8086/influxdb' }),
      /EARMARK_INFLUX_URL.*without a path/s,
    );
    assert.match(refusal({ EARMARK_INFLUX_URL: 'http://h:8086?db=x' }), /without a path/);
    const ok = loadSettings({ env: { EARMARK_INFLUX_URL: 'http://h:8086/' }, argv: [] }).settings;
    assert.equal(ok.influxUrl, 'http://h:8086');
  });
});
