import { quoted } from "../errors/quoted.js";

/** Thrown when the engine tries a transition the table does not list: always an engine bug. */
export class IllegalTransitionError extends Error {
  /** Always `"IllegalTransitionError"`. */
  override readonly name = "IllegalTransitionError";
  constructor(
    /** Which state machine refused the transition. */
    readonly machine: "task" | "run" | "attempt",
    /** The state it was in. */
    readonly from: string,
    /** The event the table has no entry for in that state. */
    readonly event: string,
    /** The task (or task and phase) concerned, where there is one. */
    readonly subject?: string,
  ) {
    super(
      `sdax internal error: illegal ${machine} transition ${from} --${event}-->` +
        (subject === undefined ? "" : ` for ${quoted(subject)}`),
    );
  }
}
