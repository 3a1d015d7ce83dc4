import { describeError, describeValue, safeString } from "../errors/describe-error.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { Plan } from "../graph/plan.js";
import { AttemptReplay } from "./attempt-replay.js";
import type { TraceViolation } from "./check-trace.js";
import { describe } from "./describe-event.js";
import { EntryOrder } from "./entry-order.js";
import { ExecuteStep } from "./execute-step.js";
import { FailingSweep } from "./failing-sweep.js";
import { ReplayState } from "./replay-state.js";
import { RetryReplay } from "./retry-replay.js";
import { RunDeadline } from "./run-deadline.js";
import { RunReplay } from "./run-replay.js";
import { checkTraceEnd } from "./settled-checks.js";
import { SlotReplay } from "./slot-replay.js";
import { TaskReplay } from "./task-replay.js";
import { TeardownOrder } from "./teardown-order.js";

/**
 * Replays one run's events against the spec's tables and invariants. One instance per check;
 * every step is O(1) amortised except a few run steps that look at every task once, so a check
 * costs O(events + tasks + edges). Barriers of level mode are replayed as nodes too (they emit
 * no events): a barrier is ready when its whole lower level is, and torn down when every
 * entered task of its upper level is.
 *
 * The replay is shared state (`ReplayState`); each concern of the spec is one part that reads
 * and updates it: entry order, the failing sweep, the execute step, teardown order, retries,
 * the concurrency limit's slots, the run deadline, and the run, task and attempt tables. This
 * class feeds them the events in order, and closes the synchronous steps an event cannot
 * belong to.
 */
export class TraceChecker<T> {
  readonly #state: ReplayState<T>;
  readonly #entryOrder: EntryOrder<T>;
  readonly #failingSweep: FailingSweep<T>;
  readonly #executeStep: ExecuteStep<T>;
  readonly #retries: RetryReplay<T>;
  readonly #runs: RunReplay<T>;
  readonly #tasks: TaskReplay<T>;
  readonly #attempts: AttemptReplay<T>;
  readonly #slots: SlotReplay<T>;

