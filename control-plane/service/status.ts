/**
 * What the cycle reports about itself, for the console (`npm start`), the API's readiness checks and
 * the dashboard: the last cycle (stage by stage), the last good one, and counters. Plain data, so
 * callers can serialize it as is.
 */

/** The stages of one cycle, in order. A failure in one skips the rest of that cycle. */
export const STAGES = ['read', 'forecast', 'allocate', 'publish', 'record'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageTiming {
  stage: StageName;
  /** Processing time in real milliseconds (not simulated time). */
  ms: number;
}

export interface CycleReport {
  /** 1, 2, 3, ... per run (skipped ticks are not numbered). */
  cycle: number;
  /** The service clock's time when the cycle started (simulated time under a SimClock). */
  startedAtMs: number;
  /** End of the last demand step the cycle read; the forecast's first step starts here. */
  originMs: number;
  ok: boolean;
  /** The stage that failed, and why (absent when ok). */
  failedStage?: StageName;
  error?: string;
  /** Stages that ran, in order, with their times. */
  stages: StageTiming[];
  /** Real milliseconds for the whole cycle. */
  totalMs: number;
  /** Users forecast, users holding something, users squeezed by capacity. */
  users: number;
  reserved: number;
  squeezed: number;
  instancesUsed: number;
  policyVersion?: string;
  /** The plan this cycle published (absent when it failed before publishing). */
  planVersion?: string;
  published?: { updated: number; removed: number; unchanged: number };
  /** Forecast users per model (the chooser's pick), when the forecast ran. */
  models?: Record<string, number>;
}

export interface TopUpCounts {
  /** Shortfall flags seen in usage reports (one per user per report). */
  requested: number;
  /** Top-ups that added something (fully or partly), and those published to proxies. */
  granted: number;
  partial: number;
  refused: number;
  publishes: number;
  lastReason?: string;
}

export interface CycleStatus {
  state: 'idle' | 'running' | 'stopped';
  intervalMs: number;
  /** Cycles that ran (ok + failed), and ticks skipped because a cycle was still running. */
  runs: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** When the next tick is due (service clock). */
  nextAtMs?: number;
  /** The plan in force (the last one published, with top-ups). */
  planVersion?: string;
  last?: CycleReport;
  lastSuccess?: CycleReport;
  topUps: TopUpCounts;
}
