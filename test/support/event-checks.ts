/**
 * Checks that need more than `checkTrace` can know from a trace alone: exact times under a
 * VirtualClock (checkTrace only checks lower bounds, so it also works on real-timer traces),
 * and the model's knowledge of which functions are synchronous (spec/task-functions.md INV-24,
 * INV-25, INV-26, INV-27, INV-31), and the run's deadline (spec/lifecycle.md INV-40).
 */
import type { AsyncTaskProcessor, LifecycleEvent } from "../../src/index.js";
import type { RunCtx } from "./executor.js";
import type { RunModel, Scenario } from "./model.js";

const SHORT = { preExecute: "pre", execute: "exec", postExecute: "post" } as const;

/** Problems found; empty when every time is exact and every synchronous function was. */
export function checkExactTiming(
  events: readonly LifecycleEvent[],
  processor: AsyncTaskProcessor<RunCtx>,
  scenario: Scenario,
  run: RunModel,
): string[] {
  const problems: string[] = [];
  void processor;
  const indexOf = new Map(scenario.shape.tasks.map((t, i) => [t.name, i]));
  const starts = new Map<string, number>();
  const decided = new Map<string, number>();
  const retries = new Map<string, { at: number; delayMs: number }>();
  events.forEach((e, i) => {
    if (e.type === "retry") {
      retries.set(`${e.task}.${e.phase}`, { at: e.at, delayMs: e.delayMs });
      return;
    }
    if (e.type !== "attempt") return;
    const key = `${e.task}.${e.phase}#${e.attempt}`;
    const task = indexOf.get(e.task)!;
    const shape = scenario.shape.tasks[task]![SHORT[e.phase]]!;
    const behaviour = run.behaviours[task]![SHORT[e.phase]]!;
    switch (e.event) {
      case "start": {
        starts.set(key, e.at);
        const retry = retries.get(`${e.task}.${e.phase}`);
        if (e.attempt > 1 && retry !== undefined && e.at !== retry.at + retry.delayMs) {
          problems.push(
            `INV-25: ${key} started at ${e.at}, its retry was at ${retry.at} + ${retry.delayMs}`,
          );
        }
        const sync =
          behaviour.kind === "throw" ||
          (behaviour.kind === "ok" && behaviour.ticks === 0) ||
          (behaviour.kind === "flaky" && behaviour.ticks === 0);
        if (sync) {
          const next = events[i + 1];
          const want =
            behaviour.kind === "ok" ||
            (behaviour.kind === "flaky" && e.attempt > behaviour.failures)
              ? "succeed"
              : "fail";
          if (
            !(
              next?.type === "attempt" &&
              next.event === want &&
              next.attempt === e.attempt &&
              next.task === e.task &&
              next.at === e.at
            )
          ) {
            problems.push(
              `INV-31: ${key} is synchronous but its start is not followed at once by ${want}`,
            );
          }
        }
        break;
      }
      case "timeout": {
        const start = starts.get(key)!;
        if (shape.timeoutMs === null || e.at !== start + shape.timeoutMs) {
          problems.push(
            `INV-26: ${key} timed out at ${e.at}, started at ${start} with timeoutMs ${shape.timeoutMs}`,
          );
        }
        decided.set(key, e.at);
        break;
      }
      case "fail":
      case "cancel":
        decided.set(key, e.at);
        break;
      case "abandon": {
        const wait = shape.abandonAfterMs !== undefined ? shape.abandonAfterMs : run.abandonAfterMs;
        const from = decided.get(key)!;
        if (typeof wait !== "number" || e.at !== from + wait) {
          problems.push(
            `INV-27: ${key} abandoned at ${e.at}, decided at ${from}, abandonAfterMs ${String(wait)}`,
          );
        }
        break;
      }
      default:
        break;
    }
  });
  problems.push(...checkDeadline(events, run));
  return problems;
}

/**
 * INV-40 on a VirtualClock: the deadline aborts the run exactly `timeoutMs` after its start, and
 * nothing of the run happens later while it is entering, entered, executing or executed. At the
 * deadline's very time only a deadline of 0 ms may be preceded: every other timer of the run
 * due then was set after the deadline's, so it fires later.
 */
function checkDeadline(events: readonly LifecycleEvent[], run: RunModel): string[] {
  const ms = run.timeoutMs;
  const start = events[0];
  if (ms === undefined || start === undefined) return [];
  const due = start.at + ms;
  for (const e of events) {
    if (e.type === "run" && e.event === "abort") {
      const byDeadline = e.abortedBy === "deadline" && e.reason?.name === "TimeoutError";
      if (byDeadline && e.at !== due) {
        return [
          `INV-40: the deadline of ${ms} ms aborted the run at ${e.at}, started at ${start.at}`,
        ];
      }
      return [];
    }
    // Once failing (or cleaning up) the deadline changes nothing.
    if (e.type === "run" && (e.event === "fail" || e.event === "cleanup")) return [];
    if (e.at > due || (e.at === due && ms > 0 && e !== start)) {
      return [
        `INV-40: seq ${e.seq} came at ${e.at}, at or after the deadline (${due}), before cleanup and with no abort`,
      ];
    }
  }
  return [];
}
