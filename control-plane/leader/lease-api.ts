/**
 * The Kubernetes API calls leader election needs, on one coordination.k8s.io/v1 Lease: read it,
 * create it, replace it. Optimistic concurrency is the API server's: a replace carries the
 * resourceVersion that was read, and a competitor's write in between makes it fail with 409.
 * Every field read is checked, so an API server (or a proxy in front of it) that answers garbage
 * gives a clear error, not a wrong leader.
 */
import { isObject, KubeApiError, KubeClient, type KubeClientOptions } from './kube-client';

/** The spec fields leader election reads and writes (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  /** '' = nobody (a released lease). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 with microseconds (Kubernetes MicroTime). */
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** A Lease as read: its record, and the metadata (with the resourceVersion) a replace sends back. */
export interface StoredLease {
  resourceVersion: string;
  record: LeaseRecord;
  /** As read: a replace keeps others' labels, annotations, owner references and finalizers. */
  metadata?: Record<string, unknown>;
}

export interface LeaseApiOptions extends KubeClientOptions {
  namespace: string;
  name: string;
}

/** Errors of the Lease calls (the client's; `conflict` is a lost race). */
export { KubeApiError as LeaseApiError };

/** Kubernetes MicroTime: 2026-11-29T01:02:03.456789Z. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The record and resourceVersion of a Lease object, or why the object is not one. */
export function parseLease(body: unknown): StoredLease | string {
  if (!isObject(body)) return 'the answer is not a JSON object';
  if (body.kind !== undefined && body.kind !== 'Lease')
    return `the answer is a ${String(body.kind)}, not a Lease`;
  const meta = body.metadata;
  if (!isObject(meta) || typeof meta.resourceVersion !== 'string' || meta.resourceVersion === '')
    return 'the Lease has no metadata.resourceVersion';
  const spec = body.spec === undefined ? {} : body.spec;
  if (!isObject(spec)) return 'the Lease spec is not an object';
  const str = (k: string): string | undefined => {
    const v = spec[k];
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : undefined;
  };
  const int = (k: string): number | undefined => {
    const v = spec[k];
    return v === undefined || v === null
      ? 0
      : Number.isSafeInteger(v) && (v as number) >= 0
        ? (v as number)
        : undefined;
  };
  const record = {
    holderIdentity: str('holderIdentity'),
    leaseDurationSeconds: int('leaseDurationSeconds'),
    acquireTime: str('acquireTime'),
    renewTime: str('renewTime'),
    leaseTransitions: int('leaseTransitions'),
  };
  for (const [k, v] of Object.entries(record))
    if (v === undefined) return `the Lease's spec.${k} has the wrong type (${JSON.stringify(spec[k])})`;
  return { resourceVersion: meta.resourceVersion, record: record as LeaseRecord, metadata: meta };
}

export class LeaseApi {
  private readonly client: KubeClient;
  private readonly path: string;

  constructor(private readonly o: LeaseApiOptions) {
    this.client = new KubeClient(o);
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/leases`;
  }

  /** "namespace/name", for log lines. */
  get lease(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }

  /**
   * The lease, or undefined when it does not exist yet (404 with reason NotFound; a 404 without a
   * Kubernetes Status, e.g. a wrong URL prefix, is an error).
   */
  async get(signal?: AbortSignal): Promise<StoredLease | undefined> {
    try {
      const path = `${this.path}/${encodeURIComponent(this.o.name)}`;
      return this.parsed(await this.client.call('GET', path, undefined, undefined, signal));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404 && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Creates the lease with this record; 409 (KubeApiError.conflict) when it exists already. */
  async create(record: LeaseRecord, signal?: AbortSignal): Promise<StoredLease> {
    return this.parsed(await this.client.call('POST', this.path, this.object(record), undefined, signal));
  }

  /** Replaces the lease read as `read` (its metadata kept); 409 when it changed since. */
  async replace(read: StoredLease, record: LeaseRecord, signal?: AbortSignal): Promise<StoredLease> {
    const path = `${this.path}/${encodeURIComponent(this.o.name)}`;
    return this.parsed(await this.client.call('PUT', path, this.object(record, read), undefined, signal));
  }

  private object(record: LeaseRecord, read?: StoredLease) {
    const meta = read?.metadata ?? {};
    const labels = typeof meta.labels === 'object' && meta.labels !== null ? meta.labels : {};
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...meta,
        name: this.o.name,
        namespace: this.o.namespace,
        labels: { ...labels, 'app.kubernetes.io/part-of': 'earmark' },
        ...(read ? { resourceVersion: read.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: record.holderIdentity, // "" once released, as client-go writes it
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: record.acquireTime,
        renewTime: record.renewTime,
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  private parsed(body: unknown): StoredLease {
    const lease = parseLease(body);
    if (typeof lease === 'string') throw new KubeApiError(`lease ${this.lease}: ${lease}`, 200);
    return lease;
  }
}
