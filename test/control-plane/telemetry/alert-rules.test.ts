import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import {
  PROMETHEUS_RULE_FILE,
  prometheusRule,
} from '../../../control-plane/telemetry/alerts/prometheus-rule';
import { RULES_FILE, RULES_TEST_FILE, promtool } from '../../../control-plane/telemetry/alerts/promtool';
import type { Stack } from '../../plugin/support/stack';
import { controlPlaneMetricNames, filterMetricNames, metricsIn, syncedStack } from './support/metric-names';

interface Rule {
  alert: string;
  expr: string;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const rules = (): RuleFile => YAML.parse(readFileSync(RULES_FILE, 'utf8')) as RuleFile;
const alertNames = () => rules().groups.flatMap((g) => g.rules.map((r) => r.alert));
/** A scratch copy of the rules (changed by `edit`) and of their unit tests, side by side. */
function scratch(edit: (f: RuleFile) => void): { dir: string; rules: string; tests: string } {
  const dir = mkdtempSync(join(tmpdir(), 'earmark-alerts-'));
  const f = rules();
  edit(f);
  writeFileSync(join(dir, 'earmark.rules.yaml'), YAML.stringify(f));
  copyFileSync(RULES_TEST_FILE, join(dir, 'earmark.rules.test.yaml'));
  return { dir, rules: join(dir, 'earmark.rules.yaml'), tests: join(dir, 'earmark.rules.test.yaml') };
}

function unknownMetrics(group: string, known: Set<string>): string[] {
  const g = rules().groups.find((x) => x.name === group);
  assert.ok(g, `group ${group} in ${RULES_FILE}`);
  const named = g.rules.flatMap((r) => metricsIn(r.expr).map((m) => `${r.alert}: ${m}`));
  assert.ok(named.length > 0);
  return named.filter((n) => !known.has(n.split(': ')[1]));
}

describe('telemetry: Prometheus alert rules (promtool)', () => {
  it('pass promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${alertNames().length} rules found`));
  });

  it('pass their unit tests, in which every alert fires at least once', () => {
    const r = promtool(['test', 'rules', RULES_TEST_FILE]);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    const tests = YAML.parse(readFileSync(RULES_TEST_FILE, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname),
      ),
    );
    assert.deepEqual(
      alertNames().filter((a) => !firing.has(a)),
      [],
    );
  });

  it("fail each alert's unit test when that alert can no longer fire", () => {
    // Every expression replaced by one that is never true: the test of each alert must notice.
    const s = scratch((f) => f.groups.forEach((g) => g.rules.forEach((r) => (r.expr = 'vector(1) < 0'))));
    try {
      const r = promtool(['test', 'rules', s.tests], s.dir);
      assert.equal(r.status, 1, r.output);
      const caught = alertNames().filter((a) => r.output.includes(`alertname: ${a},`));
      assert.deepEqual(
        alertNames().filter((a) => !caught.includes(a)),
        [],
        'alerts whose unit test did not fail',
      );
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('are shipped unchanged as the PrometheusRule of envoy/istio/monitoring/', () => {
    // Regenerate with `npx tsx control-plane/telemetry/alerts/prometheus-rule.ts` after editing the rules.
    const shipped = YAML.parse(readFileSync(PROMETHEUS_RULE_FILE, 'utf8')) as { spec: { groups: unknown } };
    assert.deepEqual(shipped, prometheusRule());
    assert.deepEqual(shipped.spec.groups, rules().groups);
  });

  it('npm run check:alerts passes, and says how to get promtool when it cannot run one', () => {
    const script = join(__dirname, '../../../control-plane/telemetry/alerts/promtool.ts');
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', script], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const ok = run({});
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /SUCCESS: \d+ rules found[\s\S]*SUCCESS/);
    const missing = run({ EARMARK_PROMTOOL: '/nonexistent/promtool' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /check:alerts: EARMARK_PROMTOOL=\/nonexistent\/promtool: no such file/);
  });

  it('refuse a rule with a malformed expression, naming the rule file', () => {
    const s = scratch((f) => (f.groups[0].rules[1].expr = 'increase(earmark_cycles_total[15m]'));
    try {
      const r = promtool(['check', 'rules', s.rules], s.dir);
      assert.equal(r.status, 1, r.output);
      assert.match(r.output, /earmark\.rules\.yaml/);
      assert.match(r.output, /parse error|unclosed|unexpected/i);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it("name only metrics the control plane exports (every part's metrics on one registry)", async () => {
    assert.deepEqual(unknownMetrics('earmark-control-plane', await controlPlaneMetricNames()), []);
  });

  describe("name only metrics the filter defines, as Envoy's /stats/prometheus prints them", () => {
    let stack: Stack;
    before(async () => {
      stack = await syncedStack();
    });
    after(async () => stack?.close());

    it('covers every metric of the earmark-proxies group', () => {
      // Wasm-defined stats live under Envoy's "wasmcustom." namespace, printed without it and
      // without the envoy_ prefix (wasm-host/metrics.ts keeps them under the plugin's own names).
      const defined = stack.envoy.metrics.all().length;
      assert.ok(defined > 20, `the filter defined ${defined} metrics`);
      assert.deepEqual(unknownMetrics('earmark-proxies', filterMetricNames(stack.envoy)), []);
    });

    it('and a name the filter does not define is reported', () => {
      const known = filterMetricNames(stack.envoy, ['earmark_requests_rejected']);
      assert.deepEqual(unknownMetrics('earmark-proxies', known), [
        'EarmarkThrottlingHigh: earmark_requests_rejected',
      ]);
    });
  });
});
