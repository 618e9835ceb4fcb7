/**
 * What one stream asked for (xDS incremental variant): wildcard ("*", or no names on the first
 * request: every reservation) and/or explicit user ids. Unsubscribing "*" leaves wildcard mode;
 * unsubscribing a name the wildcard still covers changes nothing the client receives.
 */
export const WILDCARD = '*';

export class Subscription {
  wildcard = false;
  readonly names = new Set<string>();

  /** From the first request: no names at all means wildcard (the legacy form Envoy still sends). */
  static initial(subscribe: readonly string[]): Subscription {
    const s = new Subscription();
    if (subscribe.length === 0) s.wildcard = true;
    s.update(subscribe, []);
    return s;
  }

  /**
   * Applies a later request's changes; returns the explicit names subscribed (to send now, at their
   * current state) and whether the stream just entered wildcard mode (everything must be sent).
   */
  update(
    subscribe: readonly string[],
    unsubscribe: readonly string[],
  ): { added: string[]; becameWildcard: boolean } {
    const added: string[] = [];
    let becameWildcard = false;
    for (const n of subscribe) {
      if (n === WILDCARD) {
        becameWildcard = !this.wildcard;
        this.wildcard = true;
      } else {
        // Answered even when held or covered by wildcard: discovery.proto, "the server must
        // respond with all resources listed in resource_names_subscribe, even if it believes the
        // client has the most recent version of them" (a client that dropped one asks again).
        this.names.add(n);
        added.push(n);
      }
    }
    for (const n of unsubscribe) {
      if (n === WILDCARD) this.wildcard = false;
      else this.names.delete(n);
    }
    return { added: added.filter((n) => this.names.has(n)), becameWildcard };
  }

  covers(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  describe(): string {
    return this.wildcard
      ? `wildcard${this.names.size ? ` + ${this.names.size} names` : ''}`
      : `${this.names.size} names`;
  }
}
