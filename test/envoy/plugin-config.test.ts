/**
 * The filter's own verdict, through the real proxy-wasm host: independent of the Earmark module,
 * the host's probe module (build/fixtures/probe.wasm, built by `npm run build`) accepts any
 * configuration and refuses one that says "fail", so the wiring (load, on_configure, the verdict
 * and the module's log lines) is pinned here; check-envoy.test.ts runs the same path on Earmark.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WasmPluginRef } from '../../envoy/check/envoy-config';
import { checkPluginConfigs } from '../../envoy/check/plugin-config';

const PROBE = path.join(__dirname, '..', '..', 'build', 'fixtures', 'probe.wasm');

const ref = (configuration: string): WasmPluginRef => ({
  file: 'envoy.yaml',
  pos: { line: 7, col: 3 },
  path: ['config', 'configuration', 'value'],
  rootId: 'probe_root',
  configuration,
  code: '/etc/earmark/earmark.wasm',
  singleton: false,
  env: {},
});

describe('plugin configuration check (through wasm-host)', function () {
  this.timeout(60_000);
  before(function () {
    assert.ok(fs.existsSync(PROBE), `${PROBE} is missing: run npm run build:host-fixtures`);
  });

  it('passes a configuration the module accepts', async () => {
    const r = await checkPluginConfigs([ref('hello')], PROBE);
    assert.equal(r.skipped, undefined);
    assert.equal(r.checked, 1);
    assert.deepEqual(r.findings, []);
  });

  it('reports a rejected configuration where it is written, with the module as the reason', async () => {
    const r = await checkPluginConfigs([ref('fail')], PROBE);
    assert.equal(r.findings.length, 1);
    const f = r.findings[0];
    assert.equal(f.rule, 'plugin-config');
    assert.deepEqual(f.pos, { line: 7, col: 3 });
    assert.match(f.message, /root_id "probe_root"\) rejects this configuration/);
  });

  it('says plainly when it could not run, instead of passing', async () => {
    const r = await checkPluginConfigs([ref('hello')], path.join(__dirname, 'no-such.wasm'));
    assert.equal(r.checked, 0);
    assert.match(r.skipped ?? '', /no-such\.wasm is missing/);
  });

  it('refuses a configuration that is not a string for the filter to read', async () => {
    const r = await checkPluginConfigs([{ ...ref(''), opaque: 'google.protobuf.Struct' }], PROBE);
    assert.match(r.findings[0]?.message ?? '', /configuration is a google.protobuf.Struct/);
  });
});
