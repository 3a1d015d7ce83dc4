import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { AsyncTaskProcessor } from "../processor.js";
import { planOf } from "../processor.js";
import { TraceChecker } from "./trace-checker.js";

/** One broken rule found in a trace. */
export interface TraceViolation {
  /** The invariant id of `spec/lifecycle.md` or `spec/task-functions.md`, e.g. `"INV-10"`. */
  readonly invariant: string;
  /** What went wrong, naming tasks and phases. */
  readonly message: string;
  /** The events involved. */
  readonly events: readonly LifecycleEvent[];
}

/**
 * Checks one run's events (as delivered to `onEvent`) against the spec: every task, run and
 * attempt transition is a row of its table applied to the state it was in, and every invariant
 * marked (trace) in `spec/lifecycle.md` and `spec/task-functions.md` holds. Returns every
 * violation found; an empty array for a good run.
 *
 * Events are plain data: a trace saved with `JSON.stringify` and parsed again checks the same.
 * Never throws: an event that is not an event object, or cannot be read, is a violation, and so
 * are `events` that are not an array.
 * Pass the whole trace of one run, from its first event to its `settled` event (and any late
 * settlements after it), and the processor that ran it. Cost: linear in events + tasks + edges.
 *
 * @example
 * const events: LifecycleEvent[] = [];
 * await processor.processTasks(ctx, { onEvent: (e) => events.push(e) }).catch(() => {});
 * expect(checkTrace(events, processor)).toEqual([]);
 */
export function checkTrace<T>(
  events: readonly LifecycleEvent[],
  processor: AsyncTaskProcessor<T>,
): TraceViolation[] {
  return new TraceChecker(planOf(processor, "checkTrace")).check(events);
}
