/**
 * Every setting of the control plane in one table: name, type, default, environment variable, flag
 * and a description (envoyproxy/ratelimit's settings struct, as data). Adding a setting is one entry
 * here plus its field in `Settings`; the loader, `--help` and the README check all read this table.
 */
import type { SettingKind } from './parse-value';

export interface Settings {
  /** Interface the HTTP API listens on. */
  apiHost: string;
  apiPort: number;
  /** Bearer token for the HTTP API; empty = generate one at start and write it to apiTokenFile. */
  apiToken: string;
  apiTokenFile: string;
  apiBodyLimitBytes: number;
  /** Serve the dashboard's static shell without the token (its data calls always need it). */
  dashboardPublic: boolean;
  /** Port of a listener on apiHost serving only GET /metrics without the token; 0 = none. */
  metricsPort: number;
  grpcHost: string;
  grpcPort: number;
  /** Bearer token proxies present on the gRPC streams; empty = none required. */
  grpcToken: string;
  influxUrl: string;
  influxDatabase: string;
  cycleIntervalMs: number;
  forecastStepMs: number;
  forecastHorizonSteps: number;
  historySteps: number;
  /** Policy YAML loaded at start when no policy version is stored yet; empty = none. */
  policyFile: string;
  dataDir: string;
  spoolDir: string;
  modelsDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** 'kubernetes': replicas elect one leader through a Lease; the others stand by (control-plane/leader). */
  leaderElection: 'off' | 'kubernetes';
  leaseName: string;
  /** '' = the pod's namespace (POD_NAMESPACE, else the service account's). */
  leaseNamespace: string;
  /** '' = POD_NAME, else the hostname and a random suffix. */
  leaseIdentity: string;
  leaseDurationMs: number;
  /** '' = https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (in a pod). */
  kubernetesApiUrl: string;
  kubernetesServiceAccountDir: string;
}

export type SettingName = keyof Settings;

export interface SettingDefinition<K extends SettingName = SettingName> {
  name: K;
  kind: SettingKind;
  default: Settings[K];
  env: string;
  flag: string;
  description: string;
  /** Allowed values for kind 'enum'. */
  values?: readonly string[];
  /** Inclusive bounds for numeric kinds. */
  min?: number;
  max?: number;
  /** Kind 'url': refuse a path or query. */
  originOnly?: boolean;
}

type Table = { [K in SettingName]: Omit<SettingDefinition<K>, 'name' | 'env' | 'flag'> };

