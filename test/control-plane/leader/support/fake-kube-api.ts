/**
 * A stand-in for the Kubernetes API server's Lease endpoints (coordination.k8s.io/v1), faithful
 * where leader election depends on it: resourceVersion on every object, 409 AlreadyExists on a
 * create of an existing Lease and 409 Conflict on a replace naming a stale resourceVersion, 404
 * NotFound, Status objects as error bodies, bearer-token auth, and every written Lease validated
 * against the Lease schema (kubernetes-models) with unknown spec fields refused, as the API
 * server's strict field validation does (422 Invalid).
 * Tests can also break it: fail the next calls, answer garbage, or write a Lease themselves.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown>; spec?: Record<string, unknown> };

export interface FakeCall {
  method: string;
  path: string;
  authorization?: string;
  body?: Obj;
}

const SPEC_FIELDS = new Set([
  'holderIdentity',
  'leaseDurationSeconds',
  'acquireTime',
  'renewTime',
  'leaseTransitions',
  'preferredHolder',
  'strategy',
]);
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;
const PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

export class FakeKubeApi {
  readonly calls: FakeCall[] = [];
  private readonly leases = new Map<string, Obj>();
  private version = 100;
  private server!: http.Server;
  url = '';
  /** Bearer token required on every call; undefined = none. */
  token: string | undefined;
  /** The next matching calls answer with this instead, or never ('hang'). */
  private failures: { status: number; body: string; hang?: boolean; match: (c: FakeCall) => boolean }[] = [];
  /** Every call answers this until cleared. */
  broken: { status: number; body: string } | undefined;
  private waiters: (() => void)[] = [];
  private readonly pods = new Map<string, Obj>();

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      // A call its client gave up on (closed before any answer): a hung call aborted, for instance.
      res.on('close', () => {
        if (!res.writableEnded) this.abortedCalls++;
      });
      if (req.method === 'PATCH') {
        this.openPatches++;
        this.maxConcurrentPatches = Math.max(this.maxConcurrentPatches, this.openPatches);
        res.on('close', () => this.openPatches--);
      }
      const delay = req.method === 'PATCH' ? this.patchDelayMs : 0;
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (delay > 0) setTimeout(() => this.handle(req, text, res), delay);
        else this.handle(req, text, res);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The next `n` calls (that `match`, default all) answer `status` with `body`. */
  failNext(
    n: number,
    status: number,
    body = '{"kind":"Status","reason":"InternalError","message":"injected"}',
    match: (c: FakeCall) => boolean = () => true,
  ): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, body, match });
  }

  /** The next `n` matching calls get no answer at all (the connection stays open). */
  hangNext(n: number, match: (c: FakeCall) => boolean = () => true): void {
    for (let i = 0; i < n; i++) this.failures.push({ status: 0, body: '', hang: true, match });
  }

  /** The lease's spec and resourceVersion as stored, or undefined. */
  lease(
    namespace: string,
    name: string,
  ): { resourceVersion: string; spec: Record<string, unknown> } | undefined {
    const o = this.leases.get(`${namespace}/${name}`);
    return o && { resourceVersion: String(o.metadata.resourceVersion), spec: { ...(o.spec ?? {}) } };
  }

  /** The stored Lease's metadata, or undefined. */
  leaseMetadata(namespace: string, name: string): Record<string, unknown> | undefined {
    return this.leases.get(`${namespace}/${name}`)?.metadata;
  }

  /** Writes a lease as another client would (e.g. a holder that then dies). */
  put(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): void {
    const o: Obj = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...metadata, name, namespace, resourceVersion: String(++this.version) },
      spec,
    };
    this.leases.set(`${namespace}/${name}`, o);
  }

  /** A pod whose labels the replicas may patch (the pods API answers 404 for any other). */
  addPod(namespace: string, name: string, labels: Record<string, string> = {}): void {
    this.pods.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels, resourceVersion: String(++this.version) },
    });
  }

  podLabels(namespace: string, name: string): Record<string, string> | undefined {
    return this.pods.get(`${namespace}/${name}`)?.metadata.labels as Record<string, string> | undefined;
  }

  podAnnotations(namespace: string, name: string): Record<string, string> | undefined {
    return this.pods.get(`${namespace}/${name}`)?.metadata.annotations as Record<string, string> | undefined;
  }

  /** Calls whose client closed the connection before an answer. */
  abortedCalls = 0;
  /** Pod patches are answered this late (to see whether a client sends them one at a time). */
  patchDelayMs = 0;
  private openPatches = 0;
  /** The most pod patches ever open at once. */
  maxConcurrentPatches = 0;

  /** Resolves once `n` more calls have been answered (counting from now). */
  afterCalls(n: number): Promise<void> {
    const target = this.calls.length + n;
    return new Promise((resolve) => {
      const check = () => (this.calls.length >= target ? resolve() : this.waiters.push(check));
      check();
    });
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.send(
      res,
      code,
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code }),
    );
  }

  private send(res: http.ServerResponse, code: number, body: string): void {
    res.writeHead(code, { 'content-type': 'application/json' }).end(body);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private handle(req: http.IncomingMessage, text: string, res: http.ServerResponse): void {
    const call: FakeCall = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
    };
    let body: Obj | undefined;
    try {
      body = text ? (JSON.parse(text) as Obj) : undefined;
    } catch {
      body = undefined;
    }
    call.body = body;
    this.calls.push(call);
    const k = this.failures.findIndex((f) => f.match(call));
    const injected = k >= 0 ? this.failures.splice(k, 1)[0] : this.broken;
    if (injected && 'hang' in injected && injected.hang) return;
    if (injected) return this.send(res, injected.status, injected.body);
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`)
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    const pod = POD_PATH.exec(call.path);
    if (pod) return this.patchPod(req, res, pod[1], pod[2], body);
    const m = PATH.exec(call.path);
    if (!m) return this.status(res, 404, 'NotFound', `no route ${call.path}`);
    const [, namespace, name] = m;
    const key = (n: string) => `${namespace}/${n}`;
    if (req.method === 'GET' && name) {
      const o = this.leases.get(key(name));
      return o
        ? this.send(res, 200, JSON.stringify(o))
        : this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
    }
    if ((req.method === 'POST' && !name) || (req.method === 'PUT' && name)) {
      if (!body) return this.status(res, 400, 'BadRequest', 'the body is not JSON');
      const invalid = this.invalid(body, namespace, name);
      if (invalid) return this.status(res, 422, 'Invalid', invalid);
      const n = String(body.metadata.name);
      const existing = this.leases.get(key(n));
      if (req.method === 'POST') {
        if (existing)
          return this.status(res, 409, 'AlreadyExists', `leases.coordination.k8s.io "${n}" already exists`);
      } else {
        if (!existing)
          return this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${n}" not found`);
        if (body.metadata.resourceVersion !== existing.metadata.resourceVersion)
          return this.status(
            res,
            409,
            'Conflict',
            `Operation cannot be fulfilled on leases.coordination.k8s.io "${n}": the object has been modified; please apply your changes to the latest version and try again`,
          );
      }
      const stored: Obj = {
        ...body,
        metadata: { ...body.metadata, resourceVersion: String(++this.version) },
      };
      this.leases.set(key(n), stored);
      return this.send(res, req.method === 'POST' ? 201 : 200, JSON.stringify(stored));
    }
    this.status(res, 405, 'MethodNotAllowed', `${req.method} ${call.path}`);
  }

  /** JSON merge patch (RFC 7386) of a pod's labels, the one pod change leader election makes. */
  private patchPod(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ns: string,
    name: string,
    body?: Obj,
  ): void {
    if (req.method !== 'PATCH') return this.status(res, 405, 'MethodNotAllowed', `${req.method} pods`);
    if (req.headers['content-type'] !== 'application/merge-patch+json')
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format`,
      );
    const pod = this.pods.get(`${ns}/${name}`);
    if (!pod) return this.status(res, 404, 'NotFound', `pods "${name}" not found`);
    if (!body || typeof body.metadata !== 'object')
      return this.status(res, 422, 'Invalid', 'no metadata in the patch');
    const keys = Object.keys(body);
    if (keys.length !== 1 || Object.keys(body.metadata).some((k) => k !== 'labels' && k !== 'annotations'))
      return this.status(res, 422, 'Invalid', `unexpected fields in the patch: ${JSON.stringify(body)}`);
    const labels = { ...(pod.metadata.labels as Record<string, string>) };
    for (const [k, v] of Object.entries(body.metadata.labels as Record<string, unknown>)) {
      if (v === null) delete labels[k];
      else if (
        typeof v !== 'string' ||
        !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]?$/.test(v) ||
        v.length > 63
      )
        return this.status(res, 422, 'Invalid', `metadata.labels: Invalid value: ${JSON.stringify(v)}`);
      else labels[k] = v;
    }
    const annotations = { ...((pod.metadata.annotations as Record<string, string>) ?? {}) };
    for (const [k, v] of Object.entries((body.metadata.annotations ?? {}) as Record<string, unknown>)) {
      if (v === null) delete annotations[k];
      else if (typeof v !== 'string')
        return this.status(res, 422, 'Invalid', `metadata.annotations: ${k} is not a string`);
      else annotations[k] = v;
    }
    pod.metadata = { ...pod.metadata, labels, annotations, resourceVersion: String(++this.version) };
    this.send(res, 200, JSON.stringify(pod));
  }

  /** Why the API server would refuse this Lease, or undefined. */
  private invalid(body: Obj, namespace: string, name: string | undefined): string | undefined {
    if (body.apiVersion !== 'coordination.k8s.io/v1' || body.kind !== 'Lease')
      return 'not a coordination.k8s.io/v1 Lease';
    if (!body.metadata || typeof body.metadata.name !== 'string') return 'metadata.name: Required value';
    if (name !== undefined && body.metadata.name !== name) return 'metadata.name: does not match the URL';
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace)
      return 'metadata.namespace: does not match the URL';
    try {
      new Lease(body as never).validate();
    } catch (err) {
      return (err as Error).message;
    }
    const spec = body.spec ?? {};
    for (const k of Object.keys(spec)) if (!SPEC_FIELDS.has(k)) return `spec.${k}: unknown field`;
    for (const k of ['acquireTime', 'renewTime'])
      if (spec[k] !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(String(spec[k])))
        return `spec.${k}: not a MicroTime (RFC 3339 with microseconds): ${String(spec[k])}`;
    return undefined;
  }
}
