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

const runStates = Object.keys(RUN_TRANSITIONS) as RunState[];

/**
 * Per run state: true if an abort (its signal, or its deadline) moves the run, i.e. its row
 * has `abort`: from its start until cleanup begins (INV-19). The run begins failing only in
 * these states, by an abort or by a phase's failure.
 */
export const RUN_ABORTABLE: Readonly<Record<RunState, boolean>> = Object.freeze(
  Object.fromEntries(runStates.map((s) => [s, RUN_TRANSITIONS[s].abort !== undefined])),
) as Record<RunState, boolean>;

/**
 * The events of a run aborted before it started (INV-17): `start`, `abort`, then the one way
 * the table leaves from there, each state on it having a single row, to the end.
 */
export const ABORTED_AT_START: readonly RunEvent[] = /* @__PURE__ */ (() => {
  const events: RunEvent[] = ["start", "abort"];
  let state: RunState = "idle";
  for (const event of events) state = RUN_TRANSITIONS[state][event]!;
  // bounded, so that a cycle of single rows could not hang the import
  for (let step = 0; step < runStates.length; step++) {
    const rows = Object.entries(RUN_TRANSITIONS[state]) as [RunEvent, RunState][];
    if (rows.length !== 1) break;
    events.push(rows[0]![0]);
    state = rows[0]![1];
  }
  return Object.freeze(events);
})();

/** The run state after `event` in state `from`; throws {@link IllegalTransitionError}. */
export function nextRunState(from: RunState, event: RunEvent): RunState {
  const to = RUN_TRANSITIONS[from][event];
  if (to === undefined) throw new IllegalTransitionError("run", from, event);
  return to;
}
