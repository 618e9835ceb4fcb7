/**
 * The Envoy side of Istio resources: each EnvoyFilter patch value is checked as the Envoy message
 * its applyTo names (a MERGE patch as a fragment, without required fields), and each WasmPlugin
 * that loads Earmark yields the plugin configuration Istio would hand to the filter.
 */
import { checkEnvoyMessage, HOST_ENV_PLACEHOLDER, WasmPluginRef } from './envoy-config';
import { Finding } from './findings';
import { entry, LNode, nodeAt, toPlain } from './located';

/** The Envoy message an EnvoyFilter patch value is, by applyTo (Istio's EnvoyFilter reference). */
export const PATCH_TYPES: Record<string, string> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

export interface IstioCheckResult {
  findings: Finding[];
  plugins: WasmPluginRef[];
}

function str(n: LNode | undefined): string | undefined {
  return n?.kind === 'scalar' && typeof n.value === 'string' ? n.value : undefined;
}

export function checkEnvoyFilter(file: string, doc: LNode): IstioCheckResult {
  const out: IstioCheckResult = { findings: [], plugins: [] };
  const patches = nodeAt(doc, ['spec', 'configPatches']);
  if (patches?.kind !== 'seq') return out;
  patches.items.forEach((p, i) => {
    const applyTo = str(entry(p, 'applyTo')?.value);
    const op = str(nodeAt(p, ['patch', 'operation']));
    const value = nodeAt(p, ['patch', 'value']);
    const base = ['spec', 'configPatches', i, 'patch', 'value'];
    const type = applyTo ? PATCH_TYPES[applyTo] : undefined;
    if (!value || !type) return; // a bad applyTo is the CRD schema's to report
    // BOOTSTRAP patches are always merged; MERGE values are fragments of an existing object.
    const partial = op === 'MERGE' || applyTo === 'BOOTSTRAP';
    const r = checkEnvoyMessage(file, value, type, { partial, basePath: base });
    out.findings.push(...r.findings);
    out.plugins.push(...r.plugins);
  });
  return out;
}

/** Istio turns a WasmPlugin into envoy.filters.http.wasm with root_id = pluginName and the
 * pluginConfig as a JSON StringValue; this is that configuration. */
export function wasmPluginRef(file: string, doc: LNode): WasmPluginRef | undefined {
  const spec = entry(doc, 'spec')?.value;
  const url = str(entry(spec, 'url')?.value) ?? '';
  if (!/earmark/i.test(url)) return undefined;
  const pc = entry(spec, 'pluginConfig')?.value;
  // vmConfig.env: inline values as given, HOST ones come from the gateway's environment.
  const env: Record<string, string> = {};
  const vars = nodeAt(spec, ['vmConfig', 'env']);
  if (vars?.kind === 'seq') {
    for (const v of vars.items) {
      const name = str(entry(v, 'name')?.value);
      if (!name) continue;
      env[name] =
        str(entry(v, 'valueFrom')?.value) === 'HOST'
          ? HOST_ENV_PLACEHOLDER
          : (str(entry(v, 'value')?.value) ?? '');
    }
  }
  return {
    env,
    configNode: pc,
    file,
    pos: (pc ?? spec ?? doc).pos,
    path: ['spec', pc ? 'pluginConfig' : 'url'],
    rootId: str(entry(spec, 'pluginName')?.value) ?? '',
    configuration: pc ? JSON.stringify(toPlain(pc)) : undefined,
    code: url,
    singleton: false,
  };
}
