/**
 * The shipped Deployment's probes must outlast the control plane's own deadlines: /readyz waits at
 * most the ping budget plus the plan read (api/state), and a probe timing out first takes a pod
 * that still serves its plan out of its Service. Kubernetes' default timeoutSeconds is 1.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PING_BUDGET_MS } from '../../control-plane/api/state/store-health';
import { READINESS_PLAN_MS } from '../../control-plane/api/state/store-state';

const MANIFEST = path.join(__dirname, '..', '..', 'envoy', 'istio', 'control-plane.yaml');

interface Probe {
  httpGet?: { path?: string };
  timeoutSeconds?: number;
}
interface Container {
  name: string;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

function containers(): Container[] {
  const docs = parseAllDocuments(fs.readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS());
  return docs
    .filter((d) => d?.kind === 'Deployment')
    .flatMap((d) => (d.spec.template.spec.containers ?? []) as Container[]);
}

describe('shipped manifests: control plane probes', () => {
  it('readiness timeout leaves room for the slowest /readyz (ping budget + plan read)', () => {
    const probes = containers().flatMap((c) =>
      c.readinessProbe ? [[c.name, c.readinessProbe] as const] : [],
    );
    assert.ok(
      probes.some(([, p]) => p.httpGet?.path === '/readyz'),
      'a container probes /readyz',
    );
    for (const [name, p] of probes) {
      const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
      // Half again as long: the answer also crosses the event loop and the pod network.
      const needMs = 1.5 * (PING_BUDGET_MS + READINESS_PLAN_MS);
      assert.ok(timeoutMs >= needMs, `${name}: readinessProbe timeout ${timeoutMs} ms < ${needMs} ms`);
    }
  });

  it('every probe sets timeoutSeconds explicitly', () => {
    for (const c of containers()) {
      for (const p of [c.readinessProbe, c.livenessProbe]) {
        if (p) assert.ok(typeof p.timeoutSeconds === 'number', `${c.name}: a probe without timeoutSeconds`);
      }
    }
  });
});
