import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  SETTINGS,
  SettingsError,
  defaultSettings,
  loadSettings,
  parseDurationMs,
  redactedSettings,
  settingsHelp,
} from '../../../control-plane/config';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

function problemsOf(fn: () => unknown): SettingsError['problems'] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${err}`);
    return err.problems;
  }
  assert.fail('expected a SettingsError');
}

describe('config: settings', () => {
  it('gives the defaults when no source sets anything', () => {
    const { settings, origin } = loadSettings({ env: {}, argv: [] });
    assert.deepEqual(settings, defaultSettings());
    assert.ok(Object.values(origin).every((o) => o === 'default'));
  });

  it('every setting has a description, an EARMARK_ variable and a flag', () => {
    for (const d of SETTINGS) {
      assert.ok(d.description.length > 10, d.name);
      assert.match(d.env, /^EARMARK_[A-Z0-9_]+$/);
      assert.match(d.flag, /^--[a-z0-9-]+$/);
    }
    assert.equal(new Set(SETTINGS.map((d) => d.env)).size, SETTINGS.length);
  });

  it('applies file < env < flags, and records where each value came from', () => {
    const { settings, origin } = loadSettings({
      file: fixture('good.yaml'),
      env: { EARMARK_API_PORT: '9191', EARMARK_LOG_LEVEL: 'warn' },
      argv: ['--log-level', 'error', '--cycle-interval-ms=1m30s'],
    });
    assert.equal(settings.apiPort, 9191);
    assert.equal(origin.apiPort, 'env');
    assert.equal(settings.logLevel, 'error');
    assert.equal(origin.logLevel, 'flag');
    assert.equal(settings.cycleIntervalMs, 90_000);
    assert.equal(settings.influxUrl, 'http://127.0.0.1:9999', 'trailing slash trimmed');
    assert.equal(origin.influxUrl, 'file');
  });

  it('finds the settings file from --config or EARMARK_CONFIG', () => {
    assert.equal(loadSettings({ env: {}, argv: ['--config', fixture('good.yaml')] }).settings.apiPort, 9090);
    assert.equal(loadSettings({ env: { EARMARK_CONFIG: fixture('good.yaml') } }).settings.apiPort, 9090);
  });

  it('parses boolean flags bare, negated and with a value', () => {
    assert.equal(loadSettings({ env: {}, argv: ['--no-dashboard-public'] }).settings.dashboardPublic, false);
    assert.equal(
      loadSettings({ env: {}, argv: ['--dashboard-public', '--api-port', '1'] }).settings.dashboardPublic,
      true,
    );
    assert.equal(loadSettings({ env: {}, argv: ['--dashboard-public=off'] }).settings.dashboardPublic, false);
  });

  it('passes other flags through only when asked to', () => {
    const { rest } = loadSettings({
      env: {},
      argv: ['--watch', 'x', '--api-port', '1'],
      allowOtherFlags: true,
    });
    assert.deepEqual(rest, ['--watch', 'x']);
    const problems = problemsOf(() => loadSettings({ env: {}, argv: ['--api-prot', '1'] }));
    assert.equal(problems[0].key, '--api-prot');
    assert.match(problems[0].reason, /did you mean --api-port/);
  });

  const badFiles: Array<[string, string, RegExp]> = [
    ['bad_yaml.yaml', '(file)', /./],
    ['misspelled_key.yaml', 'apiPrt', /did you mean apiPort/],
    ['port_out_of_range.yaml', 'apiPort', /≤ 65535/],
    ['bad_duration.yaml', 'cycleIntervalMs', /not a duration/],
    ['list_value.yaml', 'apiHost', /single value/],
    ['not_a_map.yaml', '(file)', /map of setting names/],
    ['bad_url.yaml', 'influxUrl', /http\(s\) URL/],
    ['bad_enum.yaml', 'logLevel', /not one of debug, info, warn, error/],
    ['bad_boolean.yaml', 'dashboardPublic', /not a boolean/],
  ];
  for (const [file, key, reason] of badFiles) {
    it(`rejects ${file} naming the file and the key`, () => {
      const problems = problemsOf(() => loadSettings({ env: {}, file: fixture(file) }));
      assert.equal(problems.length, 1);
      assert.equal(problems[0].key, key);
      assert.match(problems[0].reason, reason);
      assert.ok(problems[0].source.endsWith(file), problems[0].source);
    });
  }

  it('rejects a missing settings file', () => {
    const problems = problemsOf(() => loadSettings({ env: {}, file: fixture('nope.yaml') }));
    assert.match(problems[0].reason, /does not exist/);
  });

  it('reports every bad source at once', () => {
    const problems = problemsOf(() =>
      loadSettings({
        env: { EARMARK_API_PORT: 'eighty', EARMARK_APi_TOKEN: 'x' },
        argv: ['--cycle-interval-ms', '5', '--grpc-port'],
      }),
    );
    const keys = problems.map((p) => `${p.source}:${p.key}`).sort();
    assert.deepEqual(keys, [
      'env:EARMARK_API_PORT',
      'env:EARMARK_APi_TOKEN',
      'flag:--cycle-interval-ms',
      'flag:--grpc-port',
    ]);
  });

  it('ignores unrelated EARMARK_ variables that are not near a setting', () => {
    assert.doesNotThrow(() => loadSettings({ env: { EARMARK_TEST_SOMETHING_ELSE_ENTIRELY: '1' } }));
  });

  it('parses durations in every unit, and refuses garbage', () => {
    assert.equal(parseDurationMs('1500'), 1500);
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('2d'), 172_800_000);
    for (const bad of ['', 's', '5 minutes', '5x', '-1s']) assert.equal(parseDurationMs(bad), undefined, bad);
  });

  it('redacts secrets and documents every setting in --help and the README', () => {
    const s = { ...defaultSettings(), apiToken: 'hunter2', grpcToken: '' };
    const red = redactedSettings(s);
    assert.equal(red.apiToken, '***');
    assert.equal(red.grpcToken, '');
    const help = settingsHelp();
    assert.ok(!help.includes('hunter2'));
    const readme = fs.readFileSync(path.join(__dirname, '../../../control-plane/config/README.md'), 'utf8');
    for (const d of SETTINGS) {
      assert.ok(help.includes(d.flag) && help.includes(d.env), d.name);
      assert.ok(readme.includes(d.env), `README lists ${d.env}`);
    }
  });
});
