/** Nearest-rank quantile of ascending values (0 for none): the e2e scoring's p50/p99 and the baselines' sizing. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[k];
}
