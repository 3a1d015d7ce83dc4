import type { PhaseName } from "../functions/phase-name.js";

/** A phase that needed more than one attempt, or one with an abandoned attempt. */
export interface PhaseAttempts {
  /** The task's name. */
  readonly task: string;
  /** The phase concerned. */
  readonly phase: PhaseName;
  /** For `retried`: attempts made in all. For `abandoned`: the abandoned attempt's number. */
  readonly attempts: number;
}

/**
 * What a successful run resolves to. Cheap by design: counts and the exceptions only (in a
 * successful run every started phase succeeded; per-transition detail is what `onEvent` is for).
 */
export interface RunReport {
  /** Tasks in the workflow. */
  readonly tasks: number;
  /** Run time by the run's clock, in ms. */
  readonly durationMs: number;
  /** Phases that succeeded only after retries. */
  readonly retried: readonly PhaseAttempts[];
  /**
   * Attempts abandoned after `abandonAfterMs` (a timed-out attempt whose retry then succeeded):
   * their functions may still be running; their late settlement is reported by `onEvent`.
   */
  readonly abandoned: readonly PhaseAttempts[];
}
