import { ATTEMPT_TRANSITIONS, type AttemptEvent, type AttemptState } from "./attempt-states.js";
import { type CompiledMachine, compileMachine } from "./state-machine.js";
import { TASK_TRANSITIONS, type TaskEvent, type TaskState } from "./task-states.js";

/*
 * Sets of states the engine and the checks ask about, each derived from the rows of its table
 * here, once, and kept per state code (one array read on the hot path). Checks that read states
 * by name (a trace) look them up with `taskStateIn` / `attemptStateIn`.
 */

/** The task table in the engine's numeric form. */
export const TASK_MACHINE: CompiledMachine<TaskState, TaskEvent> = compileMachine(
  "task",
  TASK_TRANSITIONS,
);

/** The attempt table in the engine's numeric form. */
export const ATTEMPT_MACHINE: CompiledMachine<AttemptState, AttemptEvent> = compileMachine(
  "attempt",
  ATTEMPT_TRANSITIONS,
);

/** Task state codes. */
export const TS = TASK_MACHINE.state;
/** Task event codes. */
export const TE = TASK_MACHINE.event;
/** Attempt state codes. */
export const AS = ATTEMPT_MACHINE.state;
/** Attempt event codes. */
export const AE = ATTEMPT_MACHINE.event;

type TaskRow = (typeof TASK_TRANSITIONS)[TaskState];
type AttemptRow = (typeof ATTEMPT_TRANSITIONS)[AttemptState];

function taskFlags(holds: (row: TaskRow, state: TaskState) => boolean): Uint8Array {
  return Uint8Array.from(TASK_MACHINE.states, (s) => (holds(TASK_TRANSITIONS[s], s) ? 1 : 0));
}

function attemptFlags(holds: (row: AttemptRow) => boolean): Uint8Array {
  return Uint8Array.from(ATTEMPT_MACHINE.states, (s) => (holds(ATTEMPT_TRANSITIONS[s]) ? 1 : 0));
}

/** Per task state code: 1 if a task in it awaits teardown (spec section 2), else 0. */
export const AWAITING_TEARDOWN: Uint8Array = taskFlags((row) => row.finish !== undefined);

/**
 * Per task state code: 1 if a task in it holds a slot of the concurrency limit (spec section
 * 2), else 0. Those are the states a function is in flight in, the ones a phase ends from:
 * with an outgoing `succeed`, `settle` or `abandon`.
 */
export const HOLDS_SLOT: Uint8Array = taskFlags(
  (row) => row.succeed !== undefined || row.settle !== undefined || row.abandon !== undefined,
);

/**
 * Per task state code: 1 for a phase running and not decided yet (between its attempts too):
 * `preRunning`, `execRunning`, `postRunning`, the states with a `succeed` row.
 */
export const RUNNING: Uint8Array = taskFlags((row) => row.succeed !== undefined);

/**
 * Per task state code: 1 for a running phase that a failing run cancels (INV-4): a running
 * preExecute or execute, the states with a `cancel` row (a postExecute has none, INV-12).
 */
export const CANCELLABLE: Uint8Array = taskFlags((row) => row.cancel !== undefined);

/**
 * Per task state code: 1 for a phase decided (failed or cancelled) whose function has not
 * settled yet: the `*Failing` and `*Cancelling` states, the ones with a `settle` row.
 */
export const UNSETTLED: Uint8Array = taskFlags((row) => row.settle !== undefined);

/**
 * Per task state code: 1 for a phase cancelled whose function has not settled yet
 * (`preCancelling`, `execCancelling`): the states `cancel` rows lead to. A `fail` from one is a
 * failure after its cancellation (INV-32).
 */
export const CANCELLED_UNSETTLED: Uint8Array = (() => {
  const targets = new Set(TASK_MACHINE.states.map((s) => TASK_TRANSITIONS[s].cancel));
  return taskFlags((_row, s) => targets.has(s));
})();

const isTerminal = (row: TaskRow) => Object.keys(row).length === 0;

/**
 * Per task state code: 1 if a task in it is torn down (`done`, `postFailed`): the states with
 * no row that a task awaiting teardown can reach. `skipped`, the other end of the table, is
 * never torn down.
 */
export const TORN_DOWN: Uint8Array = /* @__PURE__ */ (() => {
  const reached = new Set<TaskState>();
  const work = TASK_MACHINE.states.filter((_, code) => AWAITING_TEARDOWN[code] === 1);
  for (let s = work.pop(); s !== undefined; s = work.pop()) {
    for (const to of Object.values(TASK_TRANSITIONS[s])) {
      if (to !== undefined && !reached.has(to)) {
        reached.add(to);
        work.push(to);
      }
    }
  }
  return taskFlags((row, s) => isTerminal(row) && reached.has(s));
})();

/**
 * Per task state code: 1 where a task may be once its run settled (INV-13): never entered,
 * in the table's first state (`waiting`, where every task starts), or at an end of the table
 * (a state with no row: `skipped`, `done`, `postFailed`).
 */
export const AT_REST: Uint8Array = /* @__PURE__ */ taskFlags(
  (row, s) => s === TASK_MACHINE.states[0] || isTerminal(row),
);

/**
 * Per attempt state code: 1 while the attempt's function is in flight and awaited (`running`,
 * `cancelling`, `settling`): the states it can still succeed, settle or be abandoned from. A
 * `delayed` attempt has not started it; an `abandoned` one no longer waits for it.
 */
export const ATTEMPT_ACTIVE: Uint8Array = attemptFlags(
  (row) => row.succeed !== undefined || row.settle !== undefined || row.abandon !== undefined,
);

/**
 * The attempt events after which its function is no longer waited for (`succeed`, `settle`,
 * `abandon`): those that lead from an {@link ATTEMPT_ACTIVE} state to one that is not.
 */
export const ATTEMPT_ENDS: ReadonlySet<AttemptEvent> = /* @__PURE__ */ new Set(
  ATTEMPT_MACHINE.states.flatMap((s) =>
    ATTEMPT_ACTIVE[AS[s]] === 0
      ? []
      : (Object.entries(ATTEMPT_TRANSITIONS[s]) as [AttemptEvent, AttemptState][])
          .filter(([, to]) => ATTEMPT_ACTIVE[AS[to]] === 0)
          .map(([event]) => event),
  ),
);

/**
 * True if `flags`, one of the per-code task state sets of this module, holds the task state
 * named `state`; false for a name the task table does not have (a trace may carry anything).
 */
export function taskStateIn(flags: Uint8Array, state: string): boolean {
  return Object.hasOwn(TS, state) && flags[TS[state as TaskState]] === 1;
}

/** {@link taskStateIn} for the attempt state sets ({@link ATTEMPT_ACTIVE}). */
export function attemptStateIn(flags: Uint8Array, state: string): boolean {
  return Object.hasOwn(AS, state) && flags[AS[state as AttemptState]] === 1;
}
