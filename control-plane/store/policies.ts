/**
 * Policy versions (`policy`, state RP): the YAML text exactly as submitted, its version label,
 * author and time. Every version is kept; the newest point is the active policy.
 */
import type { StoreContext } from './context';
import { literal, num, qualified, rows, str, where } from './influx/influxql';
import type { Point } from './influx/line-protocol';
import { M, RP } from './schema';

export interface PolicyVersion {
  version: string;
  /** The policy document as submitted (comments and layout preserved). */
  yaml: string;
  author: string;
  savedAtMs: number;
}

/** InfluxDB 1.6 stores long strings, but a policy this large is a mistake worth stopping. */
export const MAX_POLICY_BYTES = 1 << 20;

export function policyPoint(p: PolicyVersion): Point {
  if (!p.version) throw new Error('policy without a version');
  if (Buffer.byteLength(p.yaml) > MAX_POLICY_BYTES) {
    throw new Error(
      `policy ${p.version} is ${Buffer.byteLength(p.yaml)} bytes; the limit is ${MAX_POLICY_BYTES}`,
    );
  }
  return {
    measurement: M.policy,
    fields: { version: p.version, yaml: p.yaml, author: p.author },
    timeMs: p.savedAtMs,
  };
}

/** Resolves once the version is durable. Two versions saved in the same millisecond: the later wins. */
export async function writePolicy(ctx: StoreContext, p: PolicyVersion): Promise<void> {
  await ctx.writer.write(RP.state.name, [policyPoint(p)], { now: true });
}

function toPolicy(r: Record<string, unknown>): PolicyVersion {
  return { version: str(r.version), yaml: str(r.yaml), author: str(r.author), savedAtMs: num(r.time) };
}

/** Newest first. */
export async function readPolicyHistory(ctx: StoreContext, limit = 100): Promise<PolicyVersion[]> {
  const q = `SELECT * FROM ${qualified(ctx.db, RP.state.name, M.policy)} ORDER BY time DESC LIMIT ${Math.max(1, Math.trunc(limit))}`;
  const [res] = await ctx.http.query(q, ctx.db);
  return res.series.flatMap(rows).map(toPolicy);
}

export async function readLatestPolicy(ctx: StoreContext): Promise<PolicyVersion | undefined> {
  return (await readPolicyHistory(ctx, 1))[0];
}

/** A given version (the newest save of it, if saved twice). */
export async function readPolicyVersion(
  ctx: StoreContext,
  version: string,
): Promise<PolicyVersion | undefined> {
  const q =
    `SELECT * FROM ${qualified(ctx.db, RP.state.name, M.policy)}` +
    where(`"version" = ${literal(version)}`) +
    ' ORDER BY time DESC LIMIT 1';
  const [res] = await ctx.http.query(q, ctx.db);
  return res.series.flatMap(rows).map(toPolicy)[0];
}
