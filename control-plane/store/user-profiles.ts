/**
 * User profiles (`user_profile`, state RP: tier, preferences and last known context; the latest
 * point per user wins) and the user-context time series (`user_context`, raw RP: device, network
 * and quality, location as observed over time, a forecasting feature).
 */
import type { UserContext, UserProfile } from '../domain/user';
import type { StoreContext } from './context';
import { anyOf, ms, num, qualified, rows, str, where } from './influx/influxql';
import { latestByTag } from './latest';
import type { Point } from './influx/line-protocol';
import { M, RP } from './schema';

export interface ContextObservation {
  user: string;
  atMs: number;
  context: UserContext;
}

function contextFields(c: UserContext | undefined): Record<string, string | number | undefined> {
  if (c?.networkQuality !== undefined && !(c.networkQuality >= 0 && c.networkQuality <= 1)) {
    throw new Error(`networkQuality must be in 0..1, got ${c.networkQuality}`);
  }
  return {
    device: c?.device,
    network: c?.network,
    network_quality: c?.networkQuality,
    location: c?.location,
  };
}

function contextOf(r: Record<string, unknown>): UserContext | undefined {
  const c: UserContext = {};
  if (typeof r.device === 'string') c.device = r.device;
  if (typeof r.network === 'string') c.network = r.network;
  if (typeof r.network_quality === 'number') c.networkQuality = r.network_quality;
  if (typeof r.location === 'string') c.location = r.location;
  return Object.keys(c).length ? c : undefined;
}

export function userProfilePoint(p: UserProfile): Point {
  if (!p.user) throw new Error('user profile without a user id');
  if (!p.tier) throw new Error(`user profile ${JSON.stringify(p.user)} without a tier`);
  return {
    measurement: M.userProfile,
    tags: { user: p.user },
    fields: {
      tier: p.tier,
      preferences: p.preferences ? JSON.stringify(p.preferences) : undefined,
      ...contextFields(p.context),
    },
    timeMs: p.updatedAtMs,
  };
}

export async function writeProfiles(ctx: StoreContext, profiles: readonly UserProfile[]): Promise<void> {
  await ctx.writer.write(RP.state.name, profiles.map(userProfilePoint), { now: true });
}

/** The latest profile of every user (or of the users named). */
export async function readProfiles(
  ctx: StoreContext,
  users?: readonly string[],
): Promise<Map<string, UserProfile>> {
  const out = new Map<string, UserProfile>();
  for (const r of await latestByTag(ctx, {
    rp: RP.state.name,
    measurement: M.userProfile,
    tag: 'user',
    only: users,
  })) {
    const user = str(r.user);
    const p: UserProfile = { user, tier: str(r.tier), updatedAtMs: num(r.time) };
    if (typeof r.preferences === 'string') p.preferences = JSON.parse(r.preferences);
    const c = contextOf(r);
    if (c) p.context = c;
    out.set(user, p);
  }
  return out;
}

export function contextPoint(o: ContextObservation): Point {
  if (!o.user) throw new Error('context observation without a user id');
  const fields = contextFields(o.context);
  if (Object.values(fields).every((v) => v === undefined)) {
    throw new Error(`context observation for ${JSON.stringify(o.user)} has no field set`);
  }
  return { measurement: M.userContext, tags: { user: o.user }, fields, timeMs: o.atMs };
}

export async function writeContexts(ctx: StoreContext, obs: readonly ContextObservation[]): Promise<void> {
  await ctx.writer.write(RP.raw.name, obs.map(contextPoint));
}

/** Context observations in [fromMs, toMs), oldest first (all users, or the ones named). */
export async function readContexts(
  ctx: StoreContext,
  q: { fromMs: number; toMs: number; users?: readonly string[] },
): Promise<ContextObservation[]> {
  const filter = q.users && q.users.length <= 200 ? anyOf('user', q.users) : '';
  const query =
    `SELECT * FROM ${qualified(ctx.db, RP.raw.name, M.userContext)}` +
    where(`time >= ${ms(q.fromMs)}`, `time < ${ms(q.toMs)}`, filter);
  const [res] = await ctx.http.query(query, ctx.db);
  const wanted = q.users ? new Set(q.users) : undefined;
  const out: ContextObservation[] = [];
  for (const s of res.series) {
    for (const r of rows(s)) {
      const user = str(r.user);
      if (wanted && !wanted.has(user)) continue;
      out.push({ user, atMs: num(r.time), context: contextOf(r) ?? {} });
    }
  }
  return out;
}
