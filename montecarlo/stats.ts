/** The counters the summary reports, added up over runs. */
import type { BuiltWorkflow } from "./build.js";
import type { RunRecord } from "./execute-run.js";
import type { FaultKind } from "./model.js";
import { BEGIN } from "./run-context.js";

export const FAULT_KINDS: readonly (FaultKind | "externalAbort")[] = [
  "syncThrow",
  "asyncReject",
  "nonErrorThrow",
  "retryRecovers",
  "retryExhausts",
  "timeout",
  "hangUntilCancelled",
  "signalIgnoring",
  "childFailure",
  "externalAbort",
];

export class Stats {
  workflows = 0;
  levelWorkflows = 0;
  graphWorkflows = 0;
  realTimerWorkflows = 0;
  runs = 0;
  /** Task lifecycles: one task in one run. */
  lifecycles = 0;
  /** Phases started (a function's first attempt called). */
  phases = 0;
  /** Function attempts called (retries included). */
  attempts = 0;
  events = 0;
  succeeded = 0;
  failed = 0;
  realTimerRuns = 0;
  /** Runs whose external signal aborted before cleanup (an `abort` run event). */
  aborted = 0;
  cancellations = 0;
  timeouts = 0;
  retries = 0;
  abandonments = 0;
  lateSettles = 0;
  skipped = 0;
  violations = 0;
  /** Real-timer imprecision tolerated (checks/timer-slack.ts). */
  timerWarnings = 0;
  readonly faults: Record<FaultKind | "externalAbort", number> = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, 0]),
  ) as Record<FaultKind | "externalAbort", number>;

  /** Adds one workflow (its runs are added with {@link addRun}). */
  addWorkflow(built: BuiltWorkflow): void {
    this.workflows++;
    if (built.spec.mode === "levels") this.levelWorkflows++;
    else this.graphWorkflows++;
    if (built.spec.realTimers) this.realTimerWorkflows++;
  }

  /** Adds one run. */
  addRun(built: BuiltWorkflow, record: RunRecord): void {
    this.runs++;
    this.lifecycles += built.names.length;
    if (built.spec.realTimers) this.realTimerRuns++;
    if (record.outcome.kind === "resolved") this.succeeded++;
    else this.failed++;
    const log = record.ctx.log;
    for (let i = 0; i < log.length; i += 3) {
      if (log[i + 2] !== BEGIN) continue;
      this.attempts++;
      if (log[i + 1]! % 16 === 1) this.phases++;
    }
    const events = record.ctx.events;
    this.events += events.length;
    for (const e of events) {
      switch (e.type) {
        case "retry":
          this.retries++;
          break;
        case "attempt":
          if (e.event === "timeout") this.timeouts++;
          else if (e.event === "abandon") this.abandonments++;
          else if (e.event === "lateSettle") this.lateSettles++;
          break;
        case "task":
          if (e.event === "cancel") this.cancellations++;
          else if (e.event === "skip") this.skipped++;
          break;
        case "run":
          if (e.event === "abort") this.aborted++;
          break;
      }
    }
    for (const phases of Object.values(record.spec.scripts)) {
      for (const script of Object.values(phases)) {
        if (script !== undefined && script.label !== "benign") this.faults[script.label]++;
      }
    }
    if (record.spec.abort !== undefined) this.faults.externalAbort++;
  }
}
