import type { LifecycleEvent } from "../events/lifecycle-event.js";
import { PHASES, phaseIndex } from "../functions/phase-name.js";
import { ATTEMPT_ACTIVE, attemptStateIn, TASK_MACHINE } from "../lifecycle/machines.js";
import { IN_FLIGHT_PHASE, PHASE_RUNNING_STATE } from "../lifecycle/task-phases.js";
import { TASK_TRANSITIONS, type TaskState } from "../lifecycle/task-states.js";

/** The three phases of a task, by index (`PHASES[PRE]` is `"preExecute"`, and so on). */
export { PHASES, phaseIndex };
export const PRE = 0;
export const EXEC = 1;
export const POST = 2;

/** The task state in which phase `p` runs its attempts. */
export function runningStateOf(p: number): TaskState {
  return PHASE_RUNNING_STATE[PHASES[p]!];
}

/** The task states whose function is in flight, each with its phase. */
const inFlight = TASK_MACHINE.states.flatMap((state, code) => {
  const phase = IN_FLIGHT_PHASE[code];
  return phase === undefined ? [] : [[state, phase] as const];
});

/** The phase (by index) of a task state whose function is in flight; absent for the others. */
export const STATE_PHASE: Readonly<Partial<Record<TaskState, number>>> = Object.fromEntries(
  inFlight.map(([state, phase]) => [state, phaseIndex(phase)]),
);

/** States in which a preExecute or execute function may still be running. */
export const PRE_EXEC_ACTIVE: ReadonlySet<string> = new Set(
  inFlight.filter(([, phase]) => phase !== "postExecute").map(([state]) => state),
);

/** Task events of the entry step: the four ways of being entered, the rows of `waiting`. */
export const ENTRY_EVENTS: ReadonlySet<string> = new Set(Object.keys(TASK_TRANSITIONS.waiting));

/** How a task was entered (`Queued`: its preExecute waits for a slot, and has not started yet). */
export const Entry = { None: 0, StartPre: 1, Enter: 2, Skip: 3, Queued: 4 } as const;

/** True if an attempt in this state has a function still running or settling. */
export function isActive(state: string): boolean {
  return attemptStateIn(ATTEMPT_ACTIVE, state);
}

/** True if `key` is an own key of `table` (a row of a state table). */
export function hasKey<K extends string>(table: object, key: unknown): key is K {
  return typeof key === "string" && Object.hasOwn(table, key);
}

/**
 * An event's time: its `at`, or `NaN` when that is not a number. A clock's `now()` that threw
 * gives `NaN`, which a trace saved as JSON holds as `null`; both are unknown times, which
 * timing checks skip.
 */
export function timeOf(e: { readonly at?: unknown }): number {
  return typeof e.at === "number" ? e.at : Number.NaN;
}

/**
 * Times are checked as lower bounds (a timer never fires before its delay by the run's own
 * clock), exact up to floating-point rounding: a VirtualClock fires exactly on time and
 * `realClock` waits out any early firing of Node's timers, so this holds for both. Upper bounds
 * are not checked (real timers are late under load); tests on a VirtualClock assert exact times.
 */
export function early(at: number, due: number): boolean {
  return at < due - 1e-9 * Math.max(1, Math.abs(due));
}

/**
 * True if event `j` is an attempt's `fail` from `cancelling` that its own `cancel` caused in
 * the same step: the clock threw while the cancellation cleared or set its timer (spec 5.2).
 * Such a failure belongs to the cancelling step, unlike one the function settles with later.
 */
export function isClockFailureOfCancel(events: readonly LifecycleEvent[], j: number): boolean {
  const e = events[j];
  const before = events[j - 1];
  return (
    e?.type === "attempt" &&
    e.event === "fail" &&
    e.from === "cancelling" &&
    before?.type === "attempt" &&
    before.event === "cancel" &&
    before.task === e.task &&
    before.phase === e.phase &&
    before.attempt === e.attempt
  );
}
