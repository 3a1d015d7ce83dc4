/**
 * Executes one run of a built workflow: builds its context, wires the trace listener, the
 * external abort and the clock, drives a virtual clock to the end (or waits on real timers),
 * and records everything the checks need.
 */
import {
  type Clock,
  type LifecycleEvent,
  type RunOptions,
  type RunReport,
  realClock,
  VirtualClock,
} from "../src/index.js";
import type { BuiltWorkflow } from "./build.js";
import { CountingClock } from "./counting-clock.js";
import { hostileValue, show } from "./hostile.js";
import type { AbortSpec, Behaviour, CallPin, EventPin, ReasonKind, RunSpec } from "./model.js";
import { PHASES } from "./model.js";
import { Prng } from "./prng.js";
import { QuirkClock } from "./quirk-clock.js";
import { keyOf, type RunCtx } from "./run-context.js";
import { attributing } from "./uncaught.js";

/** How long a real-timer run may take before it counts as hung. */
const REAL_WATCHDOG_MS = 5_000;

export type RunOutcome =
  | { readonly kind: "resolved"; readonly report: RunReport }
  | { readonly kind: "rejected"; readonly error: unknown }
  | { readonly kind: "hung"; readonly detail: string };

/** Everything recorded about one run. */
export interface RunRecord {
  readonly spec: RunSpec;
  readonly ctx: RunCtx;
  readonly outcome: RunOutcome;
  /** Log length and event count when the run's `-> settled` event was emitted. */
  readonly settledAt: { readonly log: number; readonly seq: number } | undefined;
  /** Engine timers still pending when the run's promise settled. */
  readonly timersAtSettle: number;
  /** `clearTimeout` calls that could not clear, when the run's promise settled (`noHandle`). */
  readonly unclearedAtSettle: number;
  /** The quirky clock the run was given, if any (what it did, for the checks and the summary). */
  readonly quirk: QuirkClock | undefined;
  /** The signal's reason, if the external signal aborted. */
  readonly abortReason: unknown;
  readonly aborted: boolean;
}

export async function executeRun(built: BuiltWorkflow, spec: RunSpec): Promise<RunRecord> {
  const real = built.spec.realTimers;
  const virtual = real ? undefined : new VirtualClock();
  const clock: Clock = virtual ?? realClock;
  const counting = new CountingClock(clock);
  // The run's clock: the counting one, or a quirky one wrapping it (virtual clocks only).
  const quirk =
    spec.clock === undefined || virtual === undefined
      ? undefined
      : new QuirkClock(counting, spec.clock, spec.throwEvery);
  const engineClock: Clock = quirk ?? counting;
  const events: LifecycleEvent[] = [];
  const controller = spec.abort === undefined ? undefined : new AbortController();
  const abort = (): void => controller?.abort(reasonOf(spec.abort!.reason));
  const ctx: RunCtx = {
    clock,
    events,
    scripts: scriptsBySlot(built, spec),
    log: [],
    own: [],
    aborts: new Map(),
    jobs: new Map(),
    job: 0,
    jobOpen: false,
    names: built.names,
    active: 0,
    calls: 0,
    abortAtCall: spec.abort?.at === "call" && spec.abort.on === undefined ? spec.abort.n : -1,
    abortAtKey: spec.abort?.at === "call" ? pinnedKey(built, spec.abort.on) : -1,
    abortRun: () => attributing(ctx, abort),
    notes: [],
  };
  let settledAt: RunRecord["settledAt"];
  const abortAtEvent = spec.abort?.at === "event" ? spec.abort : undefined;
  let eventAborted = false;
  const onEvent = (e: LifecycleEvent): void => {
    events.push(e);
    if (e.type === "run" && e.to === "settled") settledAt = { log: ctx.log.length, seq: e.seq };
    if (abortAtEvent !== undefined && !eventAborted && hits(abortAtEvent, e, events.length)) {
      eventAborted = true;
      if (abortAtEvent.sync) attributing(ctx, abort);
      else queueMicrotask(abort);
    }
  };
  scheduleAbort(spec.abort, clock, abort);
  const options: {
    clock: Clock;
    onEvent: (e: LifecycleEvent) => void;
    random: () => number;
    signal?: AbortSignal;
    abandonAfterMs?: number | null;
    maxConcurrency?: number;
    timeoutMs?: number;
  } = { clock: engineClock, onEvent, random: new Prng(spec.random).asRandom() };
  if (controller !== undefined) options.signal = controller.signal;
  if (spec.abandonAfterMs !== undefined) options.abandonAfterMs = spec.abandonAfterMs;
  if (spec.maxConcurrency !== undefined) options.maxConcurrency = spec.maxConcurrency;
  if (spec.timeoutMs !== undefined) options.timeoutMs = spec.timeoutMs;

  let outcome: RunOutcome | undefined;
  let timersAtSettle = 0;
  let unclearedAtSettle = 0;
  const done = built.processor.processTasks(ctx, options as RunOptions).then(
    (report) => {
      timersAtSettle = counting.pending;
      unclearedAtSettle = quirk?.uncleared ?? 0;
      outcome = { kind: "resolved", report };
    },
    (error: unknown) => {
      timersAtSettle = counting.pending;
      unclearedAtSettle = quirk?.uncleared ?? 0;
      outcome = { kind: "rejected", error };
    },
  );
  if (virtual !== undefined) {
    try {
      await virtual.runAll();
      await nextTurn();
    } catch (error) {
      outcome ??= { kind: "hung", detail: show(error) };
    }
    outcome ??= { kind: "hung", detail: "every timer fired and the run's promise has not settled" };
  } else {
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        watchdog = setTimeout(resolve, REAL_WATCHDOG_MS);
      }),
    ]);
    clearTimeout(watchdog);
    outcome ??= { kind: "hung", detail: `not settled after ${REAL_WATCHDOG_MS} ms of real time` };
    // Abandoned functions settle late: wait for them, then let the engine report it.
    for (let waited = 0; ctx.active > 0 && waited < REAL_WATCHDOG_MS; waited += 2) await sleep(2);
    await nextTurn();
  }
  return {
    spec,
    ctx,
    outcome,
    settledAt,
    timersAtSettle,
    unclearedAtSettle,
    quirk,
    abortReason: controller?.signal.reason,
    aborted: controller?.signal.aborted ?? false,
  };
}

