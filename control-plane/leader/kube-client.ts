/**
 * The smallest Kubernetes API client leader election needs: JSON over node:http(s), the service
 * account's bearer token (read per call: projected tokens rotate), its CA, a timeout per call, and
 * API errors as LeaseApiError with the Status object's reason. No client library: three Lease calls
 * and one pod label patch.
 */
import * as http from 'node:http';
import * as https from 'node:https';

/** The API server answered with an error status, or with a body that is not what was asked for. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the API server could not be reached or answered in time. */
    readonly status: number,
    /** The Status object's reason (NotFound, AlreadyExists, Conflict, Forbidden…), when given. */
    readonly reason = '',
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
  /** Another writer got there first (create of an existing object, replace of a stale version). */
  get conflict(): boolean {
    return this.status === 409;
  }
}

export interface KubeClientOptions {
  /** e.g. https://10.96.0.1:443 (in cluster) or http://127.0.0.1:8001 (kubectl proxy, tests). */
  url: string;
  token?: () => string | undefined;
  /** CA bundle for https (the service account's ca.crt). */
  ca?: Buffer;
  timeoutMs?: number;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export class KubeClient {
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly o: KubeClientOptions) {
    this.base = new URL(o.url);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:')
      throw new Error(`Kubernetes API URL must be http(s): ${o.url}`);
    this.timeoutMs = o.timeoutMs ?? 5000;
  }

  /**
   * The parsed JSON answer of a 2xx; KubeApiError otherwise. `signal` aborts the call (the elector
   * aborts a renewal in flight when its deadline passes).
   */
  call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    signal?: AbortSignal,
  ): Promise<unknown> {
    // Under the URL's own path, if any (an API server behind a path prefix, kubectl proxy --api-prefix).
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const token = this.o.token?.();
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const what = `${method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? https.request : http.request;
      const req = send(url, { method, headers, ca: this.o.ca, timeout: this.timeoutMs, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new KubeApiError(`${what}: ${err.message}`, 0)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            if (json === undefined)
              reject(
                new KubeApiError(`${what}: the answer (${status}) is not JSON: ${text.slice(0, 80)}`, status),
              );
            else resolve(json);
            return;
          }
          // A Kubernetes Status object says why; anything else is quoted briefly.
          const reason = isObject(json) && typeof json.reason === 'string' ? json.reason : '';
          const message =
            isObject(json) && typeof json.message === 'string' ? json.message : text.slice(0, 120);
          reject(
            new KubeApiError(`${what}: ${status}${reason ? ` ${reason}` : ''}: ${message}`, status, reason),
          );
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new KubeApiError(`${what}: ${err.message}`, 0)));
      req.end(payload);
    });
  }
}
