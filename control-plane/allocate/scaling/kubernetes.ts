/**
 * Sets a Deployment's replicas through its scale subresource, as `kubectl scale` does:
 * PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale with a merge patch and a bearer token.
 */
import * as fs from 'node:fs';
import type { KubernetesTarget } from '../policy';
import { httpRequest } from './http-request';
import type { DeliveryOutcome } from './webhook';

export function scalePath(namespace: string, deployment: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(deployment)}/scale`;
}

function readSecret(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`cannot read ${what} ${file}: ${code}`, { cause: err });
  }
}

export async function patchScale(
  k: KubernetesTarget,
  deployment: string,
  replicas: number,
): Promise<DeliveryOutcome> {
  const name = `deployment ${k.namespace}/${deployment}`;
  const fail = (error: string, status?: number): DeliveryOutcome => ({
    target: name,
    ok: false,
    attempts: 1,
    status,
    error: `${name}: ${error}`,
  });
  let token: string;
  let ca: string | undefined;
  try {
    token = k.token || readSecret(k.tokenFile, 'token file');
    ca = k.caFile ? readSecret(k.caFile, 'CA file') : undefined;
  } catch (err) {
    return fail((err as Error).message);
  }
  try {
    const res = await httpRequest({
      method: 'PATCH',
      url: k.apiServer + scalePath(k.namespace, deployment),
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/merge-patch+json',
        accept: 'application/json',
      },
      body: JSON.stringify({ spec: { replicas } }),
      timeoutMs: k.timeoutMs,
      ca,
      rejectUnauthorized: !k.insecureSkipTlsVerify,
    });
    if (res.status === 200) return { target: name, ok: true, attempts: 1, status: 200 };
    const hint: Record<number, string> = {
      401: 'token rejected',
      403: 'not allowed to patch deployments/scale',
      404: 'not found',
    };
    return fail(
      `HTTP ${res.status}${hint[res.status] ? ` (${hint[res.status]})` : ''}: ${res.body.slice(0, 200)}`,
      res.status,
    );
  } catch (err) {
    return fail(`API server ${k.apiServer} unreachable: ${(err as Error).message}`);
  }
}
