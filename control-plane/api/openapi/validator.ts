/**
 * Compiles each operation's parameters, request body and responses from the OpenAPI document with
 * ajv (JSON Schema 2020-12). Parameters are coerced from strings and get their defaults; bodies are
 * not coerced (a string where a number belongs is an error, not a guess).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from './document';
import type { JsonSchema, ParamSpec, Route } from '../route';

const DOC_ID = 'earmark-openapi.json';

export interface Violation {
  /** JSON pointer into the checked value: /context/networkQuality, /limit. */
  path: string;
  message: string;
}

export interface RouteValidators {
  path?: ValidateFunction;
  query?: ValidateFunction;
  headers?: ValidateFunction;
  body?: ValidateFunction;
  responses: Map<number, ValidateFunction>;
}

function newAjv(coerce: boolean, doc: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: coerce,
  });
  addFormats(ajv);
  // The document's non-schema keys hold the component schemas that refs point into.
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: DOC_ID, components: { schemas: doc.components.schemas } });
  return ajv;
}

/** Refs in the document are local (#/components/...); compiled schemas resolve them in DOC_ID. */
function anchored(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${DOC_ID}#/`));
}

function objectOf(specs: Record<string, ParamSpec>, closed: boolean): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(specs).map(([k, p]) => [k, anchored(p.schema)])),
    required: Object.entries(specs)
      .filter(([, p]) => p.required)
      .map(([k]) => k),
    additionalProperties: !closed,
  };
}

export class OpenApiValidator {
  private readonly params: Ajv2020;
  private readonly bodies: Ajv2020;
  private readonly compiled = new Map<string, RouteValidators>();

  private constructor(doc: OpenApiDocument) {
    this.params = newAjv(true, doc);
    this.bodies = newAjv(false, doc);
  }

  private static readonly byDocument = new Map<string, OpenApiValidator>();

  /** One validator per distinct document: apps built from the same routes share compiled code. */
  static for(doc: OpenApiDocument): OpenApiValidator {
    const key = JSON.stringify(doc);
    let v = OpenApiValidator.byDocument.get(key);
    if (!v) {
      if (OpenApiValidator.byDocument.size > 16) OpenApiValidator.byDocument.clear();
      OpenApiValidator.byDocument.set(key, (v = new OpenApiValidator(doc)));
    }
    return v;
  }

  /** Compiled on first use (ajv code generation is the slow part of building an app). */
  compile(r: Route): RouteValidators {
    const key = `${r.method} ${r.path}`;
    let v = this.compiled.get(key);
    if (!v) this.compiled.set(key, (v = this.build(r)));
    return v;
  }

  private build(r: Route): RouteValidators {
    const pathSpecs = Object.fromEntries(
      Object.entries(r.pathParams ?? {}).map(([k, p]) => [k, { ...p, required: true }]),
    );
    const responses = new Map<number, ValidateFunction>();
    for (const [status, res] of Object.entries(r.responses)) {
      if (res.schema && (res.mediaType ?? 'application/json') === 'application/json') {
        responses.set(Number(status), this.bodies.compile(anchored(res.schema)));
      }
    }
    return {
      path: r.pathParams ? this.params.compile(objectOf(pathSpecs, true)) : undefined,
      // Unknown query parameters are refused: a typo (?form=) must not silently mean "default".
      query: this.params.compile(objectOf(r.query ?? {}, true)),
      headers: r.headers ? this.params.compile(objectOf(r.headers, false)) : undefined,
      body: r.body ? this.bodies.compile(anchored(r.body.schema)) : undefined,
      responses,
    };
  }

  /** The shared Error schema, for checking error responses in tests. */
  compileError(): ValidateFunction {
    return this.bodies.compile({ $ref: `${DOC_ID}#/components/schemas/Error` });
  }
}

/** ajv's errors as stable, readable violations (one per problem, pointing at the offending field). */
export function violations(errors: ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((e) => {
    if (e.keyword === 'additionalProperties') {
      return { path: `${e.instancePath}/${String(e.params.additionalProperty)}`, message: 'is not allowed' };
    }
    if (e.keyword === 'required') {
      return { path: `${e.instancePath}/${String(e.params.missingProperty)}`, message: 'is required' };
    }
    const allowed = e.keyword === 'enum' ? `: ${(e.params.allowedValues as unknown[]).join(', ')}` : '';
    return { path: e.instancePath || '/', message: `${e.message ?? 'is invalid'}${allowed}` };
  });
}
