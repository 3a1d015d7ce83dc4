/**
 * Shared helpers of the task-function tests (spec/task-functions.md): deferred promises, a
 * harness that runs a processor on a VirtualClock and records its events, and event filters.
 */
import { expect } from "vitest";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  ATTEMPT_TRANSITIONS,
  type AttemptState,
  type AttemptTransitionEvent,
  type Clock,
  isSdaxExecutionError,
  type LifecycleEvent,
  type PhaseName,
  type RetryScheduledEvent,
  type RunOptions,
  type RunReport,
  type SdaxExecutionError,
  type TaskPhases,
  type TaskTransitionEvent,
  task,
  VirtualClock,
} from "../../src/index.js";

export type Ctx = Record<string, unknown>;

import { flush } from "../helpers/async.js";

export { type Deferred, deferred, flush } from "../helpers/async.js";

/** A processor with every task on level 1. */
export function oneLevel(...tasks: AsyncTask<Ctx>[]): AsyncTaskProcessor<Ctx> {
  let builder = AsyncTaskProcessor.builder<Ctx>();
  for (const t of tasks) builder = builder.addTask(t, 1);
  return builder.build();
}

/** A processor with one task `t` with the given phases. */
export function single(phases: TaskPhases<Ctx>, name = "t"): AsyncTaskProcessor<Ctx> {
  return oneLevel(task<Ctx>(name, phases));
}

export type Outcome =
  | { readonly status: "pending" }
  | { readonly status: "fulfilled"; readonly value: RunReport }
  | { readonly status: "rejected"; readonly reason: unknown };

export interface Harness {
  readonly clock: VirtualClock;
  readonly events: LifecycleEvent[];
  readonly ctx: Ctx;
  /** `clock.pendingTimers` at the moment the run settled (its `-> settled` event). */
  timersAtSettle(): number | undefined;
  /** The run's outcome so far. */
  outcome(): Outcome;
  /** Fires every timer of the clock, then returns the outcome. */
  finish(): Promise<Outcome>;
}

export type HarnessOptions = Omit<RunOptions, "clock" | "onEvent"> & {
  readonly clock?: VirtualClock;
  /** The clock the run is given, if not `clock` itself (a wrapper of it, say). */
  readonly runClock?: Clock;
  readonly ctx?: Ctx;
  /** Also called with each event, after it was recorded. */
  readonly listen?: (event: LifecycleEvent) => void;
};

/** Starts a run on a VirtualClock (time 0 unless given) and records its events. */
export function runOn(processor: AsyncTaskProcessor<Ctx>, options: HarnessOptions = {}): Harness {
  const { clock = new VirtualClock(), runClock = clock, ctx = {}, listen, ...rest } = options;
  const events: LifecycleEvent[] = [];
  let outcome: Outcome = { status: "pending" };
  let timersAtSettle: number | undefined;
  const onEvent = (e: LifecycleEvent) => {
    events.push(e);
    if (e.type === "run" && e.to === "settled") timersAtSettle = clock.pendingTimers;
    listen?.(e);
  };
  processor.processTasks(ctx, { ...rest, clock: runClock, onEvent }).then(
    (value) => {
      outcome = { status: "fulfilled", value };
    },
    (reason: unknown) => {
      outcome = { status: "rejected", reason };
    },
  );
  return {
    clock,
    events,
    ctx,
    timersAtSettle: () => timersAtSettle,
    outcome: () => outcome,
    finish: async () => {
      await clock.runAll();
      return outcome;
    },
  };
}

/** The report of a fulfilled outcome (fails the test otherwise). */
export function reportOf(outcome: Outcome): RunReport {
  if (outcome.status !== "fulfilled") {
    throw new Error(
      `expected the run to succeed, it is ${outcome.status}: ${String((outcome as { reason?: unknown }).reason)}`,
    );
  }
  return outcome.value;
}

/** The SdaxExecutionError of a rejected outcome (fails the test otherwise). */
export function errorOf(outcome: Outcome): SdaxExecutionError {
  expect(outcome.status).toBe("rejected");
  const reason = (outcome as { reason?: unknown }).reason;
  if (!isSdaxExecutionError(reason)) throw new Error(`expected an SdaxExecutionError: ${reason}`);
  return reason;
}

export interface AttemptFilter {
  readonly task?: string;
  readonly phase?: PhaseName;
  readonly event?: AttemptTransitionEvent["event"];
  readonly attempt?: number;
}

