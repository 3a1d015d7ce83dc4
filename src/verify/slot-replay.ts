import { quoted } from "../errors/quoted.js";
import type {
  LifecycleEvent,
  RunTransitionEvent,
  TaskTransitionEvent,
} from "../events/lifecycle-event.js";
import { HOLDS_SLOT, taskStateIn } from "../lifecycle/machines.js";
import { PHASE_QUEUED_STATE, QUEUES_PHASE, STARTS_PHASE } from "../lifecycle/task-phases.js";
import type { TaskState } from "../lifecycle/task-states.js";
import { describe, listNames } from "./describe-event.js";
import { inSweep } from "./failing-sweep.js";
import { NodeFifo } from "./node-fifo.js";
import { isClockFailureOfCancel } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/** True if a task in `state` holds a slot of the concurrency limit (the table's `HOLDS_SLOT`). */
export function holdsSlot(state: string): boolean {
  return taskStateIn(HOLDS_SLOT, state);
}

/**
 * The concurrency limit (INV-37, INV-38, INV-39), read from the run's `start` event: the tasks
 * holding a slot (states derived from the task table) never outnumber the limit; a phase
 * starts at once only if a slot is free and nothing is queued, and is queued only otherwise;
 * queued phases start in queue order; no slot stays free while a phase is queued when a step
 * ends; when the run begins failing, queued preExecutes are skipped in that step, in queue
 * order, and no queued preExecute or execute starts any more.
 *
 * Steps are closed the way the other parts close them: a run event other than `abort` and
 * `fail` comes after the engine handed out every slot it could, and so does an event of an
 * attempt that had no event since the slot was freed (its settlement, timer or retry is a
 * step of its own), except a cancellation or its clock failure, which a failing step makes.
 */
export class SlotReplay<T> {
  readonly #state: ReplayState<T>;
  /** The run's limit; `Infinity` when its `start` event carries none. */
  #limit = Number.POSITIVE_INFINITY;
  /** Tasks holding a slot now. */
  #holding = 0;
  /** Queued tasks, oldest first, as the engine must hand them slots. */
  readonly #queue: NodeFifo;
  /** Index of the event each queued task was queued by. */
  readonly #queuedAt: Int32Array;
  /** Index of the event since which a slot is free while a phase is queued (-1: none). */
  #owedSince = -1;
  /** The preQueued tasks the step the run began failing must skip, in queue order. */
  readonly #toSkip: NodeFifo;
  #failIndex = -1;
  /** The last queuePre: the event that enabled its task, and its task (ties by add order). */
  #lastQueuedPre: { readonly enabledAt: number; readonly node: number } | undefined;

  constructor(state: ReplayState<T>) {
    this.#state = state;
    this.#queuedAt = new Int32Array(state.taskCount).fill(-1);
    this.#queue = new NodeFifo(state.taskCount);
    this.#toSkip = new NodeFifo(state.taskCount);
  }

  /** The run's limit (`Infinity`: none). */
  get limit(): number {
    return this.#limit;
  }

