import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { RunOptions } from "../scheduler/run-options.js";
import type { RunReport } from "../scheduler/run-report.js";
import type { VirtualClock } from "../time/virtual-clock.js";
import type { TraceViolation } from "../verify/check-trace.js";
import type { Fault } from "./fault.js";

/** What `context` is told about the run it makes a context for. */
export interface RunSetup {
  /** The faults this run injects. */
  readonly faults: readonly Fault[];
  /**
   * The run's clock: timeouts, retry delays and abandonment run on it. Give it to functions
   * of yours that wait (`clock.setTimeout`), so their waiting is virtual too.
   */
  readonly clock: VirtualClock;
}

/** How one run ended: resolved with its report, or rejected with its error. */
export type RunOutcome =
  | {
      /** The run resolved. */
      readonly status: "resolved";
      /** What it resolved with. */
      readonly report: RunReport;
    }
  | {
      /** The run rejected. */
      readonly status: "rejected";
      /** What it rejected with: an `SdaxExecutionError` listing the failed phases. */
      readonly error: unknown;
    };

/** What `check` receives about one run besides its context. */
export type ExploredRun = RunOutcome & {
  /** The faults placed on this run. */
  readonly faults: readonly Fault[];
  /** Those whose function was called (a fault on a phase that never started does not fire). */
  readonly fired: readonly Fault[];
  /**
   * True when the run stalled, every running function waiting on a cancellation nothing
   * would send (an injected hang no failure cancelled), and the explorer aborted it as a
   * caller giving up would: the run then rejects with the abort as the error's `cause`.
   */
  readonly stalled: boolean;
  /** The run's lifecycle events, in order. */
  readonly events: readonly LifecycleEvent[];
};

/**
 * What replays one case: pass it as `replay` to `exploreFailures`, or to
 * `replayFailure`. Plain data: `JSON.stringify` it and paste it into a test.
 */
export interface Replay {
  /** The faults to inject. */
  readonly faults: readonly Fault[];
}

/**
 * One way the workflow misbehaves: the smallest fault set that shows it (a pair is reported as
 * one of its faults when that fault alone shows the same problem), what went wrong, and its
 * replay.
 */
export interface Violation {
  /** The minimal faults that make the workflow misbehave; `[]` when it does without any. */
  readonly faults: readonly Fault[];
  /** The faults of the run that found it, before minimisation. */
  readonly foundWith: readonly Fault[];
  /**
   * Who saw it: your `check` threw or rejected; `checkTrace` found the run's events breaking
   * the specification; or the run never settled (a function ignored its cancellation and
   * nothing bounds the wait).
   */
  readonly source: "check" | "trace" | "unsettled";
  /** What `check` threw; for the other sources, an `Error` that says what went wrong. */
  readonly error: unknown;
  /**
   * One line: the faults and what went wrong (a check's error by its first line, marked
   * `(...)` when it has more; all of it is in {@link Violation.error}).
   */
  readonly message: string;
  /** What `checkTrace` found in the run's events (`[]` when the trace was good or incomplete). */
  readonly trace: readonly TraceViolation[];
  /** Replays this case alone. */
  readonly replay: Replay;
}

/** What `exploreFailures` resolves with. */
export interface ExplorationResult {
  /**
   * Runs made: one per case tried (minimisation re-runs nothing, since the no-fault run and
   * every single fault are tried before any pair).
   */
  readonly runs: number;
  /** True when every single fault and every pair of faults was tried. */
  readonly exhaustive: boolean;
  /** The seed the random choices came from: pass it again to try the same cases. */
  readonly seed: number;
  /** Every distinct minimal violation, in the order found; `[]` when the workflow coped. */
  readonly violations: readonly Violation[];
}

/** Options of `exploreFailures`. */
export interface ExploreOptions<T> {
  /**
   * Makes a fresh context for each run, synchronously (it may throw: exploration then
   * rejects, naming the run; so does a promise returned instead of a context).
   */
  readonly context: (run: RunSetup) => T;
  /**
   * Checks a run's context and outcome after it settled: throw (or reject) to report a
   * violation. Example: every connection acquired was released. The run's clock no longer
   * moves then: a check must not wait for one of its timers.
   */
  readonly check: (ctx: T, run: ExploredRun) => void | Promise<void>;
  /** Seed of the random choices (integer 0 to 2^32 - 1). @default a random seed, reported */
  readonly seed?: number | undefined;
  /**
   * The most cases to try. When the no-fault run, every single fault and every pair fit, all
   * are tried (exhaustive); otherwise the no-fault run, then singles, then pairs, drawn at
   * random from `seed`. @default 1000
   */
  readonly runs?: number | undefined;
  /** Run only this case (from a violation's `replay`), without minimisation. */
  readonly replay?: Replay | undefined;
  /**
   * Options for every run (`abandonAfterMs`, ...). `clock`, `random` and `signal` are the
   * explorer's own and refused here; `onEvent` is called besides the explorer's recording.
   */
  readonly runOptions?: Omit<RunOptions, "clock" | "random" | "signal"> | undefined;
  /**
   * Real time, in ms, to wait for a function of yours (or a child it spawned) that is still
   * working while no timer of the run is due, before the run counts as stalled. Functions that
   * work in memory never wait for it. @default 1000
   */
  readonly stallMs?: number | undefined;
}