function scriptsBySlot(built: BuiltWorkflow, spec: RunSpec): (readonly Behaviour[] | undefined)[] {
  const slots = new Array<readonly Behaviour[] | undefined>(built.names.length * 3);
  for (const [name, phases] of Object.entries(spec.scripts)) {
    const index = built.indexOf.get(name);
    if (index === undefined) continue;
    PHASES.forEach((phase, p) => {
      const script = phases[phase];
      if (script !== undefined) slots[index * 3 + p] = script.attempts;
    });
  }
  return slots;
}

/** Whether event `e` (the `count`th) is the one an event abort waits for. */
function hits(
  abort: { readonly n: number; readonly on?: EventPin },
  e: LifecycleEvent,
  count: number,
): boolean {
  const on = abort.on;
  if (on === undefined) return count === abort.n;
  if (e.type !== on.type || eventName(e) !== on.event) return false;
  const fields = e as { task?: string; phase?: string; attempt?: number };
  return (
    (on.task === undefined || fields.task === on.task) &&
    (on.phase === undefined || fields.phase === on.phase) &&
    (on.attempt === undefined || fields.attempt === on.attempt)
  );
}

/** An event's name: its `event`, or `retry` for a retry event. */
export function eventName(e: LifecycleEvent): string {
  return e.type === "retry" ? "retry" : e.event;
}

/** The attempt key a pinned call abort waits for; -1 if none (or the task is gone). */
function pinnedKey(built: BuiltWorkflow, on: CallPin | undefined): number {
  if (on === undefined) return -1;
  const index = built.indexOf.get(on.task);
  return index === undefined ? -1 : keyOf(index * 3 + PHASES.indexOf(on.phase), on.attempt);
}

function scheduleAbort(abort: AbortSpec | undefined, clock: Clock, fire: () => void): void {
  if (abort?.at === "before") fire();
  else if (abort?.at === "time") clock.setTimeout(fire, abort.ms);
}

function reasonOf(kind: ReasonKind): unknown {
  switch (kind) {
    case "error":
      return new Error("montecarlo: external abort");
    case "string":
      return "montecarlo: external abort";
    case "default":
      return undefined; // the signal's own AbortError
    default:
      return hostileValue(kind, "montecarlo: external abort");
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
