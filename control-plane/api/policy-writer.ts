/**
 * The one way policy versions are written. Each change runs alone (KeyedMutex): read the current
 * version, check If-Match against it, build and validate the new document, append current + 1
 * (the port's compare-and-set). Concurrent writers with the same If-Match: exactly one wins, the
 * others get 412 and the version they must re-read.
 */
import { ApiError } from './errors';
import type { PolicyModel } from './policy-model';
import type { PolicyDocument, PolicyStore, PolicyVersion } from './port';
import type { KeyedMutex } from './serialize';

/** If-Match values: *, "7", W/"7", 7, or a comma-separated list. Validated by the route schema. */
export const IF_MATCH_PATTERN = '^\\s*(\\*|(W/)?"?[0-9]+"?(\\s*,\\s*(W/)?"?[0-9]+"?)*)\\s*$';

export const etagOf = (version: number) => `"${version}"`;

type Precondition = { any: true } | { any: false; versions: number[] } | undefined;

function parseIfMatch(header: string | undefined): Precondition {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return { any: true };
  return { any: false, versions: [...header.matchAll(/[0-9]+/g)].map((m) => Number(m[0])) };
}

function checkPrecondition(ifMatch: string | undefined, current: PolicyVersion | undefined): void {
  const pre = parseIfMatch(ifMatch);
  if (!pre) {
    if (current) {
      throw new ApiError(
        'POLICY_PRECONDITION_REQUIRED',
        undefined,
        { currentVersion: current.version },
        {
          ETag: etagOf(current.version),
        },
      );
    }
    return;
  }
  const matches = current && (pre.any || pre.versions.includes(current.version));
  if (!matches) {
    throw new ApiError(
      'POLICY_VERSION_CONFLICT',
      current
        ? `The current policy version is ${current.version}; re-read it and apply your change to it.`
        : 'No policy is stored yet; create it without If-Match.',
      { currentVersion: current?.version ?? null },
      current ? { ETag: etagOf(current.version) } : {},
    );
  }
}

export class PolicyWriter {
  constructor(
    private readonly store: PolicyStore,
    private readonly model: PolicyModel,
    private readonly mutex: KeyedMutex,
    private readonly now: () => number,
  ) {}

  /**
   * Applies `change` to the current document under If-Match, validates the result and stores it as
   * the next version. `change` may throw an ApiError (e.g. TIER_NOT_FOUND). `source`: the YAML text
   * of a whole document as submitted, kept with the version.
   */
  write(
    ifMatch: string | undefined,
    change: (current: PolicyVersion | undefined) => PolicyDocument,
    author: string,
    source?: string,
  ): Promise<PolicyVersion> {
    return this.mutex.run('policy', async () => {
      const current = await this.store.currentPolicy();
      checkPrecondition(ifMatch, current);
      const checked = this.model.validate(change(current), source);
      if (!checked.ok)
        throw new ApiError('POLICY_INVALID', describe(checked.issues), { issues: checked.issues });
      const next: PolicyVersion = {
        version: (current?.version ?? 0) + 1,
        policy: checked.policy,
        createdAtMs: this.now(),
        author,
        ...(source !== undefined && { source }),
      };
      if (!(await this.store.appendPolicyVersion(next))) {
        // Another writer (another process on the same store) got there first.
        throw new ApiError('POLICY_VERSION_CONFLICT', 'Another change was stored first; re-read the policy.');
      }
      return next;
    });
  }
}

function describe(issues: { path: string; message: string }[]): string {
  const first = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  return `The policy is not valid: ${first.join('; ')}${issues.length > 3 ? `; and ${issues.length - 3} more` : ''}.`;
}
