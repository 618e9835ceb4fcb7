/**
 * Properties, metrics and logs.
 * Sources: envoy source/extensions/common/wasm/context.cc (getProperty: NUL-separated path,
 * findValue plugin_name/plugin_root_id/plugin_vm_id, setProperty into filter state "wasm.<path>",
 * defineMetric/incrementMetric/recordMetric/getMetric, log, getLogLevel),
 * source/extensions/filters/common/expr/context.h (request.*, xds.node), proxy-wasm-cpp-host
 * include/proxy-wasm/wasm.h (metric ids: type in the low 2 bits, +4 per definition),
 * src/exports.cc log (level > critical → BAD_ARGUMENT) and wasi fd_write (stdout → info).
 */
import { strict as assert } from 'node:assert';
import { WasmResult, type EnvoyProcess } from '../../wasm-host';
import { fixture, newEnvoy, probe, r, send, wasmLogs } from './helpers';

describe('wasm-host: properties, metrics, logs (envoy context.cc)', () => {
  let envoy: EnvoyProcess;
  beforeEach(() => (envoy = newEnvoy({ node: { id: 'edge-7', cluster: 'edge' } })));
  afterEach(() => envoy.close());

  const prop = (path: string, ops = 'prop', extra: Record<string, string> = {}) => {
    const s = probe(envoy).newStream(0, { connectionId: 42, sourceAddress: '10.0.0.9:5555' });
    send(s, `${ops}:${path}`, extra);
    return r(s, 'prop');
  };

  it('plugin_name, plugin_root_id, plugin_vm_id and xds.node.* resolve', () => {
    assert.equal(prop('plugin_name'), 'probe');
    assert.equal(prop('plugin_root_id'), 'probe_root');
    assert.equal(prop('plugin_vm_id'), 'probe_vm');
    assert.equal(prop('xds.node.id'), 'edge-7');
    assert.equal(prop('xds.node.cluster'), 'edge');
  });

  it('request.* come from the request headers; integers are 8 little-endian bytes', () => {
    assert.equal(prop('request.path'), '/p?q=1');
    assert.equal(prop('request.url_path'), '/p');
    assert.equal(prop('request.method'), 'GET');
    assert.equal(prop('request.headers.x-user', 'prop', { 'x-user': 'u-1' }), 'u-1');
    assert.equal(prop('connection_id', 'propint'), '42');
    assert.equal(prop('source.port', 'propint'), '5555');
    assert.equal(prop('request.time', 'propint'), String(BigInt(envoy.clock.now()) * 1_000_000n));
  });

  it('unknown names are NOT_FOUND; set_property writes filter state readable by name', () => {
    assert.equal(prop('no_such_thing'), `status=${WasmResult.NotFound}`);
    const s = probe(envoy).newStream(0);
    send(s, 'setprop:earmark_decision=admit,prop:earmark_decision');
    assert.equal(r(s, 'setprop'), '0');
    assert.equal(r(s, 'prop'), 'admit');
  });

  it('metric ids carry the type in the low bits; one counter across all worker VMs', () => {
    const p = probe(envoy);
    const a = p.newStream(0);
    send(a, 'metric_inc,metric_inc,metric_get');
    const b = p.newStream(1);
    send(b, 'metric_inc,metric_get');
    assert.deepEqual(a.requestHeaders.getAll('x-r-metric'), ['0:4', '0:4']);
    assert.equal(r(b, 'metric'), '0:4', 'ids are per VM: worker 1 also got 4');
    assert.equal(r(b, 'metric_get'), '0:3', 'the value is process-wide');
    assert.equal(envoy.metrics.counter('probe_requests'), 3);
  });

  it('gauges add, subtract and set; histograms record; bad uses get Envoy statuses', () => {
    const s = probe(envoy).newStream(0);
    send(s, 'gauge:5,gauge:-2,hist:12,hist:30,metric_bad');
    assert.equal(envoy.metrics.gauge('probe_gauge'), 3);
    const h = envoy.metrics.histogram('probe_latency')!;
    assert.deepEqual([h.count, h.sum, h.min, h.max], [2, 42, 12, 30]);
    assert.equal(r(s, 'hist'), '0:6');
    // counter += 0 → BAD_ARGUMENT; histogram increment → BAD_ARGUMENT; get histogram → BAD_ARGUMENT;
    // unknown counter id → NOT_FOUND; metric type 7 → BAD_ARGUMENT.
    assert.equal(r(s, 'metric_bad'), '2,2,2,1,2');
    const s2 = probe(envoy).newStream(0);
    send(s2, 'gauge_set:77');
    assert.equal(envoy.metrics.gauge('probe_gauge'), 77);
  });

  it('logs below the level are dropped, get_log_level reports it, a bad level is BAD_ARGUMENT', () => {
    envoy.logLevel = 'warn';
    const s = probe(envoy).newStream(0);
    send(s, 'loglevel,log:2:quiet-info,log:3:loud-warn,log:9:bad');
    assert.equal(r(s, 'loglevel'), '3');
    assert.deepEqual(s.requestHeaders.getAll('x-r-log'), ['0', '0', String(WasmResult.BadArgument)]);
    assert.deepEqual(wasmLogs(envoy, '-info'), []);
    assert.deepEqual(wasmLogs(envoy, 'loud-warn'), ['loud-warn']);
    const entry = envoy.logs.find((l) => l.message === 'loud-warn')!;
    assert.deepEqual(
      [entry.level, entry.plugin, entry.rootId, entry.vmId, entry.thread],
      ['warn', 'probe', 'probe_root', 'probe_vm', 'worker_0'],
    );
  });

  it('keeps a bounded log: the latest entries survive', () => {
    const e = newEnvoy({ maxLogs: 8, canary: false });
    try {
      const s = probe(e).newStream(0);
      send(s, Array.from({ length: 30 }, (_, i) => `log:2:line-${i}`).join(','));
      assert.ok(e.logs.length <= 10, `bounded: ${e.logs.length}`);
      assert.equal(e.logs.at(-1)!.message, 'line-29');
    } finally {
      void e.close();
    }
  });

  it('WASI: stdout → info and stderr → error (trailing newline removed), clocks, environ, random', () => {
    const p = envoy.addHttpFilter({
      name: 'wasi',
      vmId: 'w',
      wasm: fixture('wasi.wasm'),
      environmentVariables: { REGION: 'eu' },
    });
    const mem = p.vm(0).mem;
    const u32 = (at: number): number => mem.getU32(at)!;
    assert.equal(u32(0), 0);
    assert.equal(u32(4), 18);
    assert.equal(u32(8), 8, 'fd 7 → BADF');
    assert.equal(u32(72), 0);
    assert.deepEqual(
      envoy.logs
        .filter((l) => l.thread === 'worker_0' && l.source === 'wasm')
        .map((l) => `${l.level} ${l.message}`),
      ['info hello from stdout', 'error oops on stderr'],
    );
    assert.equal(u32(16), 0);
    assert.equal(mem.dv.getBigUint64(24, true), BigInt(envoy.clock.now()) * 1_000_000n);
    assert.equal(u32(32), 58, 'unsupported clock → NOTSUP');
    assert.deepEqual([u32(40), u32(44), u32(48), u32(52)], [0, 1, 'REGION=eu'.length + 1, 0]);
    assert.equal(Buffer.from(mem.u8.subarray(u32(256), u32(256) + 9)).toString(), 'REGION=eu');
    assert.equal(u32(56), 0);
    assert.equal(u32(60), 28, 'more than 64 KiB of randomness → INVAL');
    assert.equal(u32(64), 0);
    assert.equal(u32(68), 1, 'proc_exit returns to the module (cpp-host only logs it)');
  });
});
