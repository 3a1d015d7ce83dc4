/**
 * The run's limits, measured by the runner itself (spec `lifecycle.md` section 8):
 *
 * - INV-37: at no point were more functions running (called, not yet settled, children
 *   included) than the run's concurrency limit, counted from the function log: what the
 *   functions did, not what the trace says. A function the engine abandoned gives its slot
 *   back while it may still run, so it stops counting at its `abandon` event.
 * - INV-40: on a virtual clock, nothing happens after the deadline's time while the run is
 *   still entering, entered, executing or executed: the deadline's timer fires first and
 *   aborts it. (A
 *   real clock's timers may be late: not checked there.) The error's `cause` after a deadline
 *   is in `outcome.ts`.
 */
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { BEGIN, slotOfKey } from "../run-context.js";
import type { Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

/** The limit a run has: its own, else its workflow's (`Infinity`: none). */
export function limitOfRun(built: BuiltWorkflow, record: RunRecord): number {
  return record.spec.maxConcurrency ?? built.spec.maxConcurrency ?? Number.POSITIVE_INFINITY;
}

/** The most functions the log shows running at once (abandoned ones no longer counted). */
export function maxInFlight(record: RunRecord, tl: Timeline): { max: number; at: number } {
  const log = record.ctx.log;
  const running = new Map<number, number>(); // attempt key -> begin position
  let max = 0;
  let at = -1;
  for (let i = 0; i < log.length; i += 3) {
    const pos = log[i]!;
    const key = log[i + 1]!;
    if (log[i + 2] !== BEGIN) {
      running.delete(key);
      continue;
    }
    running.set(key, pos);
    let count = 0;
    for (const k of running.keys()) {
      const abandoned = tl.abandon.get(k);
      if (abandoned === undefined || abandoned >= pos) count++;
    }
    if (count > max) {
      max = count;
      at = key;
    }
  }
  return { max, at };
}

export function checkLimits(built: BuiltWorkflow, tl: Timeline, record: RunRecord): Violation[] {
  const out: Violation[] = [];
  const limit = limitOfRun(built, record);
  if (limit !== Number.POSITIVE_INFINITY) {
    const { max, at } = maxInFlight(record, tl);
    if (max > limit) {
      const slot = slotOfKey(at);
      out.push({
        invariant: "INV-37",
        source: "direct",
        message: `${max} functions were running at once when task "${built.names[Math.floor(slot / 3)]}" ${["preExecute", "execute", "postExecute"][slot % 3]} attempt ${at % 16} began; the run's maxConcurrency is ${limit}`,
      });
    }
  }
  const deadline = record.spec.timeoutMs;
  if (deadline !== undefined && !built.spec.realTimers) {
    const events = record.ctx.events;
    const start = events[0];
    const due = (start?.at ?? 0) + deadline;
    for (const e of events) {
      // Once failing (or cleaning up) the deadline changes nothing.
      if (
        e.type === "run" &&
        (e.event === "abort" || e.event === "fail" || e.event === "cleanup")
      ) {
        break;
      }
      if (e.at > due) {
        out.push({
          invariant: "INV-40",
          source: "direct",
          message: `event seq ${e.seq} came at ${e.at} ms, after the run's deadline (${due} ms), and the deadline had not aborted the run`,
        });
        break;
      }
    }
  }
  return out;
}
