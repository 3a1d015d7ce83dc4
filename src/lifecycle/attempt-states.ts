/**
 * The per-attempt state machine of `spec/task-functions.md`, as data.
 */

/** An attempt's state. */
export type AttemptState = "idle" | "running" | "settling" | "ended" | "abandoned" | "lateSettled";

/** What happens to an attempt. */
export type AttemptEvent =
  | "start"
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
  idle: { start: "running" },
  running: { succeed: "ended", fail: "settling", timeout: "settling", cancel: "settling" },
  settling: { settle: "ended", abandon: "abandoned" },
  ended: {},
  abandoned: { lateSettle: "lateSettled" },
  lateSettled: {},
});
