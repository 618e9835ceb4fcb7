import type { ElectionSettings } from '../../../../control-plane/leader/in-cluster';

/** Election settings for tests: the service account mount at `dir`, overrides in `extra`. */
export const electionSettings = (dir: string, extra: Partial<ElectionSettings> = {}): ElectionSettings => ({
  leaseName: 'earmark-control-plane',
  leaseNamespace: '',
  leaseIdentity: '',
  leaseDurationMs: 15_000,
  kubernetesApiUrl: '',
  kubernetesServiceAccountDir: dir,
  ...extra,
});
