/**
 * Where Earmark differs most from the oracle, user by user: the users it holds the most memory for
 * beyond what perfect foresight would, and those with the most requests rejected or late. The
 * place to start when a figure is off (forecast quality for a kind of user, lead time, queueing).
 */
import type { BaselineRun } from './baselines';
import type { OutcomeLog } from './outcomes';
import type { ReplayTrace } from './trace';

export function userTables(
  trace: ReplayTrace,
  earmarkLog: OutcomeLog,
  earmarkGbh: readonly number[],
  baselines: readonly BaselineRun[],
  top = 10,
): string[] {
  const by = (n: string) => baselines.find((b) => b.name === n);
  const oracle = by('oracle')?.heldGbHoursByUser ?? [];
  const ka = by('keep-alive');
  const head =
    '| user | ms/request | MB | requests | earmark GB-h | oracle GB-h | keep-alive GB-h | earmark rejected or late | keep-alive rejected or late |';
  const sep = '|---|---|---|---|---|---|---|---|---|';
  const row = (u: number) => {
    const t = trace.users[u];
    return `| ${t.id} | ${t.durationMs} | ${t.memoryMb.toFixed(0)} | ${earmarkLog.perUser.requests[u]} | ${earmarkGbh[u].toFixed(3)} | ${(oracle[u] ?? 0).toFixed(3)} | ${(ka?.heldGbHoursByUser[u] ?? 0).toFixed(3)} | ${earmarkLog.perUser.bad[u]} | ${ka?.log.perUser.bad[u] ?? 0} |`;
  };
  const users = trace.users.map((_, u) => u);
  const excess = [...users].sort(
    (a, b) => earmarkGbh[b] - (oracle[b] ?? 0) - (earmarkGbh[a] - (oracle[a] ?? 0)) || a - b,
  );
  const bad = [...users]
    .sort((a, b) => earmarkLog.perUser.bad[b] - earmarkLog.perUser.bad[a] || a - b)
    .filter((u) => earmarkLog.perUser.bad[u] > 0);
  return [
    `Users Earmark holds the most memory for beyond the oracle (top ${top}):`,
    '',
    head,
    sep,
    ...excess.slice(0, top).map(row),
    '',
    `Users with the most requests rejected or late under Earmark (top ${top}):`,
    '',
    ...(bad.length === 0 ? ['(none)'] : [head, sep, ...bad.slice(0, top).map(row)]),
    '',
  ];
}
