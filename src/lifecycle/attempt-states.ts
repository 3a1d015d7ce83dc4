/**
 * The per-attempt state machine of `spec/task-functions.md`, as data.
 */

/** An attempt's state. */
export type AttemptState =
  | "idle"
  | "delayed"
  | "running"
  | "cancelling"
  | "settling"
  | "ended"
  | "abandoned"
  | "lateSettled";

/** What happens to an attempt. */
export type AttemptEvent =
  | "start"
  | "delay"
  | "succeed"
  | "fail"
  | "timeout"
  | "cancel"
  | "settle"
  | "abandon"
  | "lateSettle";

type AttemptTable = {
  readonly [S in AttemptState]: { readonly [E in AttemptEvent]?: AttemptState };
};

/** The attempt transition table: `ATTEMPT_TRANSITIONS[from][event]` is the next state. */
export const ATTEMPT_TRANSITIONS: AttemptTable = Object.freeze({
  idle: { start: "running", delay: "delayed" },
  delayed: { start: "running", cancel: "ended" },
  running: { succeed: "ended", fail: "settling", timeout: "settling", cancel: "cancelling" },
  cancelling: { fail: "settling", settle: "ended", abandon: "abandoned" },
  settling: { settle: "ended", abandon: "abandoned" },
  ended: {},
  abandoned: { lateSettle: "lateSettled" },
  lateSettled: {},
});
