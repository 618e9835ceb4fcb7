/**
 * `earmark check-envoy`: every deployment config we ship, checked as far as it can be without
 * running Envoy, Kubernetes or Docker. A file is recognised by its content: documents with
 * apiVersion/kind are Kubernetes objects (Istio CRDs, core objects, a Kustomization), a compose
 * file by its name, anything else is an Envoy bootstrap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBootstrapReferences } from './bootstrap-refs';
import { checkCompose } from './compose';
import { checkEnvoyMessage, WasmPluginRef } from './envoy-config';
import { Finding } from './findings';
import { checkEnvoyFilter, wasmPluginRef } from './istio';
import { checkK8sReferences, isK8sObject, K8sDoc } from './k8s-refs';
import { checkK8sObject } from './k8s-schema';
import { entry, LNode, nodeAt, parseLocated } from './located';
import { checkPluginConfigs, DEFAULT_WASM, REPO_ROOT } from './plugin-config';
import { checkPolicyText } from './policy';

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

export interface CheckOptions {
  /** The filter module for the plugin-config check (default build/earmark.wasm). */
  wasm?: string;
  /** false skips the filter's own config validation. */
  plugin?: boolean;
}

export interface CheckReport {
  files: string[];
  findings: Finding[];
  /** Earmark plugin configurations found, and how many the filter itself judged. */
  pluginConfigs: { found: number; checked: number; skipped?: string };
}

/**
 * Folders under envoy/ that hold no Envoy, Istio or Kubernetes config: the checker itself,
 * Grafana's provisioning files (its own format; test/envoy/compose-grafana.test.ts checks them) and
 * the compose Prometheus's config (promtool checks it: test/envoy/compose-prometheus.test.ts).
 */
export const NOT_CONFIG_DIRS = ['check', path.join('compose', 'grafana'), path.join('compose', 'prometheus')];

/**
 * The configs Earmark ships: every YAML or JSON file under envoy/ (so a config added later is
 * checked without being listed here), the compose file, and the seed policy.
 */
export function shippedFiles(root = REPO_ROOT): string[] {
  const envoyDir = path.join(root, 'envoy');
  const skip = new Set(NOT_CONFIG_DIRS.map((d) => path.join(envoyDir, d)));
  const out = [path.join(envoyDir, 'envoy.yaml')];
  const walk = (dir: string) => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!skip.has(p)) walk(p);
      } else if (/\.(ya?ml|json)$/.test(e.name) && !out.includes(p)) out.push(p);
    }
  };
  if (fs.existsSync(envoyDir)) walk(envoyDir);
  out.push(path.join(root, 'docker-compose.yaml'));
  return out.filter((f) => fs.existsSync(f));
}

export async function checkFiles(files: string[], opts: CheckOptions = {}): Promise<CheckReport> {
  const findings: Finding[] = [];
  const plugins: WasmPluginRef[] = [];
  const k8sDocs: K8sDoc[] = [];
  for (const abs of files) {
    const file = path.relative(process.cwd(), abs) || abs;
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (err) {
      findings.push(
        at(file, undefined, 'yaml', `cannot read: ${err instanceof Error ? err.message : String(err)}`),
      );
      continue;
    }
    const docs = parseLocated(text);
    if (/(^|[\\/])(docker-)?compose[^\\/]*\.ya?ml$/.test(abs)) {
      const doc = docs[0];
      if (doc?.errors.length) findings.push(...doc.errors.map((e) => at(file, e.pos, 'yaml', e.message)));
      else if (doc?.root) findings.push(...checkCompose(file, path.dirname(abs), doc.root));
      continue;
    }
    if (/(^|[\\/])policy[^\\/]*\.ya?ml$/.test(abs)) {
      findings.push(...checkPolicyText(file, text, { at: { line: 1, col: 1 }, path: [] }));
      continue;
    }
    for (const doc of docs) {
      if (doc.errors.length) {
        findings.push(...doc.errors.map((e) => at(file, e.pos, 'yaml', `YAML syntax: ${e.message}`)));
        continue;
      }
      if (!doc.root) continue;
      if (isK8sObject(doc.root)) {
        checkK8s(file, abs, doc.root, findings, plugins, k8sDocs);
      } else {
        const r = checkEnvoyMessage(file, doc.root, BOOTSTRAP_TYPE);
        findings.push(...r.findings, ...checkBootstrapReferences(file, doc.root, r.plugins));
        plugins.push(...r.plugins);
      }
    }
  }
  findings.push(...checkK8sReferences(k8sDocs));
  let pluginConfigs: CheckReport['pluginConfigs'] = { found: plugins.length, checked: 0 };
  if (opts.plugin !== false) {
    const r = await checkPluginConfigs(plugins, opts.wasm ?? DEFAULT_WASM);
    findings.push(...r.findings);
    pluginConfigs = { found: plugins.length, checked: r.checked, skipped: r.skipped };
  }
  return { files: files.map((f) => path.relative(process.cwd(), f) || f), findings, pluginConfigs };
}

function checkK8s(
  file: string,
  abs: string,
  node: LNode,
  findings: Finding[],
  plugins: WasmPluginRef[],
  docs: K8sDoc[],
) {
  const kind = entry(node, 'kind')?.value;
  const k = kind?.kind === 'scalar' ? String(kind.value) : '';
  if (k === 'Kustomization') {
    findings.push(...checkKustomization(file, path.dirname(abs), node));
    return;
  }
  findings.push(...checkK8sObject(file, node));
  docs.push({ file, node });
  const policy =
    k === 'ConfigMap' && str(nodeAt(node, ['metadata', 'name'])) === 'earmark-policy'
      ? nodeAt(node, ['data', 'policy.yaml'])
      : undefined;
  if (policy) {
    // A literal block's content is indented two past its key ("policy.yaml: |").
    const keyCol = entry(nodeAt(node, ['data']), 'policy.yaml')?.keyPos.col ?? 1;
    const where = { at: policy.pos, path: ['data', 'policy.yaml'], block: { indent: keyCol + 1 } };
    findings.push(...checkPolicyText(file, str(policy) ?? '', where));
  }
  if (k === 'EnvoyFilter') {
    const r = checkEnvoyFilter(file, node);
    findings.push(...r.findings);
    plugins.push(...r.plugins);
  }
  if (k === 'WasmPlugin') {
    const ref = wasmPluginRef(file, node);
    if (ref) plugins.push(ref);
  }
}

/** Kustomize itself is not here; what we can check is that every listed resource exists. */
function checkKustomization(file: string, dir: string, node: LNode): Finding[] {
  const out: Finding[] = [];
  const res = entry(node, 'resources')?.value;
  if (res?.kind !== 'seq') return out;
  res.items.forEach((item, i) => {
    if (item.kind !== 'scalar' || typeof item.value !== 'string') return;
    if (/^[a-z]+:\/\//.test(item.value)) return; // remote bases are fetched by kustomize
    if (!fs.existsSync(path.join(dir, item.value))) {
      out.push({
        ...at(file, item.pos, 'reference', `resource "${item.value}" does not exist`),
        path: ['resources', i],
      });
    }
  });
  return out;
}

function at(
  file: string,
  pos: { line: number; col: number } | undefined,
  rule: Finding['rule'],
  message: string,
): Finding {
  return { file, pos: pos ?? { line: 1, col: 1 }, path: [], rule, severity: 'error', message };
}

function str(n: LNode | undefined): string | undefined {
  return n?.kind === 'scalar' && typeof n.value === 'string' ? n.value : undefined;
}
