/**
 * Checks one Envoy config document (a bootstrap, or an Istio patch fragment of a known type)
 * against Envoy's API, checks that each typed extension sits where Envoy can load that kind of
 * extension, and collects every Wasm plugin configuration that loads Earmark's filter, so the
 * filter itself can judge it (plugin-config.ts).
 */
import { EnvoyApi, loadEnvoyApi } from './envoy-api';
import { Finding, Rule, Severity } from './findings';
import { entry, LNode, nodeAt, Pos } from './located';
import { Path, validateMessage, WalkContext } from './proto-json';

/** A Wasm plugin configuration found in a config, with what Envoy would hand to on_configure. */
export interface WasmPluginRef {
  file: string;
  pos: Pos;
  path: Path;
  /** root_id selects the root context in the module (sync root or filter root). */
  rootId: string;
  /** Plugin configuration bytes as Envoy passes them (StringValue/BytesValue content). */
  configuration: string | undefined;
  /** Where the module comes from (local filename, remote URI, or OCI/HTTP URL in Istio). */
  code: string;
  /** True inside a bootstrap WasmService with singleton: true (the sync root). */
  singleton: boolean;
  /** True when the configuration was not a StringValue/BytesValue (so it cannot be handed over as text). */
  opaque?: string;
  /** Environment the VM is given: inline values, and a placeholder for each variable taken from the host. */
  env: Record<string, string>;
  /** The configuration as YAML (Istio's pluginConfig), so a rejected field can be pointed at. */
  configNode?: LNode;
}

/** Stands in for a variable Envoy takes from its own environment, which we cannot see here. */
export const HOST_ENV_PLACEHOLDER = 'set-by-the-host-environment';

const EXTENSION_PLACES: Record<string, { field: string; prefixes: string[]; what: string }> = {
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter': {
    field: 'typed_config',
    prefixes: ['envoy.extensions.filters.http.'],
    what: 'an HTTP filter',
  },
  'envoy.config.listener.v3.Filter': {
    field: 'typed_config',
    prefixes: ['envoy.extensions.filters.network.'],
    what: 'a network filter',
  },
  'envoy.config.listener.v3.ListenerFilter': {
    field: 'typed_config',
    prefixes: ['envoy.extensions.filters.listener.'],
    what: 'a listener filter',
  },
};
const BOOTSTRAP_EXTENSIONS = ['envoy.extensions.wasm.v3.WasmService', 'envoy.extensions.bootstrap.'];

export interface EnvoyCheckResult {
  findings: Finding[];
  plugins: WasmPluginRef[];
}

export function checkEnvoyMessage(
  file: string,
  node: LNode,
  typeName: string,
  opts: { partial?: boolean; basePath?: Path; api?: EnvoyApi } = {},
): EnvoyCheckResult {
  const api = opts.api ?? loadEnvoyApi();
  const findings: Finding[] = [];
  const plugins: WasmPluginRef[] = [];
  const singletonConfigs = new Set<LNode>();
  const report = (pos: Pos, path: Path, rule: Rule, message: string, severity: Severity = 'error') =>
    findings.push({ file, pos, path, rule, message, severity });
  const ctx: WalkContext = {
    api,
    report,
    partial: opts.partial ?? false,
    onMessage(type, n, path) {
      const full = type.fullName.slice(1);
      const place = EXTENSION_PLACES[full];
      if (place) checkPlacement(api, n, path, place.field, place.prefixes, place.what, report);
      if (full === 'envoy.config.bootstrap.v3.Bootstrap') {
        const exts = entry(n, 'bootstrap_extensions')?.value;
        if (exts?.kind === 'seq') {
          exts.items.forEach((x, i) =>
            checkPlacement(
              api,
              x,
              [...path, 'bootstrap_extensions', i],
              'typed_config',
              BOOTSTRAP_EXTENSIONS,
              'a bootstrap extension',
              report,
            ),
          );
        }
      }
      if (full === 'envoy.extensions.wasm.v3.WasmService') {
        const single = entry(n, 'singleton')?.value;
        const config = entry(n, 'config')?.value;
        if (config && single?.kind === 'scalar' && single.value === true) singletonConfigs.add(config);
      }
      if (full === 'envoy.extensions.wasm.v3.PluginConfig') {
        const ref = pluginRef(file, n, path, singletonConfigs.has(n));
        if (ref && /earmark/i.test(ref.code)) plugins.push(ref);
      }
    },
  };
  const type = api.lookupMessage(typeName);
  if (!type) throw new Error(`internal: ${typeName} is not in the loaded Envoy API`);
  validateMessage(type, node, opts.basePath ?? [], ctx);
  return { findings, plugins };
}