export function attemptEvents(
  events: readonly LifecycleEvent[],
  filter: AttemptFilter = {},
): AttemptTransitionEvent[] {
  return events.filter(
    (e): e is AttemptTransitionEvent =>
      e.type === "attempt" &&
      (filter.task === undefined || e.task === filter.task) &&
      (filter.phase === undefined || e.phase === filter.phase) &&
      (filter.event === undefined || e.event === filter.event) &&
      (filter.attempt === undefined || e.attempt === filter.attempt),
  );
}

export function retryEvents(
  events: readonly LifecycleEvent[],
  taskName?: string,
): RetryScheduledEvent[] {
  return events.filter(
    (e): e is RetryScheduledEvent =>
      e.type === "retry" && (taskName === undefined || e.task === taskName),
  );
}

export function taskEvents(
  events: readonly LifecycleEvent[],
  taskName?: string,
  event?: TaskTransitionEvent["event"],
): TaskTransitionEvent[] {
  return events.filter(
    (e): e is TaskTransitionEvent =>
      e.type === "task" &&
      (taskName === undefined || e.task === taskName) &&
      (event === undefined || e.event === event),
  );
}

/** The `at` of the one event matching, failing the test if there is not exactly one. */
export function onlyAt(events: readonly LifecycleEvent[]): number {
  expect(events).toHaveLength(1);
  return events[0]!.at;
}

/**
 * INV-20 replayed: every attempt event is a row of ATTEMPT_TRANSITIONS applied to that attempt's
 * state; attempts of a phase are numbered 1, 2, ... and attempt n + 1 starts only after a retry
 * event for attempt n. Returns the problems found (empty for a good trace).
 */
export function attemptProblems(events: readonly LifecycleEvent[]): string[] {
  const problems: string[] = [];
  const states = new Map<string, AttemptState>();
  const lastStarted = new Map<string, number>();
  const retried = new Set<string>();
  for (const e of events) {
    if (e.type === "retry") {
      retried.add(`${e.task}/${e.phase}/${e.attempt}`);
      continue;
    }
    if (e.type !== "attempt") continue;
    const phaseKey = `${e.task}/${e.phase}`;
    const key = `${phaseKey}/${e.attempt}`;
    const from = states.get(key) ?? "idle";
    if (from !== e.from)
      problems.push(`${key}: event ${e.event} from ${e.from}, but it is ${from}`);
    const to = ATTEMPT_TRANSITIONS[from][e.event];
    if (to === undefined || to !== e.to) problems.push(`${key}: illegal ${from} --${e.event}-->`);
    states.set(key, e.to);
    if (e.event === "start") {
      const previous = lastStarted.get(phaseKey) ?? 0;
      if (e.attempt !== previous + 1) problems.push(`${key}: started after attempt ${previous}`);
      if (e.attempt > 1 && !retried.has(`${phaseKey}/${e.attempt - 1}`)) {
        problems.push(`${key}: started without a retry event for attempt ${e.attempt - 1}`);
      }
      lastStarted.set(phaseKey, e.attempt);
    }
  }
  return problems;
}

/**
 * Records every `unhandledRejection` while `body` runs (and a few turns after), so a test can
 * assert there was none. Vitest would also fail the run; this makes the test itself fail.
 */
export async function watchUnhandled(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  process.on("unhandledRejection", listener);
  try {
    await body();
    for (let i = 0; i < 5; i++) await flush();
  } finally {
    process.off("unhandledRejection", listener);
  }
  return seen;
}

/** A function body that waits for its signal and rejects with the signal's reason. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * Records every `uncaughtException` while `body` runs (and a few turns after), for errors the
 * spec says are rethrown as uncaught exceptions (a throwing `onEvent` listener, a clock whose
 * `now()` throws). The test runner's own listeners, which would fail the run, are set aside
 * meanwhile and put back afterwards.
 */
export async function captureUncaught(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const saved = process.listeners("uncaughtException");
  const listener = (error: unknown) => {
    seen.push(error);
  };
  process.removeAllListeners("uncaughtException");
  process.on("uncaughtException", listener);
  try {
    await body();
    for (let i = 0; i < 5; i++) await flush();
  } finally {
    process.off("uncaughtException", listener);
    for (const l of saved) process.on("uncaughtException", l);
  }
  return seen;
}

/**
 * A clock that reads the time of `virtual` and passes the rest on to it, except what
 * `overrides` replaces: for clocks that throw, return odd handles or call back synchronously.
 */
export function wrapClock(virtual: VirtualClock, overrides: Partial<Clock> = {}): Clock {
  return {
    now: () => virtual.now(),
    setTimeout: (callback, ms) => virtual.setTimeout(callback, ms),
    clearTimeout: (handle) => virtual.clearTimeout(handle),
    ...overrides,
  };
}
