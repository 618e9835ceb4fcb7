/**
 * One HTTP(S) request with a timeout, a CA bundle and a body, on node:http(s): the webhook and the
 * Kubernetes API need no more, and fetch cannot take a per-request CA.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  ca?: string;
  rejectUnauthorized?: boolean;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** Resolves with any HTTP status; rejects on network errors and timeouts with a short reason. */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new Error(`bad URL "${req.url}"`));
      return;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const r = lib.request(
      url,
      { method: req.method, headers, ca: req.ca, rejectUnauthorized: req.rejectUnauthorized ?? true },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (e) => reject(e));
      },
    );
    r.setTimeout(req.timeoutMs, () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    // "connect ECONNREFUSED 127.0.0.1:9" -> "ECONNREFUSED 127.0.0.1:9": the code first, once.
    r.on('error', (e: NodeJS.ErrnoException) => {
      const m = e.code && e.message.includes(e.code) ? e.message.slice(e.message.indexOf(e.code)) : e.message;
      reject(new Error(e.code && !m.startsWith(e.code) ? `${e.code}: ${m}` : m, { cause: e }));
    });
    r.end(req.body);
  });
}
