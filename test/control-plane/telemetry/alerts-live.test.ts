/**
 * The alert rules evaluated by a real Prometheus (Debian's, from var/tools/) against live metrics:
 * a distribution server with its registry on a /metrics endpoint, and an emulated Envoy (the
 * compiled filter and sync root in wasm-host) serving /stats/prometheus. Healthy, no alert is
 * active; with the control plane gone, the alerts for it, for the sync stream and, once the plan's
 * TTL has passed on the proxy, for the stale plan become active with the scrape's labels.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../control-plane/distribute/logger';
import { DistributionServer } from '../../../control-plane/distribute/server/distribution-server';
import { syntheticPlan } from '../../../control-plane/distribute/testing/synthetic-reservations';
import { createRegistry, startMetricsServer } from '../../../control-plane/telemetry';
import { RULES_FILE, findTool } from '../../../control-plane/telemetry/alerts/promtool';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { EmulatedProxy } from '../../../sim/proxy/emulated-proxy';
import { asPromQL, dashboardQueries } from './support/dashboard';
import { metricsIn } from './support/metric-names';

const TOKEN = 'alerts-live-token';
const ISSUED = 1_767_225_600_000; // syntheticPlan's issue time: the proxy's clock starts there

interface ActiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** Polls `probe` every 250 ms until it returns a value (not undefined), or fails after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('telemetry: alert rules in a real Prometheus, on live metrics', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'earmark-prometheus-'));
  let server: DistributionServer;
  let metricsHttp: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let proxy: EmulatedProxy;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let promUrl = '';
  let follow: NodeJS.Timeout | undefined;
  /** Virtual ms the proxy's clock gains per real ms (raised to run its plan TTL out quickly). */
  let pace = 1;
  const targets = { cp: '', envoy: '' };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${promUrl}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const activeAlerts = async () =>
    (await api<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts.filter((a) =>
      a.labels.alertname.startsWith('Earmark'),
    );
  const value = async (query: string): Promise<number | undefined> => {
    const r = await api<{ result: { value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(query)}`,
    );
    return r.result.length === 1 ? Number(r.result[0].value[1]) : undefined;
  };

  before(async () => {
    const registry = createRegistry({ defaultMetrics: false });
    server = new DistributionServer({ auth: { tokens: [TOKEN] }, registry, logger: new MemoryLogger() });
    const { port } = await server.start();
    server.publishPlan(syntheticPlan('plan-1', { users: 20, issuedAtMs: ISSUED }));
    metricsHttp = await startMetricsServer(registry, '127.0.0.1', 0);
    targets.cp = new URL(metricsHttp.url).host;

    proxy = new EmulatedProxy(0, {
      nodeId: 'edge-1',
      controlPlane: `127.0.0.1:${port}`,
      token: TOKEN,
      config: { plan_ttl_ms: 30_000 },
      startTime: ISSUED,
    });
    targets.envoy = (await proxy.startAdmin()).replace('http://', '');
    let real = Date.now();
    let virtual = ISSUED;
    follow = setInterval(() => {
      const now = Date.now();
      virtual += (now - real) * pace;
      real = now;
      proxy.advanceTo(virtual);
    }, 50);

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${RULES_FILE}']`,
        'scrape_configs:',
        '  - job_name: earmark',
        `    static_configs: [{ targets: ['${targets.cp}'] }]`,
        '  - job_name: envoy',
        '    metrics_path: /stats/prometheus',
        `    static_configs: [{ targets: ['${targets.envoy}'] }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      findTool('prometheus'),
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (b) => (prometheusLog += b));
    prometheus.stderr!.on('data', (b) => (prometheusLog += b));
    await until('Prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  });

  after(async () => {
    if (follow) clearInterval(follow);
    prometheus?.kill('SIGTERM');
    await proxy?.close();
    await server?.stop(100).catch(() => undefined);
    await metricsHttp?.close(); // undefined once the second test has closed it
    if (prometheus && prometheus.exitCode === null) await new Promise((r) => prometheus!.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes both targets and keeps every Earmark alert inactive while all is well', async () => {
    await until('both targets up, the proxy synced', async () =>
      (await value('sum(up)')) === 2 &&
      (await value('earmark_sync_stream_state')) === 2 &&
      (await value('earmark_distribution_streams{service="discovery"}')) === 1 &&
      (await value('earmark_plan_stale')) === 0
        ? true
        : undefined,
    );
    // Let the rules run on that state a few times, then look.
    const since = Date.now() / 1000;
    await until('three rule evaluations', async () => {
      const groups = (await api<{ groups: { lastEvaluation: string }[] }>('/api/v1/rules')).groups;
      return groups.length === 2 && groups.every((g) => Date.parse(g.lastEvaluation) / 1000 > since + 2)
        ? true
        : undefined;
    });
    assert.deepEqual(await activeAlerts(), [], prometheusLog);
  });

  it('runs every query of the Grafana operations dashboard; those whose metrics exist return data', async () => {
    const present = new Set(await api<string[]>('/api/v1/label/__name__/values'));
    const empty: string[] = [];
    let answered = 0;
    for (const q of dashboardQueries()) {
      // Grafana sends $__rate_interval as at least four scrape intervals (1 s here).
      const r = await api<{ result: unknown[] }>(
        `/api/v1/query?query=${encodeURIComponent(asPromQL(q.expr, '10s'))}`,
      );
      const needs = metricsIn(q.expr);
      if (needs.every((m) => present.has(m))) {
        answered++;
        if (r.result.length === 0) empty.push(`${q.panel}: ${q.expr}`);
      }
    }
    assert.deepEqual(empty, []);
    // The proxy's panels and the distribution ones: most of the dashboard had something to show.
    assert.ok(answered >= 20, `${answered} queries had their metrics`);
  });

  it('raises the control-plane, sync-stream and stale-plan alerts when the control plane goes away', async () => {
    await server.stop(100);
    await metricsHttp!.close();
    metricsHttp = undefined;
    pace = 100; // the proxy's 30 s plan TTL passes in well under a second of real time
    const want = ['EarmarkControlPlaneAbsent', 'EarmarkPlanStale', 'EarmarkSyncStreamDown'];
    const active = await until('the three alerts', async () => {
      const a = await activeAlerts();
      return want.every((n) => a.some((x) => x.labels.alertname === n)) ? a : undefined;
    });
    const byName = (n: string) => active.find((a) => a.labels.alertname === n)!;
    assert.equal(byName('EarmarkControlPlaneAbsent').labels.severity, 'critical');
    assert.deepEqual(
      [byName('EarmarkPlanStale').labels.job, byName('EarmarkPlanStale').labels.instance],
      ['envoy', targets.envoy],
    );
    assert.equal(byName('EarmarkSyncStreamDown').labels.instance, targets.envoy);
    for (const n of want) assert.match(byName(n).state, /^(pending|firing)$/);
    assert.equal(await value('earmark_plan_stale'), 1);
  });
});
