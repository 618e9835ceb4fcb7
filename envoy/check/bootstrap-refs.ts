/**
 * Names inside one Envoy bootstrap that must agree, which no proto rule sees: every cluster a
 * route, a gRPC service or the Earmark sync names is defined (unless clusters come from CDS), and
 * the Earmark filter's headers match the rest of the chain: the routing header it sets is the one
 * the ORIGINAL_DST cluster reads, and the identity header it reads is the one jwt_authn writes.
 */
import { WasmPluginRef } from './envoy-config';
import { Finding } from './findings';
import { entry, LNode, nodeAt } from './located';

type Path = (string | number)[];

function walk(n: LNode, path: Path, visit: (n: LNode, path: Path) => void): void {
  visit(n, path);
  if (n.kind === 'map') for (const e of n.entries) walk(e.value, [...path, e.key], visit);
  if (n.kind === 'seq') n.items.forEach((c, i) => walk(c, [...path, i], visit));
}

const str = (n: LNode | undefined) =>
  n?.kind === 'scalar' && typeof n.value === 'string' ? n.value : undefined;

export function checkBootstrapReferences(file: string, root: LNode, plugins: WasmPluginRef[]): Finding[] {
  const out: Finding[] = [];
  const report = (n: LNode, path: Path, message: string) =>
    out.push({ file, pos: n.pos, path, rule: 'reference', severity: 'error', message });
  const clusters = nodeAt(root, ['static_resources', 'clusters']);
  const names = new Set<string>();
  const dstHeaders: string[] = [];
  if (clusters?.kind === 'seq') {
    for (const c of clusters.items) {
      const name = str(entry(c, 'name')?.value);
      if (name) names.add(name);
      const h = str(nodeAt(c, ['original_dst_lb_config', 'http_header_name']));
      if (str(entry(c, 'type')?.value) === 'ORIGINAL_DST' && h) dstHeaders.push(h.toLowerCase());
    }
  }
  const dynamic = !!nodeAt(root, ['dynamic_resources', 'cds_config']);
  const claimHeaders: string[] = [];
  walk(root, [], (n, path) => {
    const key = path[path.length - 1];
    const parent = path[path.length - 2];
    const named =
      (key === 'cluster' &&
        (parent === 'route' || parent === 'request_mirror_policies' || typeof parent === 'number')) ||
      key === 'cluster_name';
    const v = str(n);
    if (named && v && !dynamic && !names.has(v) && !path.includes('load_assignment')) {
      report(n, path, `cluster "${v}" is not defined in static_resources.clusters`);
    }
    if (key === 'header_name' && path.includes('claim_to_headers') && v) claimHeaders.push(v.toLowerCase());
  });
  for (const p of plugins) {
    let cfg: Record<string, any>;
    try {
      cfg = JSON.parse(p.configuration ?? '');
    } catch {
      continue; // the filter's own check reports unreadable JSON
    }
    const at = nodeAt(root, p.path) ?? root;
    const syncCluster = cfg?.sync?.cluster;
    if (typeof syncCluster === 'string' && p.singleton && !dynamic && !names.has(syncCluster)) {
      report(at, p.path, `Earmark sync.cluster "${syncCluster}" is not defined in static_resources.clusters`);
    }
    if (p.singleton) continue; // the headers below are the filter root's business
    const routing = String(cfg?.routing_header ?? 'x-earmark-instance').toLowerCase();
    if (dstHeaders.length && !dstHeaders.includes(routing)) {
      report(
        at,
        p.path,
        `Earmark routing_header "${routing}" is not what the ORIGINAL_DST cluster reads (${dstHeaders.join(', ')})`,
      );
    }
    const identity = cfg?.identity?.header;
    if (
      typeof identity === 'string' &&
      claimHeaders.length &&
      !claimHeaders.includes(identity.toLowerCase())
    ) {
      report(
        at,
        p.path,
        `Earmark identity.header "${identity}" is not written by jwt_authn (claim_to_headers: ${claimHeaders.join(', ')})`,
      );
    }
  }
  return out;
}
