/** The three phases of a task, in lifecycle order. */
export type PhaseName = "preExecute" | "execute" | "postExecute";

/** The phases in lifecycle order. */
export const PHASES: readonly PhaseName[] = Object.freeze(["preExecute", "execute", "postExecute"]);

/** The index of a phase name in {@link PHASES} (-1 for anything that is not one). */
export function phaseIndex(phase: unknown): number {
  return phase === "preExecute" ? 0 : phase === "execute" ? 1 : phase === "postExecute" ? 2 : -1;
}
