/**
 * Per-user resource profiles, and how demand the proxies do not measure is derived from them.
 *
 * Usage reports carry requests, peak in-flight and bytes per user, but not CPU or memory; imported
 * traces carry only request counts. For those, a profile (e.g. from the Azure trace's duration and
 * memory files) gives per-request cost, and per step of length S ms with r requests:
 *   concurrency  = ceil(r × durationMs / S)             (Little's law; ≥ 1 whenever r > 0)
 *   cpu (mcores) = r × durationMs × cpuFraction / S × 1000
 *   memory (MB)  = concurrency × memoryMb               (held per executing request, only while active)
 *   bandwidth    = r × bytesPerRequest × 8 / S  kbps    (bits per ms = kbit per s)
 * Measured values always win over derived ones (see demand-windows.ts).
 */
import type { Point } from './influx/line-protocol';
import { num, str } from './influx/influxql';
import { latestByTag } from './latest';
import { M, RP } from './schema';
import type { StoreContext } from './context';

export interface ResourceProfile {
  user: string;
  /** Mean execution time of one request, ms. */
  durationMs: number;
  /** Memory held per concurrently executing request, MB. */
  memoryMb: number;
  /** Share of execution time on CPU, 0..1 (1 = CPU-bound, the conservative default). */
  cpuFraction: number;
  /** Bytes in + out per request, used only when usage carries no byte counts. */
  bytesPerRequest: number;
  /** Where the numbers came from, e.g. "azure-functions-2019". */
  source?: string;
  updatedAtMs: number;
}

/** For users without a stored profile. Azure's median function runs well under a second in ~150 MB. */
export const DEFAULT_RESOURCE_PROFILE: Readonly<Omit<ResourceProfile, 'user' | 'updatedAtMs'>> = {
  durationMs: 100,
  memoryMb: 128,
  cpuFraction: 1,
  bytesPerRequest: 0,
  source: 'default',
};

export type ProfileCost = Pick<
  ResourceProfile,
  'durationMs' | 'memoryMb' | 'cpuFraction' | 'bytesPerRequest'
>;

export function deriveConcurrency(requests: number, p: ProfileCost, stepMs: number): number {
  return requests > 0 ? Math.ceil((requests * p.durationMs) / stepMs) : 0;
}

export function deriveCpuMillicores(requests: number, p: ProfileCost, stepMs: number): number {
  return (requests * p.durationMs * p.cpuFraction * 1000) / stepMs;
}

export function deriveMemoryMb(concurrency: number, p: ProfileCost): number {
  return concurrency * p.memoryMb;
}

export function deriveBandwidthKbps(requests: number, p: ProfileCost, stepMs: number): number {
  return (requests * p.bytesPerRequest * 8) / stepMs;
}

export function checkResourceProfile(p: ResourceProfile): void {
  const bad = (what: string): never => {
    throw new Error(`resource profile for ${JSON.stringify(p.user)}: ${what}`);
  };
  if (!p.user) bad('user is empty');
  if (!(p.durationMs >= 0)) bad(`durationMs must be ≥ 0, got ${p.durationMs}`);
  if (!(p.memoryMb >= 0)) bad(`memoryMb must be ≥ 0, got ${p.memoryMb}`);
  if (!(p.cpuFraction >= 0 && p.cpuFraction <= 1)) bad(`cpuFraction must be in 0..1, got ${p.cpuFraction}`);
  if (!(p.bytesPerRequest >= 0)) bad(`bytesPerRequest must be ≥ 0, got ${p.bytesPerRequest}`);
}

export function resourceProfilePoint(p: ResourceProfile): Point {
  checkResourceProfile(p);
  return {
    measurement: M.resourceProfile,
    tags: { user: p.user },
    fields: {
      duration_ms: p.durationMs,
      memory_mb: p.memoryMb,
      cpu_fraction: p.cpuFraction,
      bytes_per_request: p.bytesPerRequest,
      source: p.source,
    },
    timeMs: p.updatedAtMs,
  };
}

export async function writeResourceProfiles(
  ctx: StoreContext,
  profiles: readonly ResourceProfile[],
): Promise<void> {
  await ctx.writer.write(RP.state.name, profiles.map(resourceProfilePoint), { now: true });
}

/** The latest profile per user (all users, or the ones named). */
export async function readResourceProfiles(
  ctx: StoreContext,
  users?: readonly string[],
): Promise<Map<string, ResourceProfile>> {
  const out = new Map<string, ResourceProfile>();
  for (const r of await latestByTag(ctx, {
    rp: RP.state.name,
    measurement: M.resourceProfile,
    tag: 'user',
    only: users,
  })) {
    const user = str(r.user);
    out.set(user, {
      user,
      durationMs: num(r.duration_ms),
      memoryMb: num(r.memory_mb),
      cpuFraction: num(r.cpu_fraction, DEFAULT_RESOURCE_PROFILE.cpuFraction),
      bytesPerRequest: num(r.bytes_per_request),
      source: typeof r.source === 'string' ? r.source : undefined,
      updatedAtMs: num(r.time),
    });
  }
  return out;
}
