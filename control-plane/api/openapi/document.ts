/**
 * Builds the OpenAPI 3.1 document from the route list. Served at /openapi.json and compiled into
 * the request validators (validator.ts), so what is documented is exactly what is enforced.
 */
import { ERRORS, type ErrorCode } from '../errors';
import { ref, type JsonSchema, type ParamSpec, type Route } from '../route';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, unknown>>;
  tags: Array<{ name: string }>;
}

function parameters(where: 'path' | 'query' | 'header', specs: Record<string, ParamSpec> = {}) {
  return Object.entries(specs).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' ? true : !!p.required,
    description: p.description,
    schema: p.schema,
  }));
}

/** Groups the operation's error codes by status, one response per status listing its codes. */
function errorResponses(codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERRORS[c].status, [...(byStatus.get(ERRORS[c].status) ?? []), c]);
  const out: Record<string, unknown> = {};
  for (const [status, cs] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `Error: ${cs.join(', ')}.`,
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  return out;
}

/** The codes an operation can answer with: its own, and those every route of its kind shares. */
export function errorsOf(r: Route): ErrorCode[] {
  const codes: ErrorCode[] = [...r.errors, 'VALIDATION_QUERY', 'DEPENDENCY_UNAVAILABLE', 'INTERNAL'];
  if (!r.public) codes.push('AUTH_TOKEN_MISSING', 'AUTH_SCHEME_UNSUPPORTED', 'AUTH_TOKEN_INVALID');
  if (r.pathParams) codes.push('VALIDATION_PATH');
  if (r.headers) codes.push('VALIDATION_HEADER');
  if (r.body) {
    codes.push('BODY_MISSING', 'BODY_UNSUPPORTED_MEDIA_TYPE', 'BODY_UNSUPPORTED_ENCODING', 'BODY_TOO_LARGE');
    codes.push('VALIDATION_BODY');
    const types = r.body.mediaTypes ?? ['application/json'];
    if (types.includes('application/json')) codes.push('BODY_MALFORMED_JSON');
    if (types.includes('application/yaml')) codes.push('BODY_MALFORMED_YAML');
  }
  return [...new Set(codes)];
}

function operation(r: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(r.responses)) {
    responses[status] = {
      description: res.description,
      ...(res.headers && { headers: res.headers }),
      ...(res.schema && { content: { [res.mediaType ?? 'application/json']: { schema: res.schema } } }),
    };
  }
  // A status the operation documents itself (readyz's 503) keeps its own description and schema.
  for (const [status, res] of Object.entries(errorResponses(errorsOf(r)))) responses[status] ??= res;
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description && { description: r.description }),
    tags: [r.tag],
    ...(r.public && { security: [] }),
    parameters: [
      ...parameters('path', r.pathParams),
      ...parameters('query', r.query),
      ...parameters('header', r.headers),
    ],
    ...(r.body && {
      requestBody: {
        required: true,
        description: r.body.description,
        content: Object.fromEntries(
          (r.body.mediaTypes ?? ['application/json']).map((m) => [m, { schema: r.body!.schema }]),
        ),
      },
    }),
    responses,
  };
}

export function buildDocument(
  routes: readonly Route[],
  schemas: Record<string, JsonSchema>,
  version: string,
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const r of routes) {
    const item = (paths[r.path] ??= {});
    if (item[r.method]) throw new Error(`duplicate route ${r.method.toUpperCase()} ${r.path}`);
    item[r.method] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Earmark control plane',
      version,
      description:
        'Users and their context, tier policies (versioned), demand events, forecasts, the current plan and ' +
        'reservations, instances and their load, scaling recommendations, proxy status. All times are epoch ' +
        'milliseconds. Errors are `{ "error": { "code", "message", "details" } }` with a stable code.',
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The API token (apiToken setting).' },
      },
    },
    security: [{ bearer: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
  };
}
