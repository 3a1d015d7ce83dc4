/** Thrown when the engine tries a transition the table does not list: always an engine bug. */
export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  constructor(
    readonly machine: "task" | "run" | "attempt",
    readonly from: string,
    readonly event: string,
    readonly subject?: string,
  ) {
    super(
      `sdax internal error: illegal ${machine} transition ${from} --${event}-->` +
        (subject === undefined ? "" : ` for ${JSON.stringify(subject)}`),
    );
  }
}
