/**
 * The wire contracts loaded with @grpc/proto-loader from proto/ (the single source of truth), with
 * Envoy's API protos from @grpc/grpc-js-xds on the include path. Requests (small) go through the
 * reflection codecs; DeltaDiscoveryResponse (up to 10^5 resources) uses codec/ instead, measured
 * several times faster.
 */
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

const ROOT = path.resolve(__dirname, '..', '..');
const XDS_DEPS = path.join(ROOT, 'node_modules', '@grpc', 'grpc-js-xds', 'deps');

export const INCLUDE_DIRS = [
  path.join(ROOT, 'proto'),
  path.join(XDS_DEPS, 'envoy-api'),
  path.join(XDS_DEPS, 'googleapis'),
  path.join(XDS_DEPS, 'protoc-gen-validate'),
  path.join(XDS_DEPS, 'xds'),
];

export const DISCOVERY_SERVICE = 'earmark.v1.ReservationDiscoveryService';
export const USAGE_SERVICE = 'earmark.v1.UsageReportingService';
export const DELTA_RESERVATIONS_PATH = `/${DISCOVERY_SERVICE}/DeltaReservations`;
export const STREAM_USAGE_PATH = `/${USAGE_SERVICE}/StreamUsage`;

/** Plain objects as proto-loader decodes them: camelCase fields, 64-bit integers as decimal strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: INCLUDE_DIRS,
};

let loaded: protoLoader.PackageDefinition | undefined;

/** Both services' definitions, loaded once. */
export function packageDefinition(): protoLoader.PackageDefinition {
  loaded ??= protoLoader.loadSync(['earmark/v1/discovery.proto', 'earmark/v1/usage.proto'], LOADER_OPTIONS);
  return loaded;
}

export interface Codec<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
}

type Side = 'request' | 'response';

/** The proto-loader (protobufjs reflection) codec of one side of a method. */
function codec<T extends object>(service: string, name: string, side: Side): Codec<T> {
  const m = (packageDefinition()[service] as protoLoader.ServiceDefinition)[
    name
  ] as protoLoader.MethodDefinition<object, object>;
  return side === 'request'
    ? {
        serialize: m.requestSerialize as (v: T) => Buffer,
        deserialize: m.requestDeserialize as (b: Buffer) => T,
      }
    : {
        serialize: m.responseSerialize as (v: T) => Buffer,
        deserialize: m.responseDeserialize as (b: Buffer) => T,
      };
}

export const deltaRequestCodec = <T extends object>() =>
  codec<T>(DISCOVERY_SERVICE, 'DeltaReservations', 'request');
export const usageReportCodec = <T extends object>() => codec<T>(USAGE_SERVICE, 'StreamUsage', 'request');
export const usageResponseCodec = <T extends object>() => codec<T>(USAGE_SERVICE, 'StreamUsage', 'response');
/** The reflection codec of DeltaDiscoveryResponse: tests check codec/ against it. */
export const deltaResponseReflectionCodec = <T extends object>() =>
  codec<T>(DISCOVERY_SERVICE, 'DeltaReservations', 'response');
