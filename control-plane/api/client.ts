/**
 * A small client of the HTTP API for the CLI's inspection commands. Errors come back as
 * ApiClientError with the API's stable code, or a clear "cannot reach" message.
 */
import * as fs from 'node:fs';
import type { Settings } from '../config';

export class ApiClientError extends Error {
  constructor(
    message: string,
    /** The API's error code, or UNREACHABLE / BAD_RESPONSE. */
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface ClientTarget {
  url: string;
  token: string;
}

/** URL from --url or the settings' apiHost/apiPort; token from --token, apiToken, or apiTokenFile. */
export function clientTarget(settings: Settings, flags: { url?: string; token?: string }): ClientTarget {
  const host = settings.apiHost === '0.0.0.0' || settings.apiHost === '::' ? '127.0.0.1' : settings.apiHost;
  const url = (flags.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${settings.apiPort}`).replace(
    /\/+$/,
    '',
  );
  let token = flags.token ?? settings.apiToken;
  if (!token) {
    try {
      token = fs.readFileSync(settings.apiTokenFile, 'utf8').trim();
    } catch {
      throw new ApiClientError(
        `no API token: pass --token, set EARMARK_API_TOKEN, or run where ${settings.apiTokenFile} ` +
          '(written by `earmark serve`) can be read',
        'NO_TOKEN',
      );
    }
  }
  return { url, token };
}

export function apiGet<T>(target: ClientTarget, path: string): Promise<T> {
  return apiCall<T>(target, 'GET', path);
}

/** `timeoutMs`: a POST that waits for a cycle may take longer than a read (default 15 s). */
export async function apiCall<T>(
  target: ClientTarget,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs = 15_000,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(target.url + path, {
      method,
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new ApiClientError(
      `cannot reach the control plane at ${target.url} (${cause}); is \`earmark serve\` running there?`,
      'UNREACHABLE',
    );
  }
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiClientError(
      `${target.url}${path} answered ${res.status} with something that is not JSON`,
      'BAD_RESPONSE',
      res.status,
    );
  }
  if (!res.ok) {
    const e = body?.error;
    throw new ApiClientError(e?.message ?? `HTTP ${res.status}`, e?.code ?? 'BAD_RESPONSE', res.status);
  }
  return body as T;
}
