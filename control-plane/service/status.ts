/**
 * What the cycle reports about itself, for the console (`npm start`), the API's readiness checks and
 * the dashboard: the last cycle (stage by stage), the last good one, and counters. Plain data, so
 * callers can serialize it as is. The fields are documented on the API's view of them (api/port.ts).
 */
import type { CycleReportView, CycleStatusView } from '../api/port';

/** The stages of one cycle, in order. A failure in one skips the rest of that cycle. */
export const STAGES = ['read', 'forecast', 'allocate', 'publish', 'record'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageTiming {
  stage: StageName;
  /** Processing time in real milliseconds (not simulated time). */
  ms: number;
}

/** One cycle's report: the API's view (api/port.ts, documented there), with typed stage names. */
export interface CycleReport extends CycleReportView {
  failedStage?: StageName;
  stages: StageTiming[];
}

export type TopUpCounts = CycleStatusView['topUps'];

export interface CycleStatus extends CycleStatusView {
  last?: CycleReport;
  lastSuccess?: CycleReport;
  topUps: TopUpCounts;
}
