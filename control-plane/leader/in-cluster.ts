/**
 * Where the Lease lives and who this replica is, from the settings and, in a pod, from what
 * Kubernetes mounts and sets: the API server's address (KUBERNETES_SERVICE_HOST/PORT), the service
 * account's token, CA and namespace (kubernetesServiceAccountDir), the pod's name (POD_NAME from the
 * downward API; the hostname is the pod name too). Settings win over all of these.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Settings } from '../config';
import { electionPeriods } from './elector';
import { KubeClient } from './kube-client';
import { LeaseApi } from './lease-api';

export type ElectionSettings = Pick<
  Settings,
  | 'leaseName'
  | 'leaseNamespace'
  | 'leaseIdentity'
  | 'leaseDurationMs'
  | 'kubernetesApiUrl'
  | 'kubernetesServiceAccountDir'
>;

/** Leader election cannot be set up as configured: the message says what is missing. */
export class LeaderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaderConfigError';
  }
}

const readIfThere = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The token file, re-read at most once a minute: kubelet rotates projected tokens. */
function tokenReader(file: string): () => string | undefined {
  let token: string | undefined;
  let readAt = -Infinity;
  return () => {
    if (performance.now() - readAt > 60_000) {
      token = readIfThere(file) || undefined;
      readAt = performance.now();
    }
    return token;
  };
}

export interface InCluster {
  api: LeaseApi;
  identity: string;
  /** The API client (for the pod's role label). */
  client: KubeClient;
  namespace: string;
  /** This pod's name (POD_NAME), when known: only then is its role label kept. */
  pod: string | undefined;
}

export function leaseApiFor(s: ElectionSettings, env: NodeJS.ProcessEnv = process.env): InCluster {
  const sa = s.kubernetesServiceAccountDir;
  let url = s.kubernetesApiUrl;
  if (!url) {
    const host = env.KUBERNETES_SERVICE_HOST;
    if (!host)
      throw new LeaderConfigError(
        'leaderElection=kubernetes needs the Kubernetes API: run in a pod (KUBERNETES_SERVICE_HOST is not set) or set kubernetesApiUrl',
      );
    url = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT || '443'}`;
  }
  const namespace = s.leaseNamespace || env.POD_NAMESPACE || readIfThere(path.join(sa, 'namespace'));
  if (!namespace)
    throw new LeaderConfigError(
      `leaderElection=kubernetes needs the Lease's namespace: set leaseNamespace or POD_NAMESPACE (no ${path.join(sa, 'namespace')})`,
    );
  // Unique per process outside a pod: two replicas on one host must not both think they hold it.
  const identity = s.leaseIdentity || env.POD_NAME || `${os.hostname()}_${randomBytes(4).toString('hex')}`;
  let ca: Buffer | undefined;
  if (url.startsWith('https:')) {
    try {
      ca = fs.readFileSync(path.join(sa, 'ca.crt'));
    } catch {
      ca = undefined; // the system's CAs, e.g. an API server with a public certificate
    }
  }
  const connection = {
    url,
    token: tokenReader(path.join(sa, 'token')),
    ca,
    // Below the retry period: a hung call must not eat the leader's renew deadline.
    timeoutMs: Math.max(200, Math.round(electionPeriods(s.leaseDurationMs).retryPeriodMs * 0.8)),
  };
  const api = new LeaseApi({ ...connection, namespace, name: s.leaseName });
  return { api, identity, client: new KubeClient(connection), namespace, pod: env.POD_NAME || undefined };
}
