/** The Prometheus Grafana dashboard's queries, for the tests that parse and run them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const OPERATIONS_DASHBOARD = join(
  __dirname,
  '../../../../control-plane/telemetry/grafana/earmark-operations.json',
);

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string; datasource: { uid: string } }[];
}

export function dashboardQueries(): { panel: string; expr: string }[] {
  const d = JSON.parse(readFileSync(OPERATIONS_DASHBOARD, 'utf8')) as { panels: Panel[] };
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

/** A query as Grafana sends it to Prometheus: its $__rate_interval replaced. */
export const asPromQL = (expr: string, rateInterval = '5m'): string =>
  expr.replaceAll('$__rate_interval', rateInterval);
