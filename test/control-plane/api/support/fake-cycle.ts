/**
 * A cycle runner for API tests: each trigger starts a cycle that ends when the test calls
 * `finish()`, so "a cycle is running" is a state the test controls, not a race.
 */
import type { CycleReportView, CycleRunner, CycleStatusView } from '../../../../control-plane/api/port';

export class FakeCycle implements CycleRunner {
  reports: CycleReportView[] = [];
  stopped = false;
  private pending: { report: CycleReportView; resolve: (r: CycleReportView) => void } | undefined;
  private runs = 0;
  private skipped = 0;

  constructor(private readonly nowMs: number) {}

  status(): CycleStatusView {
    const ok = this.reports.filter((r) => r.ok);
    return {
      state: this.stopped ? 'stopped' : this.pending ? 'running' : 'idle',
      intervalMs: 60_000,
      runs: this.runs,
      succeeded: ok.length,
      failed: this.reports.length - ok.length,
      skipped: this.skipped,
      nextAtMs: this.nowMs + 60_000,
      ...(ok.length > 0 && { planVersion: ok[ok.length - 1].planVersion }),
      ...(this.reports.length > 0 && { last: this.reports[this.reports.length - 1] }),
      ...(ok.length > 0 && { lastSuccess: ok[ok.length - 1] }),
      topUps: { requested: 0, granted: 0, partial: 0, refused: 0, publishes: 0 },
    };
  }

  recent(n: number): CycleReportView[] {
    return n > 0 ? this.reports.slice(-n).reverse() : [];
  }

  trigger(): Promise<CycleReportView> | undefined {
    if (this.pending) {
      this.skipped++;
      return undefined;
    }
    const cycle = ++this.runs;
    return new Promise((resolve) => {
      this.pending = { report: report(cycle, this.nowMs), resolve };
    });
  }

  /** Ends the running cycle, ok or failed in `failedStage`. */
  finish(failedStage?: 'read' | 'forecast' | 'allocate' | 'publish' | 'record'): CycleReportView {
    const p = this.pending;
    if (!p) throw new Error('no cycle is running');
    this.pending = undefined;
    const r = failedStage ? failed(p.report, failedStage) : p.report;
    this.reports.push(r);
    p.resolve(r);
    return r;
  }
}

const STAGES = ['read', 'forecast', 'allocate', 'publish', 'record'] as const;

export function report(cycle: number, nowMs: number): CycleReportView {
  return {
    cycle,
    startedAtMs: nowMs,
    originMs: nowMs - 12_000,
    ok: true,
    stages: STAGES.map((stage, i) => ({ stage, ms: 10 * (i + 1) + cycle })),
    totalMs: 150 + 5 * cycle,
    users: 3,
    reserved: 2,
    squeezed: 0,
    instancesUsed: 1,
    policyVersion: '1',
    planVersion: `${nowMs}.${cycle}`,
    published: { updated: 2, removed: 0, unchanged: 0 },
    models: { naive: 3 },
  };
}

function failed(r: CycleReportView, stage: (typeof STAGES)[number]): CycleReportView {
  const upTo = STAGES.indexOf(stage) + 1;
  const { planVersion: _p, published: _u, ...rest } = r;
  return {
    ...(STAGES.indexOf(stage) >= 3 ? r : rest),
    ok: false,
    failedStage: stage,
    error: `${stage} failed: InfluxDB is unreachable`,
    stages: r.stages.slice(0, upTo),
  };
}
