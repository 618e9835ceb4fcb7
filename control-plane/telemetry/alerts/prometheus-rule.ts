/**
 * Writes envoy/istio/monitoring/prometheusrule.yaml: the groups of earmark.rules.yaml wrapped in a
 * prometheus-operator PrometheusRule (operators on Kubernetes load rules that way). Run it after
 * changing the rules: `npx tsx control-plane/telemetry/alerts/prometheus-rule.ts`; a test fails
 * while the two differ.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { RULES_FILE } from './promtool';

const ROOT = resolve(__dirname, '..', '..', '..');
export const PROMETHEUS_RULE_FILE = join(ROOT, 'envoy', 'istio', 'monitoring', 'prometheusrule.yaml');

const HEADER = `# Generated from control-plane/telemetry/alerts/earmark.rules.yaml by
# control-plane/telemetry/alerts/prometheus-rule.ts: edit the rules there, then re-run it.
# The label below is what kube-prometheus-stack's default ruleSelector matches; change it to
# whatever your Prometheus resource selects.
`;

export function prometheusRule(): unknown {
  const rules = YAML.parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'earmark',
      namespace: 'earmark',
      labels: { 'app.kubernetes.io/part-of': 'earmark', release: 'prometheus' },
    },
    spec: { groups: rules.groups },
  };
}

if (require.main === module) {
  writeFileSync(PROMETHEUS_RULE_FILE, HEADER + YAML.stringify(prometheusRule(), { lineWidth: 0 }));
  execFileSync(join(ROOT, 'node_modules', '.bin', 'prettier'), ['--write', PROMETHEUS_RULE_FILE], {
    stdio: 'ignore',
  });
  console.log(`wrote ${PROMETHEUS_RULE_FILE}`);
}
