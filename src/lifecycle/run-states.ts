/**
 * The run's own state machine of `spec/lifecycle.md` section 4, as data.
 */
import { IllegalTransitionError } from "./illegal-transition-error.js";

/** A run's state. See `spec/lifecycle.md` section 4. */
export type RunState =
  | "idle"
  | "entering"
  | "entered"
  | "executing"
  | "executed"
  | "failing"
  | "failed"
  | "cleaningUp"
  | "settled";

/** What happens to a run. */
export type RunEvent =
  | "start"
  | "close"
  | "allEntered"
  | "fail"
  | "abort"
  | "execute"
  | "allExecuted"
  | "quiesce"
  | "cleanup"
  | "allTornDown";

type RunTable = { readonly [S in RunState]: { readonly [E in RunEvent]?: RunState } };

/** The run transition table: `RUN_TRANSITIONS[from][event]` is the next state. */
export const RUN_TRANSITIONS: RunTable = Object.freeze({
  idle: { start: "entering", close: "settled" },
  entering: { allEntered: "entered", fail: "failing", abort: "failing" },
  entered: { execute: "executing", abort: "failing", cleanup: "cleaningUp" },
  executing: { allExecuted: "executed", fail: "failing", abort: "failing" },
  executed: { abort: "failing", cleanup: "cleaningUp" },
  failing: { quiesce: "failed" },
  failed: { cleanup: "cleaningUp" },
  cleaningUp: { allTornDown: "settled" },
  settled: {},
});

/** The run state after `event` in state `from`; throws {@link IllegalTransitionError}. */
export function nextRunState(from: RunState, event: RunEvent): RunState {
  const to = RUN_TRANSITIONS[from][event];
  if (to === undefined) throw new IllegalTransitionError("run", from, event);
  return to;
}
