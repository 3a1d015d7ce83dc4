/**
 * Every check of one run: the library's `checkTrace` on the run's events, the runner's own
 * direct checks (the Python seed's three, and the rules around them), what the functions noticed
 * themselves, and the outcome oracle.
 */
import { checkTrace } from "../../src/index.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { checkCleanup } from "./cleanup.js";
import { checkOrder } from "./order.js";
import { checkOutcome } from "./outcome.js";
import { Timeline } from "./timeline.js";
import { earliestTimer, REAL_TIMER_SLACK_MS, TIMER_INVARIANTS } from "./timer-slack.js";
import type { Violation } from "./violation.js";

export type { Violation } from "./violation.js";

/** What one run's checks found: violations, and real-timer imprecision tolerated as warnings. */
export interface RunFindings {
  readonly violations: Violation[];
  readonly warnings: Violation[];
}

export function checkRun(built: BuiltWorkflow, record: RunRecord): Violation[] {
  return findings(built, record).violations;
}

export function findings(built: BuiltWorkflow, record: RunRecord): RunFindings {
  const out: Violation[] = [];
  const warnings: Violation[] = [];
  const traced = checkTrace(record.ctx.events, built.processor);
  let early = 0;
  if (built.spec.realTimers && traced.some((t) => TIMER_INVARIANTS.has(t.invariant))) {
    early = earliestTimer(built, record.spec, record.ctx.events);
  }
  const tolerated = early > 1 && early <= REAL_TIMER_SLACK_MS;
  for (const t of traced) {
    const v: Violation = { invariant: t.invariant, source: "checkTrace", message: t.message };
    if (tolerated && TIMER_INVARIANTS.has(t.invariant)) {
      warnings.push({
        ...v,
        message: `${v.message} (a real timer came ${early.toFixed(2)} ms early)`,
      });
    } else {
      out.push(v);
    }
  }
  const tl = new Timeline(built, record);
  out.push(...checkOrder(built, tl));
  out.push(...checkCleanup(built, tl, record));
  const seen = new Set<string>();
  for (const note of record.ctx.notes) {
    if (seen.has(note.message)) continue;
    seen.add(note.message);
    out.push({ invariant: note.invariant, source: "direct", message: note.message });
  }
  out.push(...checkOutcome(built, tl, record));
  return { violations: out, warnings };
}