const TABLE: Table = {
  apiHost: { kind: 'string', default: '127.0.0.1', description: 'Address the HTTP API listens on.' },
  apiPort: {
    kind: 'integer',
    default: 8080,
    min: 0,
    max: 65535,
    description: 'HTTP API port (0 = any free port).',
  },
  apiToken: {
    kind: 'secret',
    default: '',
    description: 'Bearer token for the HTTP API. Empty: generated at start and written to apiTokenFile.',
  },
  apiTokenFile: {
    kind: 'path',
    default: 'var/api-token',
    description: 'Where a generated API token is written (mode 0600); the CLI reads it from there.',
  },
  apiBodyLimitBytes: {
    kind: 'integer',
    default: 1024 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024,
    description: 'Largest accepted request body, in bytes (413 BODY_TOO_LARGE above it).',
  },
  dashboardPublic: {
    kind: 'boolean',
    default: true,
    description: "Serve /dashboard's static files without the token. Its data calls always need it.",
  },
  metricsPort: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 65535,
    description:
      'Port of a listener on apiHost that serves only GET /metrics, without the API token (for Prometheus pod annotations and Istio metrics merging); 0 = none.',
  },
  grpcHost: {
    kind: 'string',
    default: '127.0.0.1',
    description: 'Address the gRPC distribution server listens on.',
  },
  grpcPort: {
    kind: 'integer',
    default: 18000,
    min: 0,
    max: 65535,
    description: 'gRPC port for plan distribution and usage reports (0 = any free port).',
  },
  grpcToken: {
    kind: 'secret',
    default: '',
    description: 'Bearer token proxies must present in gRPC metadata. Empty: none required.',
  },
  influxUrl: {
    kind: 'url',
    default: 'http://127.0.0.1:8086',
    // The store's client talks to the origin only (store/influx/http-client.ts): a path such as
    // /influxdb behind a reverse proxy would be silently dropped, so it is refused here.
    originOnly: true,
    description: 'InfluxDB 1.x HTTP endpoint: http://host:port, without a path.',
  },
  influxDatabase: { kind: 'string', default: 'earmark', description: 'InfluxDB database.' },
  cycleIntervalMs: {
    kind: 'duration',
    default: 60_000,
    min: 100,
    // Node timers take at most 2^31-1 ms (about 24.8 days); a longer delay fires after 1 ms.
    max: 2 ** 31 - 1,
    description:
      'Time between forecast → allocate → publish cycles (e.g. 60s, 5m, 1500ms); at most 2147483647 ms (about 24.8 days, the longest Node timer).',
  },
  forecastStepMs: {
    kind: 'duration',
    default: 60_000,
    min: 1000,
    description: 'Length of one demand/forecast step.',
  },
  forecastHorizonSteps: {
    kind: 'integer',
    default: 15,
    min: 1,
    max: 1440,
    description: 'Forecast steps ahead (15 one-minute steps = 15 minutes).',
  },
  historySteps: {
    kind: 'integer',
    // 25 h of one-minute steps: the daily-seasonal forecasters need a day plus their level window
    // (seasonal-delta-6: 1,446 steps); with fewer they are skipped (the service warns at start).
    default: 1500,
    min: 1,
    max: 100_000,
    description:
      'Steps of history read for each forecast. Daily seasonality needs a day plus 6 steps (1446 at one-minute steps).',
  },
  policyFile: {
    kind: 'path',
    default: '',
    description: 'Policy YAML loaded at start when the store holds no policy version yet.',
  },
  dataDir: { kind: 'path', default: 'var', description: 'Folder for local state (tokens, InfluxDB data).' },
  spoolDir: {
    kind: 'path',
    default: 'var/spool',
    description: 'Where writes are spooled while InfluxDB is unreachable.',
  },
  modelsDir: {
    kind: 'path',
    default: '',
    description:
      'Model registry (ONNX model versions, registry.json); empty: <dataDir>/models. Version 0 is the committed models/default/quantile-mlp.onnx.',
  },
  logLevel: {
    kind: 'enum',
    default: 'info',
    values: ['debug', 'info', 'warn', 'error'],
    description: 'Least severe log level printed.',
  },
  leaderElection: {
    kind: 'enum',
    default: 'off',
    values: ['off', 'kubernetes'],
    description:
      'off: this process is the only control plane. kubernetes: replicas elect one leader through a coordination.k8s.io Lease; the others stand by (serving nothing; in a pod, labeled earmark.io/role=standby) and take over when it stops or fails.',
  },
  leaseName: {
    kind: 'string',
    default: 'earmark-control-plane',
    description: 'Name of the Lease the replicas compete for (leaderElection=kubernetes).',
  },
  leaseNamespace: {
    kind: 'string',
    default: '',
    description: "Namespace of the Lease. Empty: POD_NAMESPACE, else the service account's namespace.",
  },
  leaseIdentity: {
    kind: 'string',
    default: '',
    description: "This replica's name in the Lease. Empty: POD_NAME, else the hostname with a random suffix.",
  },
  leaseDurationMs: {
    kind: 'duration',
    default: 15_000,
    min: 1000,
    max: 300_000,
    description:
      'How long a lease lasts without renewal: a failed leader is replaced after about this long. The leader renews every 2/15 of it and gives up (stops) after 2/3 of it without renewal.',
  },
  kubernetesApiUrl: {
    kind: 'url',
    default: '',
    description:
      'Kubernetes API server for leader election. Empty: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with the service account (in a pod).',
  },
  kubernetesServiceAccountDir: {
    kind: 'path',
    default: '/var/run/secrets/kubernetes.io/serviceaccount',
    description:
      'Where the service account token, CA and namespace are mounted (read for leader election only).',
  },
};

/** "apiBodyLimitBytes" → "API_BODY_LIMIT_BYTES". */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export const SETTINGS: readonly SettingDefinition[] = (Object.keys(TABLE) as SettingName[]).map((name) => ({
  name,
  ...(TABLE[name] as Omit<SettingDefinition, 'name' | 'env' | 'flag'>),
  env: `EARMARK_${snake(name)}`,
  flag: `--${snake(name).toLowerCase().replace(/_/g, '-')}`,
}));

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const d of SETTINGS) out[d.name] = d.default;
  return out as unknown as Settings;
}
