/**
 * A planned event that changes demand (a sale, a match, a release): forecasting scales the affected
 * users' demand by `multiplier` inside [startMs, endMs), and allocation reserves ahead of it.
 */
export interface DemandEvent {
  id: string;
  name: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
  /** Users affected; empty or absent (with no tiers) means everyone. */
  users?: string[];
  /** Tiers affected; a user matches when listed in users or in one of these tiers. */
  tiers?: string[];
  /** Expected demand relative to normal (2 = twice as many requests). */
  multiplier: number;
  description?: string;
  updatedAtMs: number;
}

/** Whether the event changes this user's demand at all (times aside). */
export function eventAffects(e: DemandEvent, user: string, tier: string): boolean {
  const noUsers = !e.users || e.users.length === 0;
  const noTiers = !e.tiers || e.tiers.length === 0;
  if (noUsers && noTiers) return true;
  return (!!e.users && e.users.includes(user)) || (!!e.tiers && e.tiers.includes(tier));
}
