import { ATTEMPT_TRANSITIONS, type AttemptEvent, type AttemptState } from "./attempt-states.js";
import { type CompiledMachine, compileMachine } from "./state-machine.js";
import { TASK_TRANSITIONS, type TaskEvent, type TaskState } from "./task-states.js";

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

/** Per task state code: 1 if a task in it awaits teardown (spec section 2), else 0. */
export const AWAITING_TEARDOWN: Uint8Array = Uint8Array.from(TASK_MACHINE.states, (s) =>
  TASK_TRANSITIONS[s].finish === undefined ? 0 : 1,
);

/**
 * Per task state code: 1 if a task in it holds a slot of the concurrency limit (spec section
 * 2), else 0. Those are the states a function is in flight in, the ones a phase ends from:
 * with an outgoing `succeed`, `settle` or `abandon`.
 */
export const HOLDS_SLOT: Uint8Array = Uint8Array.from(TASK_MACHINE.states, (s) => {
  const row = TASK_TRANSITIONS[s];
  return row.succeed !== undefined || row.settle !== undefined || row.abandon !== undefined ? 1 : 0;
});
