/**
 * The newest stored plan, re-read at most every refreshMs (a plan of 10^5 reservations is a large
 * read). Concurrent callers share one read; a failed read keeps the last good plan.
 */
import type { Plan } from '../../domain/plan';

export class LatestPlan {
  private plan: Plan | undefined;
  private readAtMs = -Infinity;
  private pending: Promise<Plan | undefined> | undefined;

  constructor(
    private readonly read: () => Promise<Plan | undefined>,
    private readonly now: () => number,
    private readonly refreshMs: number,
  ) {}

  async get(): Promise<Plan | undefined> {
    // "No plan yet" is cheap to ask again (a header query), so only a found plan is cached.
    if (this.plan && this.now() - this.readAtMs < this.refreshMs) return this.plan;
    this.pending ??= this.read()
      .then((p) => {
        this.plan = p;
        this.readAtMs = this.now();
        return p;
      })
      .catch((err) => {
        if (this.plan) return this.plan;
        throw err;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }
}
