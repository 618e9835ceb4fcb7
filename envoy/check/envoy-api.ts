/**
 * Envoy's own API, loaded with protobufjs from the protos that @grpc/grpc-js-xds ships
 * (deps/{envoy-api,googleapis,protoc-gen-validate,xds}). Every v3 file whose imports are all
 * present is loaded, so any type an Envoy config may name in `@type` can be resolved; files that
 * import protos the package does not ship (OpenCensus, OpenTelemetry, Prometheus, the v2 API) are
 * listed, so a type from them is reported as "not shipped" rather than "unknown".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

const DEPS = ['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'];

export interface EnvoyApi {
  root: protobuf.Root;
  /** Where the protos came from, for messages and the README. */
  depsDir: string;
  /** Every message type name that was loaded (for "did you mean" on @type). */
  typeNames: string[];
  /** Files left out because an import is missing, by the message names they declare. */
  unavailable: Map<string, string>;
  lookupMessage(fullName: string): protobuf.Type | undefined;
}

let cached: EnvoyApi | undefined;

export function loadEnvoyApi(): EnvoyApi {
  if (cached) return cached;
  const depsDir = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const roots = DEPS.map((d) => path.join(depsDir, d));
  const protobufDir = path.dirname(require.resolve('protobufjs/package.json'));
  const find = (target: string): string | undefined => {
    for (const r of roots) {
      const p = path.join(r, target);
      if (fs.existsSync(p)) return p;
    }
    return undefined;
  };

  const candidates: string[] = [];
  for (const top of ['envoy-api/envoy', 'xds/xds', 'xds/udpa', 'protoc-gen-validate/validate']) {
    listProtos(path.join(depsDir, top), candidates);
  }
  const importsOf = memo((file: string) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)"/gm)].map(
      (m) => m[1],
    ),
  );
  const complete = new Map<string, boolean>();
  const isComplete = (file: string, seen: Set<string>): boolean => {
    const known = complete.get(file);
    if (known !== undefined) return known;
    if (seen.has(file)) return true;
    seen.add(file);
    let ok = !/\/v2(alpha\d*)?\//.test(file) || file.includes('/udpa/');
    for (const imp of importsOf(file)) {
      if (!ok) break;
      if (imp.startsWith('google/protobuf/')) continue;
      const p = find(imp);
      ok = p !== undefined && isComplete(p, seen);
    }
    complete.set(file, ok);
    return ok;
  };
  const load = candidates.filter((f) => isComplete(f, new Set()));

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith('google/protobuf/')) {
      return protobuf.common.get(target) ? target : path.join(protobufDir, target);
    }
    return find(target) ?? target;
  };
  root.loadSync(load, { keepCase: true });
  root.resolveAll();

  const typeNames: string[] = [];
  collectTypes(root, typeNames);
  const unavailable = new Map<string, string>();
  for (const f of candidates) {
    if (complete.get(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1];
    for (const m of text.matchAll(/^message\s+(\w+)/gm)) {
      if (pkg) unavailable.set(`${pkg}.${m[1]}`, path.relative(depsDir, f));
    }
  }

  const lookupMessage = (fullName: string): protobuf.Type | undefined => {
    try {
      const t = root.lookup(fullName.startsWith('.') ? fullName : `.${fullName}`);
      return t instanceof protobuf.Type ? t : undefined;
    } catch {
      return undefined;
    }
  };
  cached = { root, depsDir, typeNames, unavailable, lookupMessage };
  return cached;
}

function listProtos(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listProtos(p, out);
    else if (e.name.endsWith('.proto')) out.push(p);
  }
}

function collectTypes(ns: protobuf.NamespaceBase, out: string[]): void {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.push(child.fullName.slice(1));
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) collectTypes(child, out);
  }
}

function memo<T>(fn: (k: string) => T): (k: string) => T {
  const m = new Map<string, T>();
  return (k) => {
    let v = m.get(k);
    if (v === undefined) {
      v = fn(k);
      m.set(k, v);
    }
    return v;
  };
}
