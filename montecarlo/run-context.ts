/**
 * What the functions of one run share: the run's context object (`ctx`). It holds the run's
 * scripts and the *function log*, the runner's own record of when each function attempt began
 * and ended, positioned against the event trace, so checks can compare what the engine says
 * (events) with what the functions saw.
 */
import type { Clock, LifecycleEvent } from "../src/index.js";
import type { Behaviour } from "./model.js";

/** Log record kinds. */
export const BEGIN = 0;
export const END_OK = 1;
export const END_FAIL = 2;

/** A phase slot: task index * 3 + phase index. An attempt key: slot * 16 + attempt number. */
export const keyOf = (slot: number, attempt: number): number => slot * 16 + attempt;
export const slotOfKey = (key: number): number => Math.floor(key / 16);
export const attemptOfKey = (key: number): number => key % 16;

/**
 * A function attempt (or one of its children) that rejected with a value of its own, not its
 * signal's reason: what the engine must report as a failure unless the spec excuses it.
 */
export interface OwnRejection {
  readonly key: number;
  readonly value: unknown;
  /**
   * Position (events emitted before it) when the engine received the rejection: the throw
   * itself, or the runner's reaction to the rejected promise, which runs just before the
   * engine's own.
   */
  readonly at: number;
  /** Its signal had aborted, and not by its own timeout, before the engine received it. */
  readonly afterAbort: boolean;
  /**
   * `sync`: thrown synchronously; `rejected`: the promise was rejected already when the
   * function returned; undefined: later.
   */
  readonly immediate: "sync" | "rejected" | undefined;
}

/** When an attempt's signal aborted, as the function saw it. */
export interface SignalAbort {
  /** Position (events emitted before it). */
  readonly pos: number;
  /** The clock's time. */
  readonly at: number;
  /** Its reason was the attempt's own `TaskTimeoutError`. */
  readonly timeout: boolean;
}

/** The context object every function of a run receives. */
export interface RunCtx {
  /** The clock behaviours sleep on (the run's virtual clock, or real time). */
  readonly clock: Clock;
  /** The run's events so far (the trace); its length positions log records. */
  readonly events: LifecycleEvent[];
  /** Scripts by slot: the behaviour of each attempt; none = return at once. */
  readonly scripts: readonly (readonly Behaviour[] | undefined)[];
  /** Triples `(position, attempt key, BEGIN | END_OK | END_FAIL)`; position = events.length. */
  readonly log: number[];
  /** Every own rejection, in the order the engine received them. */
  readonly own: OwnRejection[];
  /** The first abort of each attempt's signal seen by a function or child, by attempt key. */
  readonly aborts: Map<number, SignalAbort>;
  /**
   * Per attempt key: the synchronous stretch of code (one job of the event loop, up to its
   * microtasks) its function was called in. Functions started in one engine step share one.
   */
  readonly jobs: Map<number, number>;
  /** The current job's number, and whether a microtask will close it. */
  job: number;
  jobOpen: boolean;
  /** Task names by task index (for error messages). */
  readonly names: readonly string[];
  /** Functions (with their children) that began and have not ended. */
  active: number;
  /**
   * Function calls so far; the call (0-based) that aborts the run's signal, or the attempt key
   * whose call does (-1: none).
   */
  calls: number;
  readonly abortAtCall: number;
  readonly abortAtKey: number;
  /** Aborts the run's external signal (with the run's reason). */
  readonly abortRun: () => void;
  /** Broken rules the functions saw themselves (a postExecute signal aborted, ...). */
  readonly notes: { invariant: string; message: string }[];
}