function typeOfTypedConfig(n: LNode | undefined): string | undefined {
  const at = nodeAt(n, ['@type']);
  if (at?.kind !== 'scalar' || typeof at.value !== 'string') return undefined;
  let name = at.value.slice(at.value.lastIndexOf('/') + 1);
  if (name === 'xds.type.v3.TypedStruct' || name === 'udpa.type.v1.TypedStruct') {
    const inner = nodeAt(n, ['type_url']) ?? nodeAt(n, ['typeUrl']);
    if (inner?.kind === 'scalar' && typeof inner.value === 'string')
      name = inner.value.slice(inner.value.lastIndexOf('/') + 1);
  }
  return name;
}

function checkPlacement(
  api: EnvoyApi,
  n: LNode,
  path: Path,
  field: string,
  prefixes: string[],
  what: string,
  report: (pos: Pos, path: Path, rule: Rule, message: string) => void,
): void {
  const tc = entry(n, field)?.value;
  const name = typeOfTypedConfig(tc);
  // An unresolvable type is reported once, by the Any check; only a known type can be misplaced.
  if (!tc || !name || !api.lookupMessage(name) || prefixes.some((p) => name.startsWith(p))) return;
  const takes = prefixes.map((p) => `${p}*`).join(' or ');
  report(tc.pos, [...path, field], 'extension', `${name} is not ${what}: this field takes ${takes} types`);
}

function pluginRef(file: string, n: LNode, path: Path, singleton: boolean): WasmPluginRef | undefined {
  const str = (p: (string | number)[]) => {
    const v = nodeAt(n, p);
    return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
  };
  const code =
    str(['vm_config', 'code', 'local', 'filename']) ??
    str(['vm_config', 'code', 'remote', 'http_uri', 'uri']) ??
    str(['vm_config', 'code', 'local', 'inline_string']) ??
    '';
  const conf = nodeAt(n, ['configuration']);
  let configuration: string | undefined;
  let opaque: string | undefined;
  if (conf) {
    const t = typeOfTypedConfig(conf);
    const value = str(['configuration', 'value']);
    if (t === 'google.protobuf.StringValue') configuration = value ?? '';
    else if (t === 'google.protobuf.BytesValue')
      configuration = Buffer.from(value ?? '', 'base64').toString('utf8');
    else opaque = t;
  }
  // Point at the configuration text itself: that is what an operator edits after a rejection.
  const value = nodeAt(n, ['configuration', 'value']);
  const pos = (value ?? conf ?? n).pos;
  const at = value ? [...path, 'configuration', 'value'] : conf ? [...path, 'configuration'] : path;
  const env: Record<string, string> = {};
  const hostKeys = nodeAt(n, ['vm_config', 'environment_variables', 'host_env_keys']);
  if (hostKeys?.kind === 'seq')
    for (const k of hostKeys.items) if (k.kind === 'scalar') env[String(k.value)] = HOST_ENV_PLACEHOLDER;
  const inline = nodeAt(n, ['vm_config', 'environment_variables', 'key_values']);
  if (inline?.kind === 'map')
    for (const e of inline.entries) if (e.value.kind === 'scalar') env[e.key] = String(e.value.value);
  return { file, pos, path: at, rootId: str(['root_id']) ?? '', configuration, code, singleton, opaque, env };
}
