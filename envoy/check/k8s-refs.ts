/**
 * References between the Kubernetes objects we ship, which no schema sees: a Deployment's service
 * account, ConfigMaps and Secrets (and the Secret's key), a Service's selector and named target
 * ports, a PodMonitor's selector and named ports, a VirtualService's gateways. Each must name an object shipped beside it, or the apply
 * succeeds and the pod never starts.
 */
import { Finding } from './findings';
import { entry, LNode, nodeAt, toPlain } from './located';

export interface K8sDoc {
  file: string;
  node: LNode;
}

type Obj = Record<string, any>;

interface Indexed {
  doc: K8sDoc;
  obj: Obj;
  kind: string;
  name: string;
  ns: string;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * Labels a workload's pods set on themselves at run time, declared in the pod template's annotation
 * `earmark.io/runtime-labels: key=value1|value2,...` (the control plane's earmark.io/role, which
 * its Service selects on): a selector naming one of those values does select those pods.
 */
export const RUNTIME_LABELS = 'earmark.io/runtime-labels';
function runtimeLabels(w: { obj: Obj }): Record<string, string[]> {
  const raw = w.obj.spec?.template?.metadata?.annotations?.[RUNTIME_LABELS];
  const out: Record<string, string[]> = {};
  if (typeof raw !== 'string') return out;
  for (const part of raw.split(',')) {
    const [k, values] = part.split('=');
    if (k && values) out[k.trim()] = values.split('|').map((v) => v.trim());
  }
  return out;
}

export function checkK8sReferences(docs: K8sDoc[]): Finding[] {
  const all: Indexed[] = docs.map((doc) => {
    const obj = toPlain(doc.node) as Obj;
    return {
      doc,
      obj,
      kind: obj?.kind,
      name: obj?.metadata?.name,
      ns: obj?.metadata?.namespace ?? 'default',
    };
  });
  const find = (kind: string, ns: string, name: string) =>
    all.find((o) => o.kind === kind && o.ns === ns && o.name === name);
  /** Workloads in `ns` whose pod template carries every label of `sel` (or its pods set it, below). */
  const podsOf = (ns: string, sel: Record<string, string>) =>
    all.filter(
      (w) =>
        WORKLOADS.has(w.kind) &&
        w.ns === ns &&
        Object.entries(sel).every(
          ([k, v]) => w.obj.spec?.template?.metadata?.labels?.[k] === v || runtimeLabels(w)[k]?.includes(v),
        ),
    );
  const namesPort = (pods: Indexed[], name: string) =>
    pods.some((w) =>
      (w.obj.spec.template.spec.containers ?? []).some((c: Obj) =>
        (c.ports ?? []).some((cp: Obj) => cp.name === name),
      ),
    );
  const out: Finding[] = [];
  const report = (o: Indexed, path: (string | number)[], message: string) => {
    const n = nodeAt(o.doc.node, path) ?? o.doc.node;
    out.push({ file: o.doc.file, pos: n.pos, path, rule: 'reference', severity: 'error', message });
  };

  for (const o of all) {
    if (WORKLOADS.has(o.kind)) {
      const pod = ['spec', 'template', 'spec'];
      const spec = o.obj.spec?.template?.spec ?? {};
      const sa = spec.serviceAccountName;
      if (sa && sa !== 'default' && !find('ServiceAccount', o.ns, sa)) {
        report(
          o,
          [...pod, 'serviceAccountName'],
          `ServiceAccount "${sa}" is not among the shipped manifests (namespace ${o.ns})`,
        );
      }
      (spec.volumes ?? []).forEach((v: Obj, i: number) => {
        if (v.configMap?.name && !find('ConfigMap', o.ns, v.configMap.name)) {
          report(
            o,
            [...pod, 'volumes', i, 'configMap', 'name'],
            `ConfigMap "${v.configMap.name}" is not shipped (namespace ${o.ns})`,
          );
        }
        if (v.secret?.secretName && !find('Secret', o.ns, v.secret.secretName)) {
          report(
            o,
            [...pod, 'volumes', i, 'secret', 'secretName'],
            `Secret "${v.secret.secretName}" is not shipped (namespace ${o.ns})`,
          );
        }
      });
      (spec.containers ?? []).forEach((c: Obj, ci: number) => {
        (c.env ?? []).forEach((e: Obj, ei: number) => {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref) return;
          const kind = e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap';
          const target = find(kind, o.ns, ref.name);
          const path = [...pod, 'containers', ci, 'env', ei, 'valueFrom'];
          if (!target) {
            if (!ref.optional) report(o, path, `${kind} "${ref.name}" is not shipped (namespace ${o.ns})`);
            return;
          }
          const keys = Object.keys({ ...(target.obj.data ?? {}), ...(target.obj.stringData ?? {}) });
          if (!keys.includes(ref.key))
            report(o, path, `${kind} "${ref.name}" has no key "${ref.key}" (has ${keys.join(', ')})`);
        });
      });
    }
    if (o.kind === 'Service' && o.obj.spec?.selector) {
      const sel = o.obj.spec.selector as Record<string, string>;
      const pods = podsOf(o.ns, sel);
      if (!pods.length) {
        report(
          o,
          ['spec', 'selector'],
          `selector ${JSON.stringify(sel)} matches no shipped workload's pods (namespace ${o.ns})`,
        );
      }
      (o.obj.spec.ports ?? []).forEach((p: Obj, i: number) => {
        if (typeof p.targetPort !== 'string' || !pods.length || namesPort(pods, p.targetPort)) return;
        report(
          o,
          ['spec', 'ports', i, 'targetPort'],
          `no container port is named "${p.targetPort}" in the selected pods`,
        );
      });
    }
    if (o.kind === 'PodMonitor') {
      // Scrape targets in a namespace we ship workloads to must exist; elsewhere (istio-system, whose
      // gateway Istio installs) there is nothing to compare with.
      const sel = (o.obj.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
      const namespaces: string[] = o.obj.spec?.namespaceSelector?.matchNames ?? [o.ns];
      for (const ns of namespaces) {
        if (!all.some((w) => WORKLOADS.has(w.kind) && w.ns === ns)) continue;
        const pods = podsOf(ns, sel);
        if (!pods.length) {
          report(
            o,
            ['spec', 'selector'],
            `selector ${JSON.stringify(sel)} matches no shipped workload's pods (namespace ${ns})`,
          );
          continue;
        }
        (o.obj.spec?.podMetricsEndpoints ?? []).forEach((e: Obj, i: number) => {
          if (typeof e.port !== 'string' || namesPort(pods, e.port)) return;
          report(
            o,
            ['spec', 'podMetricsEndpoints', i, 'port'],
            `no container port is named "${e.port}" in the selected pods`,
          );
        });
      }
    }
    if (o.kind === 'VirtualService') {
      (o.obj.spec?.gateways ?? []).forEach((g: string, i: number) => {
        if (g === 'mesh') return;
        const [ns, name] = g.includes('/') ? g.split('/') : [o.ns, g];
        if (!find('Gateway', ns, name))
          report(o, ['spec', 'gateways', i], `Gateway "${g}" is not shipped (namespace ${ns})`);
      });
    }
  }
  return out;
}

export function isK8sObject(n: LNode | undefined): boolean {
  return !!n && !!entry(n, 'apiVersion') && !!entry(n, 'kind');
}