  constructor(plan: Plan<T>) {
    const state = new ReplayState(plan);
    const entryOrder = new EntryOrder(state);
    const failingSweep = new FailingSweep(state);
    const executeStep = new ExecuteStep(state);
    const teardownOrder = new TeardownOrder(state);
    const retries = new RetryReplay(state);
    const slots = new SlotReplay(state);
    const deadline = new RunDeadline(state);
    this.#state = state;
    this.#slots = slots;
    this.#entryOrder = entryOrder;
    this.#failingSweep = failingSweep;
    this.#executeStep = executeStep;
    this.#retries = retries;
    this.#runs = new RunReplay(state, {
      entryOrder,
      executeStep,
      teardownOrder,
      failingSweep,
      slots,
      deadline,
    });
    this.#tasks = new TaskReplay(state, {
      entryOrder,
      executeStep,
      teardownOrder,
      failingSweep,
      retries,
      slots,
    });
    this.#attempts = new AttemptReplay(state, retries);
  }

  check(given: readonly LifecycleEvent[]): TraceViolation[] {
    const state = this.#state;
    const read = readEvents(given);
    if ("problem" in read) {
      state.report("INV-18", read.problem, []);
      return state.violations;
    }
    const { events, unreadable } = read;
    state.events = events;
    if (events.length === 0) {
      state.report("INV-18", "the trace is empty: a run reports at least its first transition", []);
      return state.violations;
    }
    for (state.index = 0; state.index < events.length; state.index++) {
      const e = events[state.index]!;
      if (unreadable.has(state.index)) {
        state.report(
          "INV-18",
          `event #${state.index} could not be read: ${describeError(unreadable.get(state.index)).message}`,
          [],
        );
        continue;
      }
      if (typeof e !== "object" || e === null) {
        state.report(
          "INV-18",
          `event #${state.index} is ${safeString(e)} (${e === null ? "null" : typeof e}), not an event object`,
          [],
        );
        continue;
      }
      try {
        this.#replay(e);
      } catch (error) {
        // A hand-made or corrupted event (a getter that throws, a symbol where a name goes)
        // is a violation to report, never an exception out of checkTrace.
        state.report(
          "INV-18",
          `event #${state.index} could not be read as a lifecycle event: ${describeError(error).message}`,
          [e],
        );
      }
    }
    state.index = events.length;
    try {
      this.#closeSteps(undefined);
      checkTraceEnd(state, this.#entryOrder);
    } catch (error) {
      state.report(
        "INV-18",
        `the end of the trace could not be checked: ${describeError(error).message}`,
        [],
      );
    }
    return state.violations;
  }

  #replay(e: LifecycleEvent): void {
    const state = this.#state;
    this.#checkOrder(e);
    this.#closeSteps(e);
    switch (e.type) {
      case "run":
        this.#runs.onRun(e);
        break;
      case "task":
        this.#tasks.onTask(e);
        break;
      case "attempt":
        this.#attempts.onAttempt(e);
        break;
      case "retry":
        this.#retries.onRetry(e);
        break;
      default:
        state.report(
          "INV-18",
          `unknown event type ${JSON.stringify((e as { type?: unknown }).type)}`,
          [e],
        );
    }
    this.#slots.afterEvent();
  }

  /** INV-18: the trace starts with the run leaving idle, seq rises by one, nothing follows settled. */
  #checkOrder(e: LifecycleEvent): void {
    const state = this.#state;
    const i = state.index;
    if (typeof e !== "object" || e === null) return;
    if (i === 0) {
      if (!(e.type === "run" && e.from === "idle")) {
        state.report("INV-18", "the first event must be the run's transition out of idle", [e]);
      }
      if (e.seq !== 0) state.report("INV-18", `the first event has seq ${e.seq}, expected 0`, [e]);
    } else {
      const prev = state.events[i - 1]!;
      // An event before that was not an object was reported already.
      if (typeof prev === "object" && prev !== null && e.seq !== prev.seq + 1) {
        state.report(
          "INV-18",
          `seq ${e.seq} follows seq ${prev.seq}: seq must rise by one per event`,
          [prev, e],
        );
      }
    }
    if (state.settledIndex >= 0 && !(e.type === "attempt" && e.event === "lateSettle")) {
      state.report(
        "INV-18",
        `${describe(e)} follows the run's settled transition; only late settlements of abandoned functions may`,
        [state.events[state.settledIndex]!, e],
      );
    }
  }

  /**
   * Closes the synchronous steps that `e` cannot be part of, checking that each did what it
   * must do within the step. `e` undefined: the end of the trace.
   */
  #closeSteps(e: LifecycleEvent | undefined): void {
    this.#failingSweep.closeRunFailStep(e);
    this.#retries.closeDelayCancelStep(e);
    this.#retries.closeRetryStep(e);
    this.#failingSweep.closeIfEnded(e);
    this.#executeStep.closeIfEnded(e);
    this.#slots.closeIfEnded(e);
    if (this.#entryOrder.hasPending && (e === undefined || this.#entryOrder.closesTurn(e))) {
      this.#entryOrder.closeTurn(e);
    }
  }
}

/**
 * The events as a plain array, each element read once, so a Proxy of the array cannot show the
 * checks one event and the report another; what reading an element threw is kept by its
 * index. Anything but an array gives the problem to report instead.
 */
function readEvents(
  given: unknown,
):
  | { events: readonly LifecycleEvent[]; unreadable: ReadonlyMap<number, unknown> }
  | { problem: string } {
  let isArray: boolean;
  let length = 0;
  try {
    isArray = Array.isArray(given);
    if (isArray) length = (given as unknown[]).length;
  } catch (error) {
    return { problem: `the events could not be read: ${describeError(error).message}` };
  }
  if (!isArray) return { problem: `the events are not an array: got ${describeValue(given)}` };
  const events: LifecycleEvent[] = [];
  const unreadable = new Map<number, unknown>();
  for (let i = 0; i < length; i++) {
    try {
      events.push((given as LifecycleEvent[])[i]!);
    } catch (error) {
      events.push(undefined as unknown as LifecycleEvent);
      unreadable.set(i, error);
    }
  }
  return { events, unreadable };
}
