/**
 * The data a Monte Carlo case is made of: plain, serialisable values, so a (shrunk) failing
 * case can be printed, saved as JSON and replayed exactly. A workflow is the structure and the
 * function options (what a processor is built from); a run spec is what the functions of one
 * run do (its injected faults) and how that run is aborted.
 */
import type { PhaseName } from "../src/index.js";

export type { PhaseName };

export const PHASES: readonly PhaseName[] = ["preExecute", "execute", "postExecute"];

/** Options of one phase function (`TaskFunctionOptions`); absent fields are left out. */
export type FnSpec = Readonly<FnSpecDraft>;

/** A {@link FnSpec} while the generator fills it in. */
export interface FnSpecDraft {
  timeoutMs?: number;
  retries?: number;
  initialDelayMs?: number;
  backoffFactor?: number;
  abandonAfterMs?: number | null;
}

/** One task: its name, its level (levels mode) or dependencies (graph mode), its phases. */
export interface TaskSpec {
  readonly name: string;
  readonly level?: number;
  readonly deps?: readonly string[];
  /** A phase present here exists; a task with no phase is a `join()`. */
  readonly phases: Readonly<Partial<Record<PhaseName, FnSpec>>>;
}

export type WorkflowMode = "levels" | "graph";

/** The structure of a workflow: one processor is built from it and run many times at once. */
export interface WorkflowSpec {
  readonly mode: WorkflowMode;
  /** Real timers and real sleeps, or a `VirtualClock` per run. */
  readonly realTimers: boolean;
  readonly tasks: readonly TaskSpec[];
  /** `build({ maxConcurrency })`: the processor's default concurrency limit, if any. */
  readonly maxConcurrency?: number;
}

/**
 * Values hostile to whoever describes them (spec INV-33): a revoked `Proxy`, an `Error` whose
 * `name` or `message` getter throws, an `Error` whose `message` is a `Symbol`, an object whose
 * `toString` (and `toJSON`, and `Symbol.toPrimitive`) throw.
 */
export type HostileKind =
  | "revokedProxy"
  | "throwingName"
  | "throwingMessage"
  | "symbolMessage"
  | "throwingToString";

export const HOSTILE_KINDS: readonly HostileKind[] = [
  "revokedProxy",
  "throwingName",
  "throwingMessage",
  "symbolMessage",
  "throwingToString",
];

/** What a thrown value is. */
export type ThrownKind = "error" | "string" | "undefined" | "object" | HostileKind;

/**
 * What one attempt of a phase function does. An attempt with no behaviour returns at once
 * (synchronously, successfully).
 */
export type Behaviour =
  /** Resolves in a microtask. */
  | { readonly k: "async" }
  /** Resolves after `ms`; honours its signal (rejects with the reason when it aborts). */
  | { readonly k: "slow"; readonly ms: number }
  /**
   * Throws synchronously, or returns a promise already rejected (`async`; with `asyncFn`, an
   * `async` function that throws before its first `await`), a value that is not retryable.
   */
  | {
      readonly k: "throw";
      readonly value: ThrownKind;
      readonly async: boolean;
      readonly asyncFn?: boolean;
    }
  /** Throws (synchronously, or returns already rejected) a `RetryableError`. */
  | { readonly k: "retryable"; readonly async: boolean }
  /** Never settles until its signal aborts; then rejects with the reason. */
  | { readonly k: "hang" }
  /** Ignores its signal; settles after `ms` whatever happens (rejecting if `fail`). */
  | { readonly k: "ignore"; readonly ms: number; readonly fail: boolean }
  /** Returns at once but spawns children, each settling after its `ms` (honouring the signal);
   * child `failAt` (an index) rejects instead of resolving. */
  | { readonly k: "spawn"; readonly ms: readonly number[]; readonly failAt?: number }
  /**
   * Resolves after `ms` unless its signal aborts; when it does, it rejects with an error of its
   * own ("rollback failed"), not the signal's reason: at once inside the abort listener (`lag`
   * absent) or `lag` ms later (a rollback that takes time, and may be abandoned).
   */
  | { readonly k: "rollback"; readonly ms: number; readonly lag?: number };

