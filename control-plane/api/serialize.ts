/**
 * Serializes writes per key (one policy, one user, ...): a read-check-write sequence runs alone, so
 * two concurrent requests cannot both pass the same If-Match or lose each other's context update.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this call, so the map does not grow per user.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get pending(): number {
    return this.tails.size;
  }
}
