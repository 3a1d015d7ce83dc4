/** The counters the summary reports, added up over runs. */
import type { BuiltWorkflow } from "./build.js";
import type { RunRecord } from "./execute-run.js";
import { ALL_FAULT_KINDS, CLOCK_KIND, isHostileReason } from "./generator.js";
import type { AnyFaultKind } from "./model.js";
import { BEGIN } from "./run-context.js";

export const FAULT_KINDS: readonly AnyFaultKind[] = ALL_FAULT_KINDS;

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
  /** Failed phases reported, and those among them that failed after their cancellation. */
  failures = 0;
  afterCancel = 0;
  /** Own rejections of functions, each checked to be reported or excused (own-errors.ts). */
  ownRejections = 0;
  /** Quirky clocks: `clearTimeout` calls that could not clear; callbacks inside `setTimeout`. */
  staleTimers = 0;
  syncTimers = 0;
  /** Errors thrown by throwing clocks. */
  clockFaults = 0;
  violations = 0;
  /** Runs under a concurrency limit; those that queued a phase for a slot; phases queued. */
  limitedRuns = 0;
  limitReached = 0;
  queued = 0;
  /** Runs with a deadline; those it aborted. */
  deadlineRuns = 0;
  deadlineAborts = 0;
  readonly faults: Record<AnyFaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, 0]),
  ) as Record<AnyFaultKind, number>;

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
    const start = events[0];
    const limited = start?.type === "run" && start.maxConcurrency !== undefined;
    if (limited) this.limitedRuns++;
    if (record.spec.timeoutMs !== undefined) this.deadlineRuns++;
    let queued = 0;
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
          else if (e.event.startsWith("queue")) queued++;
          break;
        case "run":
          if (e.event === "abort") this.aborted++;
          if (e.event === "abort" && e.abortedBy === "deadline") this.deadlineAborts++;
          if (e.to === "settled" && e.failures !== undefined) {
            this.failures += e.failures.length;
            for (const f of e.failures) if (f.afterCancel) this.afterCancel++;
          }
          break;
      }
    }
    this.queued += queued;
    if (queued > 0) this.limitReached++;
    if (limited) this.faults.concurrencyLimit++;
    if (record.spec.timeoutMs !== undefined) this.faults.runDeadline++;
    for (const phases of Object.values(record.spec.scripts)) {
      for (const script of Object.values(phases)) {
        if (script !== undefined && script.label !== "benign") this.faults[script.label]++;
      }
    }
    const abort = record.spec.abort;
    if (abort !== undefined) {
      this.faults[isHostileReason(abort.reason) ? "hostileAbortReason" : "externalAbort"]++;
    }
    if (record.spec.clock !== undefined) this.faults[CLOCK_KIND[record.spec.clock]]++;
    this.ownRejections += record.ctx.own.length;
    this.staleTimers += record.quirk?.uncleared ?? 0;
    this.syncTimers += record.quirk?.synchronous ?? 0;
    this.clockFaults += record.quirk?.thrown.length ?? 0;
  }
}
