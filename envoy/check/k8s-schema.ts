/**
 * Kubernetes and Istio objects checked against their published schemas: Istio's CRD schemas from
 * @kubernetes-models/istio, prometheus-operator's (PrometheusRule, PodMonitor, ...) from
 * @kubernetes-models/prometheus-operator, and the core API's OpenAPI schemas from kubernetes-models. Those
 * packages hand their schemas only to their own validator (through `register`), so we listen to
 * that registration and compile them with our own Ajv, adding what `kubectl apply` (strict field
 * validation) adds: an unknown field is an error, except under x-kubernetes-preserve-unknown-fields
 * (written as an object with no properties in these schemas, e.g. WasmPlugin.spec.pluginConfig).
 */
import * as path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { didYouMean, Finding } from './findings';
import { entry, formatPath, LNode, nodeAt, toPlain } from './located';

type Schema = Record<string, any>;

const schemas = new Map<string, Schema>();
let hooked = false;

/** Wraps the models' shared validator's `register` so every schema they add is also ours. */
function hookRegistration(): void {
  if (hooked) return;
  // From a module of each package (prometheus-operator's package.json is not exported).
  const dirs = [
    '@kubernetes-models/istio/package.json',
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    'kubernetes-models/package.json',
  ].map((p) => path.dirname(require.resolve(p)));
  for (const dir of dirs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the exact copy the models import
    const v = require(require.resolve('@kubernetes-models/validate', { paths: [dir] }));
    if (v.__earmarkHooked) continue;
    const original = v.register;
    // Older copies export `register` through a getter; its property is configurable.
    Object.defineProperty(v, 'register', {
      configurable: true,
      enumerable: true,
      writable: true,
      value: (id: string, schema: Schema) => {
        schemas.set(id, schema);
        return original(id, schema);
      },
    });
    v.__earmarkHooked = true;
  }
  hooked = true;
}

/** The model module for apiVersion/kind, e.g. apps/v1 Deployment or extensions.istio.io/v1alpha1 WasmPlugin. */
function modelFor(apiVersion: string, kind: string): { id: string } | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = group.endsWith('istio.io')
    ? [`@kubernetes-models/istio/${group}/${version}/${kind}`]
    : group === 'monitoring.coreos.com'
      ? [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`]
      : [`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`];
  for (const mod of candidates) {
    let m: Record<string, any>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- chosen by the manifest's apiVersion/kind
      m = require(mod);
    } catch {
      continue;
    }
    const Model = m[kind];
    if (typeof Model !== 'function') continue;
    const instance = new Model({});
    try {
      instance.validate(); // registers the schema and its references with the models' validator
    } catch {
      /* an empty object may well be invalid; we only wanted the registration */
    }
    const id = Object.getOwnPropertySymbols(Object.getPrototypeOf(instance))
      .map((s) => Object.getPrototypeOf(instance)[s])
      .find((x) => typeof x === 'string') as string | undefined;
    if (id) return { id };
  }
  return undefined;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function strict(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strict(s)]))
        : strict(v);
  }
  const props = schema.properties as Schema | undefined;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (props && Object.keys(props).length > 0 && schema.additionalProperties === undefined && !preserve) {
    out.additionalProperties = false;
  }
  return out;
}

function validatorFor(id: string): ValidateFunction {
  let fn = compiled.get(id);
  if (fn) return fn;
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, verbose: true });
    addFormats(ajv);
    for (const f of ['int32', 'int64', 'double', 'float', 'string', 'byte', 'quantity', 'int-or-string']) {
      if (!ajv.formats[f])
        ajv.addFormat(
          f,
          f === 'quantity' ? /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/ : true,
        );
    }
  }
  for (const [sid, s] of schemas) if (!ajv.getSchema(sid)) ajv.addSchema(strict(s), sid);
  fn = ajv.getSchema(id)!;
  compiled.set(id, fn);
  return fn;
}

function pointerToPath(p: string): (string | number)[] {
  if (!p) return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Drops the noise of `oneOf: [{$ref}, {type: null}]` (how these schemas say "nullable reference"). */
function meaningful(errors: ErrorObject[]): ErrorObject[] {
  const nullBranches = new Set<string>();
  const keep: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'oneOf' && Array.isArray(e.schema)) {
      const i = (e.schema as Schema[]).findIndex((x) => x.type === 'null');
      if (i >= 0) {
        nullBranches.add(`${e.schemaPath}/${i}/type`);
        continue;
      }
    }
    keep.push(e);
  }
  return keep.filter((e) => !nullBranches.has(e.schemaPath));
}

export function checkK8sObject(file: string, doc: LNode, docPath: (string | number)[] = []): Finding[] {
  hookRegistration();
  const str = (k: string) => {
    const v = entry(doc, k)?.value;
    return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
  };
  const apiVersion = str('apiVersion');
  const kind = str('kind');
  if (!apiVersion || !kind) {
    return [finding(file, doc, docPath, 'a Kubernetes object needs string "apiVersion" and "kind"')];
  }
  const model = modelFor(apiVersion, kind);
  if (!model) {
    return [
      finding(
        file,
        doc,
        [...docPath, 'kind'],
        `no schema for ${apiVersion} ${kind} (unknown group, version or kind)`,
      ),
    ];
  }
  const validate = validatorFor(model.id);
  if (validate(toPlain(doc))) return [];
  const out: Finding[] = [];
  const errors = meaningful(validate.errors ?? []);
  // A value that fits none of a oneOf's forms yields one error per form: say it once.
  const alternatives = new Set(
    errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath),
  );
  const said = new Set<string>();
  for (const e of errors) {
    const p = pointerToPath(e.instancePath);
    const where = `${kind} ${formatPath(p)}`;
    if (alternatives.has(e.instancePath)) {
      if (said.has(e.instancePath)) continue;
      said.add(e.instancePath);
      const forms = errors
        .filter((x) => x.instancePath === e.instancePath && x.keyword !== 'oneOf' && x.keyword !== 'anyOf')
        .map((x) => x.message)
        .join(', or ');
      out.push(
        finding(
          file,
          nodeAt(doc, p) ?? doc,
          [...docPath, ...p],
          `${JSON.stringify(e.data)} fits no allowed form of ${where}: it ${forms}`,
        ),
      );
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema?.properties as Schema) ?? {});
      const parent = nodeAt(doc, p);
      const at = entry(parent, key);
      out.push({
        file,
        pos: at?.keyPos ?? parent?.pos ?? doc.pos,
        path: [...docPath, ...p, key],
        rule: 'k8s-schema',
        severity: 'error',
        message: `unknown field "${key}" in ${where}${didYouMean(key, known)}`,
      });
      continue;
    }
    const message =
      e.keyword === 'enum'
        ? `${JSON.stringify(e.data)} is not allowed in ${where}; one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}${didYouMean(String(e.data), (e.params as { allowedValues: string[] }).allowedValues.map(String))}`
        : e.keyword === 'required'
          ? `missing required field "${(e.params as { missingProperty: string }).missingProperty}" in ${where}`
          : `${where} ${e.message}`;
    out.push(finding(file, nodeAt(doc, p) ?? doc, [...docPath, ...p], message));
  }
  return out;
}

function finding(file: string, n: LNode, p: (string | number)[], message: string): Finding {
  return { file, pos: n.pos, path: p, rule: 'k8s-schema', severity: 'error', message };
}
