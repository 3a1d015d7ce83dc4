/**
 * Helpers for recording a run's trace and for editing traces in checker tests.
 * Import from `../support/trace.js`.
 */
import type {
  AsyncTaskProcessor,
  LifecycleEvent,
  RunOptions,
  RunReport,
  TraceViolation,
} from "../../src/index.js";
import { VirtualClock } from "../../src/index.js";

/** What a recorded run produced. */
export interface RecordedRun {
  readonly events: LifecycleEvent[];
  /** The report of a run that resolved. */
  readonly report: RunReport | undefined;
  /** The error of a run that rejected. */
  readonly error: unknown;
  readonly settled: boolean;
}

/**
 * Runs `processor` on a {@link VirtualClock} (unless one is given), firing every timer until the
 * run settles, and returns its events and outcome.
 */
export async function recordRun<T>(
  processor: AsyncTaskProcessor<T>,
  ctx: T,
  options: RunOptions & { readonly beforeRunAll?: () => Promise<void> | void } = {},
): Promise<RecordedRun> {
  const events: LifecycleEvent[] = [];
  const clock = (options.clock as VirtualClock | undefined) ?? new VirtualClock();
  const { beforeRunAll, ...runOptions } = options;
  let report: RunReport | undefined;
  let error: unknown;
  let settled = false;
  const run = processor
    .processTasks(ctx, {
      ...runOptions,
      clock,
      onEvent: (e) => {
        events.push(e);
        runOptions.onEvent?.(e);
      },
    })
    .then(
      (r) => {
        report = r;
        settled = true;
      },
      (e: unknown) => {
        error = e;
        settled = true;
      },
    );
  await beforeRunAll?.();
  if (clock instanceof VirtualClock) await clock.runAll();
  if (settled) await run;
  return { events, report, error, settled };
}

/** The trace as plain JSON, parsed again: what a saved trace looks like when loaded. */
export function roundTrip(events: readonly LifecycleEvent[]): LifecycleEvent[] {
  return JSON.parse(JSON.stringify(events)) as LifecycleEvent[];
}

/** Renumbers `seq` 0, 1, 2, ... after an edit, so only the edit itself is wrong. */
export function renumber(events: readonly LifecycleEvent[]): LifecycleEvent[] {
  return events.map((e, i) => ({ ...e, seq: i }));
}

/** The index of the first event matching `match`; throws if none does. */
export function indexOf(
  events: readonly LifecycleEvent[],
  match: (e: LifecycleEvent) => boolean,
  from = 0,
): number {
  for (let i = from; i < events.length; i++) if (match(events[i]!)) return i;
  throw new Error("no event matches");
}

/** Matches a task event by task name and event (and phase, if given). */
export function taskEvent(task: string, event: string, phase?: string) {
  return (e: LifecycleEvent): boolean =>
    e.type === "task" &&
    e.task === task &&
    e.event === event &&
    (phase === undefined || e.phase === phase);
}

/** Matches a run event by event name. */
export function runEvent(event: string) {
  return (e: LifecycleEvent): boolean => e.type === "run" && e.event === event;
}

/** The invariant ids of some violations, sorted and without duplicates. */
export function ids(violations: readonly TraceViolation[]): string[] {
  return [...new Set(violations.map((v) => v.invariant))].sort(
    (a, b) => Number(a.slice(4)) - Number(b.slice(4)),
  );
}

/** One line per violation, for failure messages. */
export function explain(violations: readonly TraceViolation[]): string {
  return violations.map((v) => `${v.invariant}: ${v.message}`).join("\n");
}
