/**
 * Stored forecast steps → one series to lay over actual usage: for each target step, the forecast
 * issued most recently (the smallest horizon stored for it), its quantiles in ascending order.
 */
import type { ResourceKind } from '../../domain/demand';
import type { StoredForecast } from '../../store';
import type { ForecastSeries } from '../port';

export function forecastSeries(
  user: string,
  resource: ResourceKind,
  stored: readonly StoredForecast[],
  stepMs: number,
): ForecastSeries | undefined {
  const latest = new Map<number, StoredForecast>();
  for (const f of stored) {
    if (f.resource !== resource) continue;
    const cur = latest.get(f.targetMs);
    if (!cur || f.issuedAtMs > cur.issuedAtMs) latest.set(f.targetMs, f);
  }
  if (latest.size === 0) return undefined;
  const levels = new Set<number>();
  for (const f of latest.values()) for (const q of Object.keys(f.quantiles)) levels.add(Number(q));
  const quantiles = [...levels].sort((a, b) => a - b);
  const steps = [...latest.values()].sort((a, b) => a.targetMs - b.targetMs);
  return {
    user,
    resource,
    stepMs,
    quantiles,
    // A quantile missing from one step (stored NaN is left out) is carried as 0 rather than dropped,
    // so values[i] always belongs to quantiles[i].
    points: steps.map((f) => ({
      atMs: f.targetMs,
      issuedAtMs: f.issuedAtMs,
      values: quantiles.map((q) => f.quantiles[q] ?? 0),
    })),
    model: steps[steps.length - 1].model || undefined,
  };
}
