/**
 * The wire contracts (proto/earmark/v1 and Envoy's discovery messages) loaded with protobufjs,
 * so tests encode exactly what a control plane sends and decode what the filter sends back.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as protobuf from 'protobufjs';

const ROOT = resolve(__dirname, '..', '..', '..');
const DEPS = join(ROOT, 'node_modules', '@grpc', 'grpc-js-xds', 'deps');
const INCLUDE = [
  join(ROOT, 'proto'),
  join(ROOT, 'node_modules', 'protobufjs'), // google/protobuf/descriptor.proto
  join(DEPS, 'envoy-api'),
  join(DEPS, 'googleapis'),
  join(DEPS, 'protoc-gen-validate'),
  join(DEPS, 'xds'),
];

export const RESERVATION_TYPE_URL = 'type.googleapis.com/earmark.v1.Reservation';
export const DELTA_PATH = '/earmark.v1.ReservationDiscoveryService/DeltaReservations';
export const USAGE_PATH = '/earmark.v1.UsageReportingService/StreamUsage';

let root: protobuf.Root | undefined;

function load(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string => {
    // protobufjs bundles the well-known types (any, duration, ...) and resolves them by name.
    if (target.startsWith('google/protobuf/') && target !== 'google/protobuf/descriptor.proto') return target;
    for (const dir of INCLUDE) {
      const p = join(dir, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  r.loadSync(['earmark/v1/discovery.proto', 'earmark/v1/usage.proto', 'earmark/v1/reservation.proto'], {
    keepCase: true,
  });
  root = r;
  return r;
}

export const types = () => {
  const r = load();
  return {
    Reservation: r.lookupType('earmark.v1.Reservation'),
    DeltaRequest: r.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest'),
    DeltaResponse: r.lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse'),
    UsageReport: r.lookupType('earmark.v1.UsageReport'),
    UsageReportResponse: r.lookupType('earmark.v1.UsageReportResponse'),
  };
};

/** A reservation as tests write it (snake_case, as in the .proto). */
export interface ReservationMsg {
  user?: string;
  instance_id?: string;
  instance_address?: string;
  slots?: number;
  rate_per_minute?: number;
  burst?: number;
  cpu_millicores?: number;
  memory_mb?: number;
  bandwidth_kbps?: number;
  tier?: string;
  priority?: number;
  max_queue_wait_ms?: number;
  on_exhausted?: number | string;
  not_before_ms?: number;
  expires_ms?: number;
  fallback?: string;
}

export const encodeReservation = (r: ReservationMsg): Buffer => {
  const T = types().Reservation;
  return Buffer.from(T.encode(T.fromObject(r)).finish());
};

export interface ResourceMsg {
  name: string;
  version?: string;
  /** The reservation body; omitted for a heartbeat. */
  reservation?: ReservationMsg;
  /** Raw body bytes instead of an encoded reservation. */
  body?: Buffer;
  typeUrl?: string;
  ttlMs?: number;
}

export interface DeltaResponseMsg {
  resources?: ResourceMsg[];
  removed?: string[];
  nonce?: string;
  systemVersionInfo?: string;
  typeUrl?: string;
}

export function encodeDeltaResponse(m: DeltaResponseMsg): Buffer {
  const T = types().DeltaResponse;
  const obj = {
    system_version_info: m.systemVersionInfo ?? '',
    type_url: m.typeUrl ?? RESERVATION_TYPE_URL,
    nonce: m.nonce ?? '',
    removed_resources: m.removed ?? [],
    resources: (m.resources ?? []).map((r) => ({
      name: r.name,
      version: r.version ?? '1',
      ...(r.reservation || r.body
        ? {
            resource: {
              type_url: r.typeUrl ?? RESERVATION_TYPE_URL,
              value: r.body ?? encodeReservation({ user: r.name, ...r.reservation }),
            },
          }
        : {}),
      ...(r.ttlMs !== undefined
        ? { ttl: { seconds: Math.floor(r.ttlMs / 1000), nanos: (r.ttlMs % 1000) * 1e6 } }
        : {}),
    })),
  };
  return Buffer.from(T.encode(T.fromObject(obj)).finish());
}

export interface DeltaRequestObj {
  node?: { id?: string; cluster?: string };
  type_url?: string;
  resource_names_subscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

export function decodeDeltaRequest(b: Buffer): DeltaRequestObj {
  const T = types().DeltaRequest;
  return T.toObject(T.decode(b), { defaults: false }) as DeltaRequestObj;
}

export interface UserUsageObj {
  user: string;
  requests?: number;
  admitted?: number;
  queued?: number;
  queue_wait_ms?: number;
  queue_wait_max_ms?: number;
  throttled?: number;
  redirected?: number;
  peak_in_flight?: number;
  bytes_in?: number;
  bytes_out?: number;
  shortfall?: number;
  unreserved?: number;
}

export interface UsageReportObj {
  node_id?: string;
  sequence?: number;
  interval_start_ms?: number;
  interval_ms?: number;
  plan_version?: string;
  users?: UserUsageObj[];
}

export function decodeUsageReport(b: Buffer): UsageReportObj {
  const T = types().UsageReport;
  return T.toObject(T.decode(b), { longs: Number, defaults: false }) as UsageReportObj;
}

export function encodeUsageResponse(ackedSequence: number, reportIntervalMs = 0): Buffer {
  const T = types().UsageReportResponse;
  return Buffer.from(
    T.encode(T.fromObject({ acked_sequence: ackedSequence, report_interval_ms: reportIntervalMs })).finish(),
  );
}
