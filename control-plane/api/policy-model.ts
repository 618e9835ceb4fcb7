/**
 * What the API needs to know about tier policies: how to validate a document and how to reach its
 * tiers. The allocator (control-plane/allocate) owns the policy schema; allocate-policy-model.ts
 * adapts its validator to this interface, and the app takes whichever model it is given.
 */
import type { PolicyDocument } from './port';
import type { JsonSchema } from './route';

export interface PolicyIssue {
  /** Where in the document: "tiers.gold.quantile". */
  path: string;
  message: string;
  /** Position in the YAML as submitted (YAML bodies only). */
  line?: number;
  column?: number;
}

export type PolicyCheck = { ok: true; policy: PolicyDocument } | { ok: false; issues: PolicyIssue[] };

export interface PolicyModel {
  /** Placed in the OpenAPI document as PolicyDocument / Tier (default: any object). */
  documentSchema?: JsonSchema;
  tierSchema?: JsonSchema;
  /**
   * The whole document's checks; `policy` is the document to store. `source` is the YAML text as
   * submitted, when it was, so problems can point at its lines.
   */
  validate(doc: unknown, source?: string): PolicyCheck;
  tiers(policy: PolicyDocument): Record<string, unknown>;
  /** A new document with the tier added or replaced (the input is not modified). */
  withTier(policy: PolicyDocument, name: string, tier: unknown): PolicyDocument;
  /** A new document without the tier. */
  withoutTier(policy: PolicyDocument, name: string): PolicyDocument;
}

/** Tier accessors for documents that keep tiers as a map under `tiers` (both our models do). */
export const tiersAsMap: Pick<PolicyModel, 'tiers' | 'withTier' | 'withoutTier'> = {
  tiers(policy) {
    const t = policy.tiers;
    return t && typeof t === 'object' && !Array.isArray(t) ? (t as Record<string, unknown>) : {};
  },
  withTier(policy, name, tier) {
    return { ...policy, tiers: { ...tiersAsMap.tiers(policy), [name]: tier } };
  },
  withoutTier(policy, name) {
    const rest = { ...tiersAsMap.tiers(policy) };
    delete rest[name];
    return { ...policy, tiers: rest };
  },
};
