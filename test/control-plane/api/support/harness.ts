/** Starts the API on an ephemeral port over a MemoryState, and calls it with fetch. */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { createApi, type Api, type ApiOptions } from '../../../../control-plane/api/app';
import type { Logger } from '../../../../control-plane/api/logger';
import { startApiServer, type ApiServer } from '../../../../control-plane/api/server';
import { createRegistry } from '../../../../control-plane/telemetry';
import { MemoryState } from './memory-state';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface CallOptions {
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** null: send no Authorization header. Default: the harness token. */
  token?: string | null;
}

export interface Harness {
  url: string;
  token: string;
  state: MemoryState;
  registry: Registry;
  api: Api;
  logs: string[];
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export const quietLogger = (into: string[]): Logger => ({
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => into.push(`warn ${m}`),
  error: (m, f) => into.push(`error ${m} ${JSON.stringify(f ?? {})}`),
});

export async function startHarness(
  opts: Partial<ApiOptions> & { state?: MemoryState; nowMs?: number } = {},
): Promise<Harness> {
  const token = randomBytes(16).toString('hex');
  const state = opts.state ?? new MemoryState();
  const registry = createRegistry({ defaultMetrics: false });
  const logs: string[] = [];
  const api = createApi({
    state,
    tokens: [token],
    registry,
    logger: quietLogger(logs),
    validateResponses: true,
    ...(opts.nowMs !== undefined && { now: () => opts.nowMs! }),
    ...opts,
  });
  const server: ApiServer = await startApiServer(api.app);
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...o.headers };
    const auth = o.token === undefined ? token : o.token;
    if (auth !== null) headers.authorization ??= `Bearer ${auth}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return { url: server.url, token, state, registry, api, logs, call, close: () => server.close() };
}
