/**
 * Every check of one run: the library's `checkTrace` on the run's events, the runner's own
 * direct checks (the Python seed's three, and the rules around them), what the functions noticed
 * themselves, and the outcome oracle.
 */
import { checkTrace } from "../../src/index.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { checkCancellation } from "./cancellation.js";
import { checkCleanup } from "./cleanup.js";
import { checkLimits } from "./limits.js";
import { checkOrder } from "./order.js";
import { checkOutcome } from "./outcome.js";
import { checkOwnErrors } from "./own-errors.js";
import { Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

export type { Violation } from "./violation.js";

/** Every violation one run's checks found. */
export function checkRun(built: BuiltWorkflow, record: RunRecord): Violation[] {
  const out: Violation[] = [];
  for (const t of checkTrace(record.ctx.events, built.processor)) {
    out.push({ invariant: t.invariant, source: "checkTrace", message: t.message });
  }
  const tl = new Timeline(built, record);
  out.push(...checkOrder(built, tl));
  out.push(...checkCleanup(built, tl, record));
  out.push(...checkCancellation(built, tl, record));
  out.push(...checkLimits(built, tl, record));
  const seen = new Set<string>();
  for (const note of record.ctx.notes) {
    if (seen.has(note.message)) continue;
    seen.add(note.message);
    out.push({ invariant: note.invariant, source: "direct", message: note.message });
  }
  out.push(...checkOutcome(built, tl, record));
  out.push(...checkOwnErrors(built, tl, record));
  return out;
}
