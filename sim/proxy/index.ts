/** sim/proxy: emulated Envoy proxies running the real filter, and a driver for workloads. See sim/README.md. */
export { ProxyFleet, hashRoute, type ProxyFleetOptions } from './fleet';
export {
  EmulatedProxy,
  loadFilterModule,
  DEFAULT_WASM,
  type EmulatedProxyOptions,
  type RequestOptions,
} from './emulated-proxy';
export {
  ProxyRequest,
  FINAL_DECISIONS,
  type Decision,
  type FinalDecision,
  type FinishOptions,
} from './proxy-request';
export { ENVOY_YAML_CONFIG, mergeConfig, type PluginConfig } from './plugin-config';
export { decodeMeta, decodeReservation, type PlanMeta, type SharedReservation } from './shared-records';
export {
  TrafficDriver,
  emptyCounts,
  type ArrivalSource,
  type DecisionCounts,
  type TrafficOptions,
} from './traffic';
export { Pacer } from './pacer';
export { usageHistory, type CountSource, type HistoryOptions } from './history';
