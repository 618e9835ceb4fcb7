/**
 * The Prometheus dashboard (control-plane/telemetry/grafana/earmark-operations.json): well formed
 * for provisioning, every query valid PromQL by Prometheus's own parser (promtool, with Grafana's
 * $__rate_interval replaced), and every metric it reads one the control plane or the filter
 * exports. test/control-plane/telemetry/alerts-live.test.ts also runs each query on a live
 * Prometheus.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { promtool } from '../../../control-plane/telemetry/alerts/promtool';
import type { Stack } from '../../plugin/support/stack';
import { asPromQL, dashboardQueries, OPERATIONS_DASHBOARD, type Panel } from './support/dashboard';
import { controlPlaneMetricNames, filterMetricNames, metricsIn, syncedStack } from './support/metric-names';

/** promtool's verdict on the queries, each as a recording rule of one group. */
function checkAsRules(queries: { expr: string }[]) {
  const dir = mkdtempSync(join(tmpdir(), 'earmark-dashboard-'));
  try {
    const file = join(dir, 'queries.yaml');
    const rules = queries.map((q, i) => ({ record: `earmark:dashboard_query_${i}`, expr: asPromQL(q.expr) }));
    writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
    return promtool(['check', 'rules', file], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('telemetry: the Prometheus Grafana dashboard', () => {
  const d = JSON.parse(readFileSync(OPERATIONS_DASHBOARD, 'utf8'));
  const panels = (d.panels as Panel[]).filter((p) => p.type !== 'row');

  it('provisions as is: a Prometheus datasource variable every panel and query names, unique ids, 24 columns', () => {
    const v = d.templating.list.find((x: { name: string }) => x.name === 'DS_PROMETHEUS');
    assert.deepEqual([v.type, v.query], ['datasource', 'prometheus']);
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, p.title);
      assert.ok(p.targets?.length, `${p.title} has queries`);
      for (const t of p.targets!) assert.equal(t.datasource.uid, '${DS_PROMETHEUS}', p.title);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
    }
    const ids = (d.panels as Panel[]).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
  });

  it("parses every query with Prometheus's parser (promtool), and refuses a broken one", () => {
    const queries = dashboardQueries();
    const ok = checkAsRules(queries);
    assert.equal(ok.status, 0, ok.output);
    assert.match(ok.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
    const bad = checkAsRules([...queries, { expr: 'sum(rate(earmark_requests_total[5m])' }]);
    assert.equal(bad.status, 1, bad.output);
  });

  describe('reads only metrics that exist', () => {
    let stack: Stack;
    before(async () => {
      stack = await syncedStack();
    });
    after(async () => stack?.close());

    it("in the control plane's registry or among the filter's metrics", async () => {
      const known = new Set([...(await controlPlaneMetricNames()), ...filterMetricNames(stack.envoy)]);
      const unknown = dashboardQueries().flatMap((q) =>
        metricsIn(q.expr)
          .filter((m) => !known.has(m))
          .map((m) => `${q.panel}: ${m}`),
      );
      assert.deepEqual(unknown, []);
      // The check can fail: without one of the filter's metrics, its panel is named.
      const fewer = new Set([...known].filter((n) => !n.startsWith('earmark_sync_stream_state')));
      assert.ok(
        dashboardQueries().some((q) => metricsIn(q.expr).some((m) => !fewer.has(m))),
        'a missing metric is noticed',
      );
    });
  });
});
