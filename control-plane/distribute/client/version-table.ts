/**
 * The version strings a proxy's records hold, by small id (record-store.ts keeps the id in each
 * record's slot): one string per publish seen, so a record costs 4 bytes for its version instead
 * of a pointer to a string, and most lookups are the last version again.
 */
export class VersionTable {
  private strings: string[] = [''];
  private ids = new Map<string, number>([['', 0]]);
  private last = '';
  private lastId = 0;

  /** How many versions the table holds (a store rebuilds it when this grows large). */
  get size(): number {
    return this.strings.length;
  }

  string(id: number): string {
    return this.strings[id];
  }

  /** The id of `v`, added if new. */
  id(v: string): number {
    if (v === this.last) return this.lastId;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.strings.push(v) - 1;
      this.ids.set(v, id);
    }
    this.last = v;
    this.lastId = id;
    return id;
  }

  /** Whether `v` would be a new entry. */
  isNew(v: string): boolean {
    return v !== this.last && !this.ids.has(v);
  }
}
