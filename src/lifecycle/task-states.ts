/**
 * The per-task state machine of `spec/lifecycle.md` section 3, as data.
 *
 * The engine compiles it to numeric form (`src/lifecycle/machines.ts`): every task state
 * change goes through `TASK_MACHINE.next`, which refuses a pair the table does not list.
 * `test/spec/transition-table.test.ts` proves this table equals the one in the spec.
 */

/** A task's state within one run. See `spec/lifecycle.md` section 2. */
export type TaskState =
  | "waiting"
  | "preQueued"
  | "preRunning"
  | "preCancelling"
  | "preFailing"
  | "ready"
  | "skipped"
  | "preFailed"
  | "preCancelled"
  | "execQueued"
  | "execRunning"
  | "execCancelling"
  | "execFailing"
  | "executed"
  | "execFailed"
  | "execCancelled"
  | "postQueued"
  | "postRunning"
  | "postFailing"
  | "postFailed"
  | "done";

/** What happens to a task. See `spec/lifecycle.md` section 3. */
export type TaskEvent =
  | "startPre"
  | "queuePre"
  | "enter"
  | "skip"
  | "succeed"
  | "fail"
  | "cancel"
  | "settle"
  | "abandon"
  | "startExec"
  | "queueExec"
  | "startPost"
  | "queuePost"
  | "finish";

type TaskTable = { readonly [S in TaskState]: { readonly [E in TaskEvent]?: TaskState } };

const awaitingTeardown = {
  startPost: "postRunning",
  queuePost: "postQueued",
  finish: "done",
} as const;

/** The task transition table: `TASK_TRANSITIONS[from][event]` is the next state. */
export const TASK_TRANSITIONS: TaskTable = Object.freeze({
  waiting: { startPre: "preRunning", queuePre: "preQueued", enter: "ready", skip: "skipped" },
  preQueued: { startPre: "preRunning", skip: "skipped" },
  preRunning: { succeed: "ready", fail: "preFailing", cancel: "preCancelling" },
  preFailing: { settle: "preFailed", abandon: "preFailed" },
  preCancelling: { fail: "preFailing", settle: "preCancelled", abandon: "preCancelled" },
  ready: { startExec: "execRunning", queueExec: "execQueued", ...awaitingTeardown },
  skipped: {},
  preFailed: awaitingTeardown,
  preCancelled: awaitingTeardown,
  execQueued: { startExec: "execRunning", ...awaitingTeardown },
  execRunning: { succeed: "executed", fail: "execFailing", cancel: "execCancelling" },
  execFailing: { settle: "execFailed", abandon: "execFailed" },
  execCancelling: { fail: "execFailing", settle: "execCancelled", abandon: "execCancelled" },
  executed: awaitingTeardown,
  execFailed: awaitingTeardown,
  execCancelled: awaitingTeardown,
  postQueued: { startPost: "postRunning" },
  postRunning: { succeed: "done", fail: "postFailing" },
  postFailing: { settle: "postFailed", abandon: "postFailed" },
  postFailed: {},
  done: {},
});
