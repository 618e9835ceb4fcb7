// The sync root's own list of the reservations it wrote to shared data: shared data cannot be
// enumerated, yet a reconnect must send initial_resource_versions and expiry must find records
// whose TTL or validity ran out. Entries freed by removal or expiry are reused.

export class PlanIndex {
  private readonly byUser: Map<string, i32> = new Map<string, i32>();
  readonly users: Array<string> = [];
  readonly versions: Array<string> = [];
  /** When the xDS TTL runs out without a refresh (0 = no TTL). */
  readonly ttlDeadline: Array<u64> = [];
  /** The reservation's own expires_ms (0 = none). */
  readonly expires: Array<u64> = [];
  readonly inUse: Array<bool> = [];
  private readonly free: Array<i32> = [];
  count: i32 = 0;
  private cursor: i32 = 0;

  find(user: string): i32 {
    return this.byUser.has(user) ? this.byUser.get(user) : -1;
  }

  /** Inserts or updates; returns the entry and whether it is new. */
  upsert(user: string, version: string, ttlDeadline: u64, expires: u64): i32 {
    let i = this.find(user);
    if (i < 0) {
      if (this.free.length > 0) {
        i = this.free.pop();
        this.users[i] = user;
        this.versions[i] = version;
        this.ttlDeadline[i] = ttlDeadline;
        this.expires[i] = expires;
        this.inUse[i] = true;
      } else {
        i = this.users.length;
        this.users.push(user);
        this.versions.push(version);
        this.ttlDeadline.push(ttlDeadline);
        this.expires.push(expires);
        this.inUse.push(true);
      }
      this.byUser.set(user, i);
      this.count++;
      return i;
    }
    this.versions[i] = version;
    this.ttlDeadline[i] = ttlDeadline;
    this.expires[i] = expires;
    return i;
  }

  remove(user: string): bool {
    const i = this.find(user);
    if (i < 0) return false;
    this.byUser.delete(user);
    this.inUse[i] = false;
    this.users[i] = '';
    this.versions[i] = '';
    this.free.push(i);
    this.count--;
    return true;
  }

  /** The earliest of TTL deadline and expiry for entry i (0 = never). */
  deadline(i: i32): u64 {
    const t = this.ttlDeadline[i];
    const e = this.expires[i];
    if (t == 0) return e;
    if (e == 0) return t;
    return t < e ? t : e;
  }

  /**
   * Looks at up to `budget` entries from where the last sweep stopped and returns the users whose
   * deadline passed (the caller withdraws their records and removes them).
   */
  sweep(now: u64, budget: i32): Array<string> {
    const out: Array<string> = [];
    const n = this.users.length;
    if (n == 0) return out;
    const steps = budget < n ? budget : n;
    for (let k = 0; k < steps; k++) {
      if (this.cursor >= n) this.cursor = 0;
      const i = this.cursor++;
      if (!this.inUse[i]) continue;
      const d = this.deadline(i);
      if (d != 0 && now >= d) out.push(this.users[i]);
    }
    return out;
  }
}