/** The kinds of fault the generator injects, for the summary. */
export type FaultKind =
  | "syncThrow"
  | "asyncReject"
  | "nonErrorThrow"
  | "retryRecovers"
  | "retryExhausts"
  | "timeout"
  | "hangUntilCancelled"
  | "signalIgnoring"
  | "childFailure"
  | "sameTurn"
  | "cancelledOwnError"
  | "hostileThrow";

/** The kinds of fault a whole run gets (its signal, its clock), for the summary. */
export type RunFaultKind =
  | "externalAbort"
  | "hostileAbortReason"
  | "noHandleClock"
  | "syncZeroClock"
  | "throwingClock"
  | "concurrencyLimit"
  | "runDeadline";

/** Every kind of fault, as the summary and `--faults` name them. */
export type AnyFaultKind = FaultKind | RunFaultKind;

/** What one phase of one task does in one run: its attempts in order, then success. */
export interface PhaseScript {
  /** A fault kind, or `benign` for a harmless asynchronous or slow function. */
  readonly label: FaultKind | "benign";
  readonly attempts: readonly Behaviour[];
  /**
   * `sameTurn` scripts of one run that the generator placed in one engine step (every
   * execute; preExecutes entered in one turn) share a group number.
   */
  readonly group?: number;
}

export type ReasonKind = "error" | "default" | "string" | HostileKind;

/**
 * A clock quirk of a run: the run's clock wraps the runner's. `noHandle`: `setTimeout` returns
 * `undefined`, so `clearTimeout` cannot clear and a cleared timer still fires later;
 * `syncZero`: `setTimeout` with 0 ms calls back synchronously, from inside `setTimeout`;
 * `throwing`: every `throwEvery`th call of `setTimeout`, and of `clearTimeout`, throws.
 */
export type ClockQuirk = "noHandle" | "syncZero" | "throwing";

/** How a run is aborted from outside through `RunOptions.signal`. */
export type AbortSpec =
  /** Aborted before the run starts. */
  | { readonly at: "before"; readonly reason: ReasonKind }
  /** Aborted by a timer of the run's clock after `ms`. */
  | { readonly at: "time"; readonly ms: number; readonly reason: ReasonKind }
  /**
   * Aborted when the `n`th event arrives (or, pinned by the shrinker, the first event like
   * `on`): inside the listener (`sync`) or in a microtask.
   */
  | {
      readonly at: "event";
      readonly n: number;
      readonly on?: EventPin;
      readonly sync: boolean;
      readonly reason: ReasonKind;
    }
  /**
   * Aborted synchronously by the `n`th function call (0-based) of the run as it begins (or,
   * pinned by the shrinker, by the call of attempt `on.attempt` of that task's phase).
   */
  | { readonly at: "call"; readonly n: number; readonly on?: CallPin; readonly reason: ReasonKind };

/** An event, named by what it is rather than by its position (which shrinking changes). */
export interface EventPin {
  readonly type: string;
  readonly event: string;
  readonly task?: string;
  readonly phase?: string;
  readonly attempt?: number;
}

/** A function call, named by task, phase and attempt. */
export interface CallPin {
  readonly task: string;
  readonly phase: PhaseName;
  readonly attempt: number;
}

/** One run of a workflow's processor. */
export interface RunSpec {
  /** Seed of the run's retry-jitter source (`RunOptions.random`). */
  readonly random: number;
  /** Scripts by task name, then by phase; a phase with none just returns. */
  readonly scripts: Readonly<Record<string, Readonly<Partial<Record<PhaseName, PhaseScript>>>>>;
  readonly abort?: AbortSpec;
  /** `RunOptions.abandonAfterMs`, if set. */
  readonly abandonAfterMs?: number | null;
  /** `RunOptions.maxConcurrency`, if set (it replaces the workflow's own). */
  readonly maxConcurrency?: number;
  /** `RunOptions.timeoutMs`: the run's deadline, if set. */
  readonly timeoutMs?: number;
  /** A quirk of the run's clock, if any. */
  readonly clock?: ClockQuirk;
  /** With `clock: "throwing"`: every how many calls (of each method) one throws. */
  readonly throwEvery?: number;
}

/** A workflow and the runs made of it at once: what the runner executes and the shrinker shrinks. */
export interface Case {
  readonly workflow: WorkflowSpec;
  readonly runs: readonly RunSpec[];
}
