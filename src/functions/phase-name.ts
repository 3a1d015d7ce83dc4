/** The three phases of a task, in lifecycle order. */
export type PhaseName = "preExecute" | "execute" | "postExecute";

/** The phases in lifecycle order. */
export const PHASES: readonly PhaseName[] = Object.freeze(["preExecute", "execute", "postExecute"]);
