/**
 * The CLI's inspection commands (`earmark plan`, `earmark reservation <user>`): option parsing
 * shared by both, and the plain-text renderings of what the API returns.
 */
import { UsageError } from '../cli/command';
import { loadSettings, SettingsError } from '../config';
import type { Reservation } from '../domain/reservation';
import { clientTarget, type ClientTarget } from './client';

export interface InspectOptions {
  target: ClientTarget;
  json: boolean;
  args: string[];
  /** The switches given (see parseInspectArgs). */
  on: Set<string>;
}

export const INSPECT_OPTIONS = [
  '  --url <url>       the control plane (default http://<apiHost>:<apiPort> from the settings)',
  '  --token <token>   API token (default: apiToken, else the file apiTokenFile that `earmark serve` wrote)',
  '  --json            print the API response as JSON',
  '  settings flags (--api-port, --api-token-file, --config, ...) are read as `earmark serve` reads them',
].join('\n');

/** `switches`: bare flags this command takes besides --json (e.g. --run), returned in `on`. */
export function parseInspectArgs(argv: string[], switches: readonly string[] = []): InspectOptions {
  let loaded;
  try {
    loaded = loadSettings({ argv, allowOtherFlags: true });
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
  const flags: { url?: string; token?: string } = {};
  let json = false;
  const on = new Set<string>();
  const args: string[] = [];
  const rest = loaded.rest;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') json = true;
    else if (switches.includes(a)) on.add(a);
    else if (a === '--url' || a === '--token') {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      flags[a === '--url' ? 'url' : 'token'] = v;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else args.push(a);
  }
  return { target: clientTarget(loaded.settings, flags), json, args, on };
}

const when = (ms: number) => new Date(ms).toISOString();
const pad = (rows: string[][]) => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

interface CapacityView {
  slots: number;
  cpuMillicores: number;
  memoryMb: number;
  bandwidthKbps: number;
}

const cap = (c: CapacityView) =>
  `${c.slots} slots, ${c.cpuMillicores} mCPU, ${c.memoryMb} MB, ${c.bandwidthKbps} kbps`;

export function renderPlan(
  plan: {
    version: string;
    issuedAtMs: number;
    users: number;
    instances: number;
    reserved: CapacityView;
    squeezedCount: number;
    scaling: Array<{
      instanceClass: string;
      delta: number;
      desired: number;
      neededAtMs: number;
      reason: string;
    }>;
  },
  perInstance: {
    items: Array<{ instanceId: string; users: number; reserved: CapacityView; capacity?: CapacityView }>;
  },
): string {
  const lines = [
    `plan ${plan.version}, issued ${when(plan.issuedAtMs)}`,
    `  ${plan.users} users hold reservations on ${plan.instances} instances: ${cap(plan.reserved)}`,
    `  ${plan.squeezedCount} users squeezed by capacity`,
  ];
  for (const s of plan.scaling) {
    lines.push(
      `  scaling: ${s.delta >= 0 ? '+' : ''}${s.delta} ${s.instanceClass} (to ${s.desired}) by ${when(s.neededAtMs)}: ${s.reason}`,
    );
  }
  if (perInstance.items.length) {
    const rows = [['instance', 'users', 'slots', 'cpu (m)', 'memory (MB)', 'bandwidth (kbps)']];
    const of = (r: number, c?: number) => (c === undefined ? String(r) : `${r}/${c}`);
    for (const i of perInstance.items) {
      rows.push([
        i.instanceId,
        String(i.users),
        of(i.reserved.slots, i.capacity?.slots),
        of(i.reserved.cpuMillicores, i.capacity?.cpuMillicores),
        of(i.reserved.memoryMb, i.capacity?.memoryMb),
        of(i.reserved.bandwidthKbps, i.capacity?.bandwidthKbps),
      ]);
    }
    lines.push('', pad(rows));
  }
  return lines.join('\n') + '\n';
}

export function renderReservation(r: Reservation): string {
  return (
    [
      `reservation of ${r.user} (tier ${r.tier}, priority ${r.priority})`,
      `  instance      ${r.instanceId} at ${r.instanceAddress}`,
      `  holds         ${cap(r)}`,
      `  rate          ${r.ratePerMinute}/min, burst ${r.burst || r.slots}`,
      `  when used up  ${r.onExhausted}${r.onExhausted === 'queue' ? ` (max wait ${r.maxQueueWaitMs} ms)` : ''}${r.fallback ? `, fallback ${r.fallback}` : ''}`,
      `  valid         ${when(r.notBeforeMs)} → ${when(r.expiresMs)}`,
    ].join('\n') + '\n'
  );
}
