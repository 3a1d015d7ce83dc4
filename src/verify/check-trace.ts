import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { AsyncTaskProcessor } from "../processor.js";

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
 * Checks one run's events (as delivered to `onEvent`) against the spec. Returns every
 * violation found; an empty array for a good run.
 */
export function checkTrace<T>(
  events: readonly LifecycleEvent[],
  processor: AsyncTaskProcessor<T>,
): TraceViolation[] {
  void events;
  void processor;
  return []; // implemented by the verification work (issue 4)
}
