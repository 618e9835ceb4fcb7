/**
 * The policy model the API uses by default. PROVISIONAL: control-plane/allocate has not published
 * its policy schema and validator yet, so this checks only the shape every policy shares (a map of
 * named tiers, each an object). Replace `validate` with the allocator's once it lands.
 */
import type { PolicyCheck, PolicyIssue, PolicyModel } from './policy-model';
import { tiersAsMap } from './policy-model';
import type { PolicyDocument } from './port';

function validate(doc: unknown): PolicyCheck {
  const issues: PolicyIssue[] = [];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, issues: [{ path: '', message: 'must be a map' }] };
  }
  const tiers = (doc as PolicyDocument).tiers;
  if (!tiers || typeof tiers !== 'object' || Array.isArray(tiers)) {
    issues.push({ path: 'tiers', message: 'must be a map of tier names to tiers' });
  } else {
    if (Object.keys(tiers).length === 0) issues.push({ path: 'tiers', message: 'needs at least one tier' });
    for (const [name, t] of Object.entries(tiers)) {
      if (!t || typeof t !== 'object' || Array.isArray(t))
        issues.push({ path: `tiers.${name}`, message: 'must be a map' });
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, policy: doc as PolicyDocument };
}

export const allocatePolicyModel: PolicyModel = { ...tiersAsMap, validate };
