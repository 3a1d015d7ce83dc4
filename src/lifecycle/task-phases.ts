/**
 * Which phase a task state or event belongs to. The task table does not say it; the events
 * that begin a phase do, and the rest follows from the table: where they lead, and where a
 * task goes from there until the phase ends.
 */
import type { PhaseName } from "../functions/phase-name.js";
import { HOLDS_SLOT, RUNNING, TASK_MACHINE } from "./machines.js";
import { TASK_TRANSITIONS, type TaskEvent, type TaskState } from "./task-states.js";

/**
 * The task events that begin a phase, by starting it or queueing it for a slot, and the phase
 * each begins. The only task events that name a phase by themselves: the others concern the
 * phase of the state they leave ({@link IN_FLIGHT_PHASE}), or none (`enter`, `skip`, `finish`).
 */
export const PHASE_EVENTS: ReadonlyMap<TaskEvent, PhaseName> = new Map([
  ["startPre", "preExecute"],
  ["queuePre", "preExecute"],
  ["startExec", "execute"],
  ["queueExec", "execute"],
  ["startPost", "postExecute"],
  ["queuePost", "postExecute"],
]);

/** The state the rows of `event` lead to (each event of {@link PHASE_EVENTS} leads to one). */
function targetOf(event: TaskEvent): TaskState {
  for (const s of TASK_MACHINE.states) {
    const to = TASK_TRANSITIONS[s][event];
    if (to !== undefined) return to;
  }
  throw new Error(`no row of the task table has the event ${event}`);
}

const startsAtOnce = (event: TaskEvent) => HOLDS_SLOT[TASK_MACHINE.state[targetOf(event)]] === 1;

/**
 * The events of {@link PHASE_EVENTS} that start their phase (it takes a slot), whether the
 * task waited for one in the phase's queued state or not.
 */
export const STARTS_PHASE: ReadonlyMap<TaskEvent, PhaseName> = /* @__PURE__ */ new Map(
  [...PHASE_EVENTS].filter(([event]) => startsAtOnce(event)),
);

/** The events of {@link PHASE_EVENTS} that queue their phase for a slot. */
export const QUEUES_PHASE: ReadonlyMap<TaskEvent, PhaseName> = /* @__PURE__ */ new Map(
  [...PHASE_EVENTS].filter(([event]) => !startsAtOnce(event)),
);

function stateByPhase(events: ReadonlyMap<TaskEvent, PhaseName>): Record<PhaseName, TaskState> {
  return Object.freeze(
    Object.fromEntries([...events].map(([event, phase]) => [phase, targetOf(event)])),
  ) as Record<PhaseName, TaskState>;
}

/** The state a task runs each phase in: where its start event leads (`preRunning`, ...). */
export const PHASE_RUNNING_STATE: Readonly<Record<PhaseName, TaskState>> =
  stateByPhase(STARTS_PHASE);

/** The state a task waits for a slot for each phase in: where its queue event leads. */
export const PHASE_QUEUED_STATE: Readonly<Record<PhaseName, TaskState>> =
  /* @__PURE__ */ stateByPhase(QUEUES_PHASE);

/**
 * Per task state code: the phase whose function a task in that state has in flight, for the
 * states that hold a slot (a phase's running state and those it moves to until the phase ends,
 * such as `preCancelling`); undefined for the others.
 */
export const IN_FLIGHT_PHASE: readonly (PhaseName | undefined)[] = (() => {
  const phases = TASK_MACHINE.states.map((): PhaseName | undefined => undefined);
  const work = Object.entries(PHASE_RUNNING_STATE) as [PhaseName, TaskState][];
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    const [phase, state] = next;
    const code = TASK_MACHINE.state[state];
    if (HOLDS_SLOT[code] === 0 || phases[code] !== undefined) continue;
    phases[code] = phase;
    for (const to of Object.values(TASK_TRANSITIONS[state])) {
      if (to !== undefined) work.push([phase, to]);
    }
  }
  return phases;
})();

/**
 * Per task state code: the phase running in it, for the {@link RUNNING} states; undefined
 * for the others.
 */
export const RUNNING_PHASE: readonly (PhaseName | undefined)[] = IN_FLIGHT_PHASE.map(
  (phase, code) => (RUNNING[code] === 1 ? phase : undefined),
);
