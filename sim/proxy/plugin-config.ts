/**
 * The filter's configuration for emulated proxies: the same document envoy/envoy.yaml gives both
 * roots (one JSON, shared by the sync service and the HTTP filter), with the control-plane cluster
 * and the token coming from the environment as in Envoy. Callers override any field; objects merge.
 */

export type PluginConfig = Record<string, unknown>;

/** Name of the gRPC cluster the sync root dials (envoy.yaml: earmark_control_plane). */
export const CONTROL_PLANE_CLUSTER = 'earmark_control_plane';
export const TOKEN_ENV = 'EARMARK_GRPC_TOKEN';
export const VM_ID = 'earmark';
export const FILTER_ROOT = 'earmark_filter';
export const SYNC_ROOT = 'earmark_sync';

/** envoy/envoy.yaml's `earmark_config`, field for field. */
export const ENVOY_YAML_CONFIG: PluginConfig = {
  identity: { header: 'x-earmark-user' },
  routing_header: 'x-earmark-instance',
  decision_header: 'x-earmark-decision',
  fail_mode: 'open',
  plan_ttl_ms: 30000,
  defaults: { on_exhausted: 'queue', max_queue_wait_ms: 1000 },
  unreserved: { slots: 64, rate_per_minute: 6000, on_exhausted: 'queue', max_queue_wait_ms: 500 },
  reject: { status: 429, retry_after_s: 1 },
  sync: {
    mode: 'service',
    cluster: CONTROL_PLANE_CLUSTER,
    token_env: TOKEN_ENV,
    report_interval_ms: 10000,
  },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with `over` merged in, objects recursively; `undefined` in `over` removes a field. */
export function mergeConfig(base: PluginConfig, over: PluginConfig = {}): PluginConfig {
  const out: PluginConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = isObject(v) && isObject(out[k]) ? mergeConfig(out[k] as PluginConfig, v) : v;
  }
  return out;
}

/** The headers the fleet reads decisions from, as configured. */
export function configHeaders(c: PluginConfig): { identity: string; routing: string; decision: string } {
  const identity =
    ((c.identity as PluginConfig | undefined)?.header as string | undefined) ?? 'x-earmark-user';
  const routing = (c.routing_header as string | undefined) ?? 'x-earmark-instance';
  const decision = c.decision_header as string | undefined;
  if (!decision) throw new Error('the emulated fleet reads decisions from decision_header; do not unset it');
  return {
    identity: identity.toLowerCase(),
    routing: routing.toLowerCase(),
    decision: decision.toLowerCase(),
  };
}
