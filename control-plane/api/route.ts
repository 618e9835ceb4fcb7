/**
 * A route is its OpenAPI operation and its handler in one value: the document, the validators and
 * the express wiring are all built from the same list, so none of them can drift from the others.
 * Handlers get already-validated input and return a result; they never touch express.
 */
import type { ErrorCode } from './errors';

export type JsonSchema = Record<string, unknown>;
export type Method = 'get' | 'put' | 'post' | 'delete';
export type MediaType = 'application/json' | 'application/yaml';

export interface ParamSpec {
  schema: JsonSchema;
  description: string;
  required?: boolean;
}

export interface ResponseSpec {
  description: string;
  schema?: JsonSchema;
  /** Default application/json. */
  mediaType?: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface RouteSpec {
  operationId: string;
  method: Method;
  /** OpenAPI form, e.g. /v1/users/{user}. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Served without the bearer token (health checks only). */
  public?: boolean;
  pathParams?: Record<string, ParamSpec>;
  query?: Record<string, ParamSpec>;
  /** Request headers, lower-case names. */
  headers?: Record<string, ParamSpec>;
  body?: { schema: JsonSchema; description: string; mediaTypes?: MediaType[] };
  responses: Record<number, ResponseSpec>;
  /** Error codes this operation can answer with (documented; checked by the tests). */
  errors: ErrorCode[];
}

export interface RouteInput<P = Record<string, string>, Q = Record<string, unknown>, B = unknown> {
  params: P;
  query: Q;
  headers: Record<string, string | undefined>;
  body: B;
  /** The body's text as sent, for YAML bodies (kept with policy versions). */
  rawBody?: string;
}

export interface RouteResult {
  /** Default 200. */
  status?: number;
  /** Serialized as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route extends RouteSpec {
  handle(input: RouteInput<any, any, any>): Promise<RouteResult>;
}

/** Keeps the handler's input types where they are written, and erases them for the route list. */
export function route<P = Record<string, string>, Q = Record<string, unknown>, B = unknown>(
  spec: RouteSpec & { handle(input: RouteInput<P, Q, B>): Promise<RouteResult> },
): Route {
  return spec as Route;
}

export function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}