  /** The run started by `e`: its limit, if it has one. */
  onStart(e: RunTransitionEvent): void {
    const limit = e.maxConcurrency;
    if (limit === undefined) return;
    if (!(Number.isSafeInteger(limit) && limit >= 1)) {
      this.#state.report(
        "INV-37",
        `the run's start event carries maxConcurrency ${String(limit)}, which is not a limit (an integer from 1)`,
        [e],
      );
      return;
    }
    this.#limit = limit;
  }

  /**
   * The run began failing (or was aborted) by `e`: queued preExecutes must be skipped in this
   * step, queued executes stay where they are, and neither gets a slot any more (INV-39).
   */
  onRunFail(): void {
    const state = this.#state;
    for (const node of this.#queue.toArray()) {
      if (state.taskState[node] === "postQueued") continue;
      this.#queue.remove(node);
      if (state.taskState[node] === "preQueued") this.#toSkip.push(node);
    }
    this.#failIndex = state.index;
  }

  /**
   * Task `node` moves `from` -> `to` by `e`, a row of the table. `enabledAt` is the event that
   * made it enterable (for a `queuePre`).
   */
  onMove(
    e: TaskTransitionEvent,
    node: number,
    from: TaskState,
    to: TaskState,
    enabledAt: number,
  ): void {
    const state = this.#state;
    const starts = STARTS_PHASE.get(e.event);
    if (QUEUES_PHASE.has(e.event)) {
      this.#onQueue(e, node, enabledAt);
    } else if (starts !== undefined) {
      if (PHASE_QUEUED_STATE[starts] === from) this.#onGrant(e, node, from);
      else this.#onDirectStart(e);
    } else if (e.event === "skip" && from === "preQueued") {
      this.#onQueuedSkip(e, node);
    }
    const before = this.#holding;
    this.#holding += (holdsSlot(to) ? 1 : 0) - (holdsSlot(from) ? 1 : 0);
    if (this.#holding > this.#limit && this.#holding > before) {
      state.report(
        "INV-37",
        `${describe(e)} makes ${this.#holding} tasks hold a slot; the run's maxConcurrency is ${this.#limit}`,
        [e],
      );
    }
  }

  /** After each event: since when a slot is free while a phase waits for one. */
  afterEvent(): void {
    const owed = this.#queue.size > 0 && this.#holding < this.#limit;
    if (!owed) this.#owedSince = -1;
    else if (this.#owedSince < 0) this.#owedSince = this.#state.index;
  }

  /** Closes the steps `e` (undefined: the end of the trace) cannot be part of. */
  closeIfEnded(e: LifecycleEvent | undefined): void {
    if (this.#toSkip.size > 0 && (e === undefined || !this.#inFailStep(e))) {
      this.#closeFailStep(e);
    }
    if (this.#owedSince >= 0 && (e === undefined || this.#closesStep(e, this.#owedSince))) {
      this.#closeOwed(e);
    }
  }

  #onQueue(e: TaskTransitionEvent, node: number, enabledAt: number): void {
    const state = this.#state;
    if (this.#limit === Number.POSITIVE_INFINITY) {
      state.report(
        "INV-38",
        `${describe(e)} although the run has no concurrency limit; a phase waits for a slot only under one`,
        [e],
      );
    } else if (this.#holding < this.#limit && this.#queue.size === 0) {
      state.report(
        "INV-38",
        `${describe(e)} while ${this.#holding} of ${this.#limit} slots were taken and nothing was queued; it must start at once`,
        [e],
      );
    }
    if (e.event === "queuePre") this.#checkTie(e, node, enabledAt);
    this.#queue.push(node);
    this.#queuedAt[node] = state.index;
  }

  /** INV-38: preExecutes are queued in the order their tasks became enterable, ties by add order. */
  #checkTie(e: TaskTransitionEvent, node: number, enabledAt: number): void {
    const last = this.#lastQueuedPre;
    this.#lastQueuedPre = { enabledAt, node };
    if (last === undefined || enabledAt < 0) return;
    if (enabledAt < last.enabledAt || (enabledAt === last.enabledAt && node < last.node)) {
      const state = this.#state;
      state.report(
        "INV-38",
        `the preExecute of ${quoted(state.name(node))} was queued after that of ${quoted(state.name(last.node))}, although ${enabledAt === last.enabledAt ? `both became able to start by the same event and ${quoted(state.name(node))} was added first` : `${quoted(state.name(node))} became able to start first`}`,
        [e],
      );
    }
  }

  /** A phase starts without waiting: a slot is free and nothing is queued (INV-38). */
  #onDirectStart(e: TaskTransitionEvent): void {
    if (this.#holding < this.#limit && this.#queue.size === 0) return;
    const state = this.#state;
    const head = this.#queue.head();
    state.report(
      "INV-38",
      `${describe(e)} at once while ${head === undefined ? `all ${this.#limit} slots were taken` : `${quoted(state.name(head))} was queued for a slot`}; it must be queued`,
      head === undefined ? [e] : [state.events[this.#queuedAt[head]!]!, e],
    );
  }

  /** A queued phase gets a slot: the oldest one, and never a pre or execute once failing. */
  #onGrant(e: TaskTransitionEvent, node: number, from: TaskState): void {
    const state = this.#state;
    if (from !== "postQueued" && state.runState !== "entering" && state.runState !== "executing") {
      state.report(
        "INV-39",
        `${describe(e)}: a queued ${from === "preQueued" ? "preExecute" : "execute"} started while the run was ${state.runState}; once failing, none starts`,
        [e],
      );
    }
    const head = this.#queue.head();
    if (head !== undefined && head !== node && this.#queue.has(node)) {
      state.report(
        "INV-38",
        `${describe(e)} out of queue order: ${quoted(state.name(head))} was queued first (${state.at(this.#queuedAt[head]!)})`,
        [state.events[this.#queuedAt[head]!]!, e],
      );
    }
    this.#queue.remove(node);
  }

  /** A queued preExecute is skipped: only in the failing step, in queue order (INV-39). */
  #onQueuedSkip(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const head = this.#toSkip.head();
    if (head !== undefined && head !== node && this.#toSkip.has(node)) {
      state.report(
        "INV-39",
        `${describe(e)} out of queue order: ${quoted(state.name(head))} was queued first`,
        [e],
      );
    }
    this.#toSkip.remove(node);
    this.#queue.remove(node);
  }

  /** True if `e` can belong to the step the run began failing in (its sweep, then the skips). */
  #inFailStep(e: LifecycleEvent): boolean {
    if (e.type === "task" && e.event === "skip") return true;
    return inSweep(e);
  }

  #closeFailStep(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const left = this.#toSkip.toArray().map((node) => state.name(node));
    for (const node of this.#toSkip.toArray()) this.#toSkip.remove(node);
    const start = state.events[this.#failIndex]!;
    state.report(
      "INV-39",
      `${listNames(left)} ${left.length === 1 ? "was" : "were"} still waiting for a slot after the step in which the run began failing (${describe(start)}); a queued preExecute is skipped in that step`,
      e === undefined ? [start] : [start, e],
    );
  }

  /** True if `e` cannot be part of the step that freed a slot at event `since`. */
  #closesStep(e: LifecycleEvent, since: number): boolean {
    const state = this.#state;
    if (e.type === "run") return e.event !== "abort" && e.event !== "fail";
    if (e.type !== "attempt") return false;
    const record = state.attempt(e.task, e.phase, e.attempt);
    if (record === undefined || record.lastIndex >= since) return false;
    if (e.event === "cancel" || isClockFailureOfCancel(state.events, state.index)) return false;
    return true;
  }

  #closeOwed(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const since = this.#owedSince;
    this.#owedSince = -1;
    const head = this.#queue.head()!;
    const freed = state.events[since]!;
    state.report(
      "INV-38",
      `a slot was free (${this.#holding} of ${this.#limit} taken since ${describe(freed)}) while ${quoted(state.name(head))} was queued, and the step ended (${e === undefined ? "end of trace" : `${describe(e)} came next`}); a freed slot goes to the oldest queued phase in the same step`,
      e === undefined ? [freed] : [freed, e],
    );
  }
}
