/** Prometheus telemetry: the process registry and its /metrics endpoint. See README.md. */
export { createRegistry } from './registry';
export type { RegistryOptions } from './registry';
export { metricsHandler, renderMetrics, startMetricsServer } from './metrics-endpoint';
export type { RenderedMetrics } from './metrics-endpoint';
