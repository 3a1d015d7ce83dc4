/**
 * Real timers are not exact: Node may run a `setTimeout` callback up to about 1 ms before `ms`
 * have passed by `performance.now()` (nodejs/node#26578: libuv truncates its loop time to whole
 * ms), and the engine's `realClock` measures with `performance.now()`. So in a real-timer run a
 * retry may start, a timeout fire or an abandonment happen slightly "early" by the trace's own
 * `at` times, which `checkTrace` (exact up to 1 ms) reports as INV-25, INV-26 or INV-27.
 *
 * This measures, from the trace, how early the earliest such timer was. When that explains the
 * report (more than 1 ms, at most {@link REAL_TIMER_SLACK_MS}), those reports are warnings;
 * timers earlier than that, or the same invariants in virtual-clock runs, stay violations.
 */
import type { LifecycleEvent } from "../../src/index.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunSpec } from "../model.js";

export const REAL_TIMER_SLACK_MS = 2.5;
export const TIMER_INVARIANTS: ReadonlySet<string> = new Set(["INV-25", "INV-26", "INV-27"]);

/** The largest amount (ms) by which a retry delay, timeout or abandonment came early; 0 if none. */
export function earliestTimer(
  built: BuiltWorkflow,
  spec: RunSpec,
  events: readonly LifecycleEvent[],
): number {
  const started = new Map<string, number>();
  const decided = new Map<string, number>();
  const retryDue = new Map<string, number>();
  let early = 0;
  const fnOf = (task: string, phase: string) =>
    built.spec.tasks[built.indexOf.get(task) ?? -1]?.phases[phase as "preExecute"];
  for (const e of events) {
    if (e.type === "retry") {
      retryDue.set(`${e.task}/${e.phase}/${e.attempt + 1}`, e.at + e.delayMs);
      continue;
    }
    if (e.type !== "attempt") continue;
    const key = `${e.task}/${e.phase}/${e.attempt}`;
    switch (e.event) {
      case "start": {
        started.set(key, e.at);
        const due = retryDue.get(key);
        if (due !== undefined) early = Math.max(early, due - e.at);
        break;
      }
      case "timeout": {
        decided.set(key, e.at);
        const t = fnOf(e.task, e.phase)?.timeoutMs;
        const s = started.get(key);
        if (t !== undefined && s !== undefined) early = Math.max(early, s + t - e.at);
        break;
      }
      case "fail":
      case "cancel":
        decided.set(key, e.at);
        break;
      case "abandon": {
        const own = fnOf(e.task, e.phase)?.abandonAfterMs;
        const wait = own === undefined ? spec.abandonAfterMs : own;
        const d = decided.get(key);
        if (typeof wait === "number" && d !== undefined) early = Math.max(early, d + wait - e.at);
        break;
      }
      default:
        break;
    }
  }
  return early;
}
