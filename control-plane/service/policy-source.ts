/**
 * The allocation policy in force: the newest version in the store (the API appends versions),
 * parsed once per version. At start, a store without any version is seeded from a policy file
 * (settings.policyFile, else DEFAULT_POLICY_FILE) as version 1, by the API's seedPolicy.
 */
import * as path from 'node:path';
import { parsePolicy } from '../allocate/load-policy';
import type { Policy } from '../allocate/policy';
import type { PolicyVersion } from '../store';

export const DEFAULT_POLICY_FILE = path.resolve(__dirname, '../allocate/policies/default.yaml');

export interface PolicyStorePort {
  readLatestPolicy(): Promise<PolicyVersion | undefined>;
}

export interface PolicyInForce {
  version: string;
  policy: Policy;
}

export class PolicySource {
  private cached: PolicyInForce | undefined;

  constructor(private readonly store: PolicyStorePort) {}

  /** The newest stored version, parsed (a version that does not parse throws, naming the version). */
  async current(): Promise<PolicyInForce> {
    const v = await this.store.readLatestPolicy();
    if (!v) throw new Error('no policy version in the store (seed one with --policy-file or the API)');
    if (this.cached?.version === v.version) return this.cached;
    this.cached = { version: v.version, policy: parsePolicy(v.yaml, `policy version ${v.version}`) };
    return this.cached;
  }

  /** The last version parsed, if any (for top-ups between cycles). */
  get last(): PolicyInForce | undefined {
    return this.cached;
  }
}
