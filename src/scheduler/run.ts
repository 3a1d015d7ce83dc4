import { type AsyncTask, executeOf, postExecuteOf, preExecuteOf } from "../builders/task.js";
import type { TaskFailure } from "../errors/execution-error.js";
import { quoted } from "../errors/quoted.js";
import { reportUncaught } from "../errors/report-uncaught.js";
import { TaskTimeoutError } from "../errors/retryable-error.js";
import { EventLog } from "../events/event-log.js";
import type { AbortedBy } from "../events/lifecycle-event.js";
import {
  Attempt,
  type AttemptEntry,
  type AttemptHost,
  CLEAR_THREW,
  enterAttempt,
  FULFILLED,
  NO_ERROR,
} from "../functions/attempt.js";
import { LightScope, type LightScopeHost, observeLight } from "../functions/light-scope.js";
import { type PhaseName, phaseIndex } from "../functions/phase-name.js";
import type { PhaseFn, TaskFunction } from "../functions/task-function.js";
import type { Plan } from "../graph/plan.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import {
  AE,
  AS,
  ATTEMPT_ACTIVE,
  ATTEMPT_MACHINE,
  AWAITING_TEARDOWN,
  CANCELLABLE,
  HOLDS_SLOT,
  RUNNING,
  TASK_MACHINE,
  TE,
  TS,
  UNSETTLED,
} from "../lifecycle/machines.js";
import {
  nextRunState,
  RUN_ABORTABLE,
  type RunEvent,
  type RunState,
} from "../lifecycle/run-states.js";
import { RUNNING_PHASE } from "../lifecycle/task-phases.js";
import { unwatchAbort, watchAbort } from "./abort-watch.js";
import { judgeRetry } from "./retry-policy.js";
import type { ResolvedRunOptions } from "./run-options.js";
import type { PhaseAttempts, RunReport } from "./run-report.js";

/** How far the run has acted on an attempt (`Attempt.seen`), in order. */
const SEEN_NOTHING = 0;
const SEEN_DECIDED = 1;
const SEEN_FAILED_AFTER_CANCEL = 2;
const SEEN_FINISHED = 3;

/**
 * One run of a plan: the scheduler of `spec/lifecycle.md`. It owns the per-task states and moves
 * them only through the transition tables; functions run in {@link Attempt}s, whose outcomes
 * come back through `attemptChanged` and are acted on by `#reconcile`.
 *
 * Work is queued and drained in a loop (never by recursion), so deep graphs and synchronous
 * functions cannot grow the stack.
 *
 * The methods on a bare phase's path (starting it, moving it through the tables, its success)
 * keep what a bare run never does (events, illegal transitions, a call that cannot be observed
 * light, retries) in methods of their own: V8 inlines by the callee's bytecode size, so a cold
 * branch left in a hot method keeps it from being inlined into its callers.
 */
export class Run<T> implements AttemptHost, LightScopeHost {
  readonly ctx: T;
  readonly abandonAfterMs: number | null | undefined;
  readonly listening: boolean;
  state: RunState = "idle";
  /** Every failed phase, in the order they failed. */
  readonly failures: TaskFailure[] = [];
  /** Set when the external signal, or the run's deadline, aborted the run before cleanup. */
  abort: { readonly reason: unknown; readonly by: AbortedBy } | undefined;
  /** An internal error (an engine bug) that stopped the run. */
  crash: { readonly error: unknown } | undefined;
  /** True while the clock's `clearTimeout` runs: `scope.spawn` is refused there (spec 8). */
  clearingTimer = false;

  readonly #plan: Plan<T>;
  readonly #tasks: readonly AsyncTask<T>[];
  /** Per node: its task state's code in {@link TASK_MACHINE}. */
  readonly #states: Uint8Array;
  /** Per node: dependencies that have not reached `ready`. */
  readonly #waitingOn: Int32Array;
  /** Per node, during cleanup: entered dependents whose teardown has not finished. */
  #teardownWaitingOn: Int32Array | undefined;
  /**
   * Per node: the latest attempt of its current phase (a `delayed` one between attempts). While
   * that is the phase's first attempt and it is light (see {@link LightScope}), the entry is
   * not a record but the attempt's state: its code in {@link ATTEMPT_MACHINE}.
   */
  readonly #current: (Attempt | number | undefined)[];
  /**
   * Per node and phase (`3 * node + phase index`): the phase's first attempt, kept once it was
   * decided other than by success, for the scope of a light attempt to reach after the attempt
   * stopped being current (its signal shows how the attempt ended). Made at the first such
   * attempt. A first attempt that succeeded is not kept: one made afresh in success behaves alike.
   */
  #unsuccessfulFirst: (Attempt | undefined)[] | undefined;
  /**
   * Per node whose current attempt is light: 1 while that attempt's timeout timer is set, and
   * its handle (INV-36: data, never inferred from the handle). Made by the first such timer.
   */
  #lightTimerSet: Uint8Array | undefined;
  #lightTimers: unknown[] | undefined;
  #retried: PhaseAttempts[] | undefined;
  #abandoned: PhaseAttempts[] | undefined;
  #readyCount = 0;
  /** preExecute and execute phases started and not yet ended (settled or abandoned). */
  #active = 0;
  #teardownsLeft = 0;
  /** The run's concurrency limit (`Infinity`: none), spec section 8. */
  readonly #limit: number;
  /** Tasks in a state that holds a slot, kept by `#move` from the table (`HOLDS_SLOT`). */
  #holding = 0;
  /** Tasks queued for a slot (`preQueued`, `execQueued`, `postQueued`), oldest first. */
  #slotQueue: number[] = [];
  #slotHead = 0;
  /** The deadline's timer: never set, set, or done with (fired, cleared). */
  #deadline: "none" | "set" | "done" = "none";
  #deadlineHandle: unknown;
  /**
   * Work queues, used from the front and emptied at the end of a drain. They keep their storage
   * between drains (truncating an array frees it, and the next push would allocate again).
   */
  #nodeQueue: number[] = [];
  #nodeQueueSize = 0;
  #attemptQueue: (Attempt | undefined)[] = [];
  #attemptQueueSize = 0;
  /** The attempt `deliver` is acting on: it is reconciled right there, not queued. */
  #delivering: Attempt | undefined;
  /** Steps that arrived mid-step from outside (an abort); run before queued nodes. */
  #deferred: (() => void)[] = [];
  /**
   * Timers that fired from inside a step (a clock calling back from `setTimeout` itself):
   * acted on once the step is whole, each as a step of its own, as if it had fired just after.
   */
  #firedEarly: (() => void)[] | undefined;
  #draining = false;
  /**
   * `NaN` until the run starts: a fraction from construction on, so storing a clock's
   * fractional time never gives the run a new V8 layout, which the engine's shape anchor would
   * not hold (shape-anchor.ts; checked by test/performance/engine-shapes.test.ts).
   */
  #startedAt = Number.NaN;
  /** Present only when the run has an `onEvent` listener. */
  readonly #events: EventLog | undefined;
  readonly #options: ResolvedRunOptions;
  readonly #random: () => number;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;
  readonly #auto: boolean;
  readonly #onStop: () => void;
  /**
   * Whether the settled run was handed to `onStop`. Not the same as `state === "settled"`:
   * the state moves before its event is reported, and a crash reporting it must still reject
   * the run's promise, not surface as uncaught (INV-34).
   */
  #settledStop = false;

  /**
   * @param auto take every step at once (`processTasks`), or stop in `entered`, `executed`
   *   and `failed` until {@link proceed} (a phase runner).
   * @param onStop called when the run stops in one of those states, settles, or crashes.
   */
  constructor(
    plan: Plan<T>,
    ctx: T,
    options: ResolvedRunOptions,
    auto: boolean,
    onStop: () => void,
  ) {
    this.#plan = plan;
    this.#tasks = plan.tasks;
    this.ctx = ctx;
    this.#options = options;
    this.abandonAfterMs = options.abandonAfterMs;
    const onEvent = options.onEvent;
    this.#events = onEvent === undefined ? undefined : new EventLog(onEvent, () => this.now());
    this.listening = onEvent !== undefined;
    this.#random = options.random;
    this.#signal = options.signal;
    this.#auto = auto;
    this.#onStop = onStop;
    this.#limit = options.maxConcurrency ?? plan.maxConcurrency;
    this.#states = new Uint8Array(plan.nodeCount); // every node starts `waiting` (code 0)
    this.#waitingOn = plan.dependencyCount.slice();
    this.#current = new Array<Attempt | number | undefined>(plan.nodeCount);
    if (this.#signal !== undefined) {
      const signal = this.#signal;
      this.#onAbort = () => this.#drain(() => this.#abortRun(signalReason(signal)));
    }
  }

  /**
   * Starts an idle run (spec INV-17: a signal aborted already means nothing is entered), and
   * its deadline (INV-40).
   */
  start(): void {
    this.#drain(() => {
      this.#startedAt = this.#events === undefined ? this.now() : this.#events.momentTime();
      this.#moveRun("start");
      if (this.#abortedAtStart(false)) return;
      if (!this.#setDeadline()) return;
      // Asked again once watched: the clock's setTimeout (user code) may have aborted it.
      if (this.#abortedAtStart(true)) return;
      for (const root of this.#plan.roots) this.#queueNode(root);
    });
  }

  /**
   * True if the run's signal aborted before any task was entered, which then aborts the run
   * (INV-17); with `watch`, it is watched from now on if not. A signal that cannot be read or
   * watched (a getter or a method replaced on it throws) aborts the run with an error saying
   * so (INV-33).
   */
  #abortedAtStart(watch: boolean): boolean {
    const signal = this.#signal;
    if (signal === undefined) return false;
    let aborted: boolean;
    try {
      if (watch) watchAbort(signal, this.#onAbort!);
      aborted = signal.aborted; // user code: a getter may have been replaced on the signal
    } catch (error) {
      this.#abortRun(
        new Error("sdax run: its signal could not be read or watched", { cause: error }),
      );
      return true;
    }
    if (aborted) this.#abortRun(signalReason(signal));
    return aborted;
  }

  /**
   * Takes the next step from a stop: `entered` runs execute (or, with `skipExecute`, goes
   * straight to cleanup); `executed` and `failed` clean up; an idle run closes.
   */
  proceed(skipExecute: boolean): void {
    this.#drain(() => {
      if (this.state === "idle") {
        this.#moveRun("close");
        this.#settle();
      } else if (this.state === "entered" && !skipExecute) {
        this.#beginExecute();
      } else if (this.state === "entered" || this.state === "executed" || this.state === "failed") {
        this.#beginCleanup();
      }
    });
  }

  /**
   * What a successful run resolves to, taking its time now unless given `durationMs` (a
   * runner closed before its first phase took none, and must not read the clock).
   */
  report(durationMs = this.now() - this.#startedAt): RunReport {
    return {
      tasks: this.#plan.taskCount,
      durationMs,
      retried: this.#retried ?? [],
      abandoned: this.#abandoned ?? [],
    };
  }

  /** The clock's time; `NaN` if `now()` threw or gave no number (its error is rethrown as uncaught). */
  now(): number {
    const o = this.#options;
    try {
      const time = o.now.call(o.clock);
      return typeof time === "number" ? time : Number.NaN;
    } catch (error) {
      reportUncaught(error);
      return Number.NaN;
    }
  }

  setTimer(callback: () => void, ms: number): unknown {
    const o = this.#options;
    try {
      return o.setTimeout.call(o.clock, callback, ms);
    } catch (error) {
      this.#events?.dropHeldTime(); // no timer: no event announces one
      throw error;
    } finally {
      this.#events?.newMoment();
    }
  }

  clearTimer(handle: unknown): unknown {
    const o = this.#options;
    const outer = this.clearingTimer;
    this.clearingTimer = true;
    try {
      o.clearTimeout.call(o.clock, handle);
      return NO_ERROR;
    } catch (clockError) {
      return clockError;
    } finally {
      this.clearingTimer = outer;
      this.#events?.newMoment();
    }
  }

  reportUncaught(error: unknown): void {
    reportUncaught(error);
  }

  holdEventTime(): void {
    this.#events?.holdTime();
  }

  newEventMoment(): void {
    this.#events?.newMoment();
  }

  attemptChanged(attempt: Attempt): void {
    if (attempt === this.#delivering) return;
    const queue = this.#attemptQueue;
    if (this.#attemptQueueSize < queue.length) queue[this.#attemptQueueSize] = attempt;
    else queue.push(attempt);
    this.#attemptQueueSize++;
    // Always inside a step (start, cancel, deliver); should that ever change, still act on it.
    if (!this.#draining) this.#drain(() => {});
  }

  /**
   * A way into an attempt from outside (its promise settled, a timer fired), as a step of its
   * own: the attempt acts, the engine acts on what it decided, then on the queues. User code
   * reached meanwhile (a listener) can only queue work for after the step (INV-19).
   */
  deliver(attempt: Attempt, entry: AttemptEntry, error: unknown): void {
    if (this.crash !== undefined) return; // observed, and nothing more (INV-34)
    if (this.#draining) {
      // Only a timer can fire inside a step (promise reactions never do): after the step.
      this.#firedEarly ??= [];
      this.#firedEarly.push(() => attempt[enterAttempt](entry, error));
      return;
    }
    this.#draining = true;
    this.#events?.newMoment();
    try {
      this.#actOn(attempt, entry, error);
      this.#pump();
    } catch (error) {
      this.#crashed(error);
    } finally {
      this.#delivering = undefined;
      this.#draining = false;
    }
  }

  /** The attempt acts on a way in, then the engine on what it decided, at once. */
  #actOn(attempt: Attempt, entry: AttemptEntry, error: unknown): void {
    this.#delivering = attempt;
    attempt[enterAttempt](entry, error);
    this.#delivering = undefined;
    this.#reconcile(attempt);
  }

  /**
   * A light attempt's promise settled, or its timeout's timer fired. Only a fulfilment of one
   * still light is acted on here, in a step of its own as {@link deliver} would; everything
   * else goes through its full attempt.
   */
  deliverLight(node: number, phase: PhaseName, entry: AttemptEntry, error: unknown): void {
    if (this.crash !== undefined) return; // observed, and nothing more, not even promoted (INV-34)
    if (entry !== FULFILLED || this.#lightPhase(node) !== phase || this.#draining) {
      this.deliver(this.promote(node, phase), entry, error);
      return;
    }
    // A step of its own, bracketed as in `deliver` and `#drain` (a shared bracket taking the
    // step's body as a function measured 10% slower on the bare workloads).
    this.#draining = true;
    this.#events?.newMoment();
    try {
      if (this.#lightTimerSet === undefined || this.#lightTimerSet[node] === 0) {
        // No timer to clear: no user code runs before the attempt succeeds, so it is still
        // the light, current attempt checked above.
        this.#moveLight(node, phase, AE.succeed);
        this.#succeeded(node, phase, 1);
      } else {
        this.#timedLightFulfilled(node, phase);
      }
      this.#pump();
    } catch (error) {
      this.#crashed(error);
    } finally {
      this.#draining = false;
    }
  }

  /**
   * A light attempt with a timeout succeeds, unless the clock throws clearing its timer (spec
   * 5.2); the clock's `clearTimeout` may also have promoted it.
   */
  #timedLightFulfilled(node: number, phase: PhaseName): void {
    const clockError = this.#clearLightTimer(node);
    if (clockError !== NO_ERROR) {
      this.#actOn(this.promote(node, phase), CLEAR_THREW, clockError);
      return;
    }
    if (this.#lightPhase(node) !== phase) {
      // Promoted by the clock's clearTimeout (its callback fired, or it read a kept scope).
      this.#actOn(this.promote(node, phase), FULFILLED, undefined);
      return;
    }
    this.#moveLight(node, phase, AE.succeed);
    this.#succeeded(node, phase, 1);
  }

  /**
   * The full attempt of the first attempt of `node`'s `phase`: the current one, or one made now
   * to take over a light attempt in the state it reached, with its timer. An attempt that is no
   * longer current and was not kept ended in success, and one is made in that state.
   */
  promote(node: number, phase: PhaseName): Attempt {
    const known = this.promoted(node, phase);
    if (known !== undefined) return known;
    // The task's getter makes the record of a bare function once and keeps it.
    const fn = this.#tasks[node]![phase]!;
    const full = new Attempt(this, node, phase, 1, fn as TaskFunction<unknown>);
    if (this.#lightPhase(node) === phase) {
      full.adopt(this.#current[node] as number);
      this.#current[node] = full;
      if (this.#lightTimerSet !== undefined && this.#lightTimerSet[node] === 1) {
        this.#lightTimerSet[node] = 0;
        full.adoptTimeout(this.#lightTimers![node]);
        this.#lightTimers![node] = undefined;
      }
    } else {
      full.adopt(AS.ended);
      full.seen = SEEN_FINISHED; // a success already acted on
    }
    return full;
  }

  /** The full attempt of the first attempt of `node`'s `phase`, if it is current or was kept. */
  promoted(node: number, phase: PhaseName): Attempt | undefined {
    const current = this.#current[node];
    if (current instanceof Attempt && current.phase === phase && current.attempt === 1) {
      return current;
    }
    return this.#unsuccessfulFirst?.[3 * node + phaseIndex(phase)];
  }

  /**
   * The phase whose first attempt is `node`'s current one and light, if there is one. A light
   * attempt is current only while its task is in that phase's running state.
   */
  #lightPhase(node: number): PhaseName | undefined {
    return typeof this.#current[node] === "number" ? RUNNING_PHASE[this.#states[node]!] : undefined;
  }

  taskName(node: number): string {
    return this.#tasks[node]!.name;
  }

  attemptEvent(
    attempt: Attempt,
    event: AttemptEvent,
    from: AttemptState,
    hasError: boolean,
    error: unknown,
  ): void {
    this.#events?.attempt(
      attempt.task,
      attempt.phase,
      attempt.attempt,
      event,
      from,
      attempt.state,
      hasError,
      error,
    );
  }

  /**
   * Runs `work`, then drains the queues. Inside a drain (user code can reach here mid-step,
   * e.g. a function or a listener that aborts the run's signal), `work` waits its turn in the
   * queue, so every step of the engine runs whole.
   */
  #drain(work: () => void): void {
    if (this.crash !== undefined) return; // a crashed run calls no user code any more (INV-34)
    if (this.#draining) {
      this.#deferred.push(work);
      return;
    }
    this.#draining = true;
    this.#events?.newMoment();
    try {
      work();
      this.#pump();
    } catch (error) {
      this.#crashed(error);
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Starts queued nodes, reconciles queued attempts, and takes run steps that became
   * possible, until nothing is left; then acts on timers that fired meanwhile, one step each.
   * A loop, never recursion.
   */
  #pump(): void {
    for (;;) {
      this.#pumpStep();
      if (this.#firedEarly === undefined) return;
      const fired = this.#firedEarly.shift();
      if (fired === undefined) return;
      this.#events?.newMoment();
      fired();
    }
  }

  #pumpStep(): void {
    const nodes = this.#nodeQueue;
    const attempts = this.#attemptQueue;
    const deferred = this.#deferred;
    do {
      let nodeAt = 0;
      let attemptAt = 0;
      for (;;) {
        if (deferred.length > 0) {
          this.#takeDeferred();
        } else if (nodeAt < this.#nodeQueueSize) {
          const node = nodes[nodeAt++]!;
          if (this.state === "cleaningUp") this.#tearDown(node);
          else this.#enter(node);
        } else if (attemptAt < this.#attemptQueueSize) {
          const attempt = attempts[attemptAt]!;
          attempts[attemptAt++] = undefined; // let it be collected once acted on
          this.#reconcile(attempt);
        } else if (this.#slotHead < this.#slotQueue.length && this.#holding < this.#limit) {
          this.#grantSlot();
        } else {
          break;
        }
      }
      this.#nodeQueueSize = 0;
      this.#attemptQueueSize = 0;
    } while (this.#advance());
  }

  /** Takes the oldest step that arrived mid-step from outside, as a step of its own. */
  #takeDeferred(): void {
    this.#events?.newMoment();
    this.#deferred.shift()!();
  }

  #queueNode(node: number): void {
    const queue = this.#nodeQueue;
    if (this.#nodeQueueSize < queue.length) queue[this.#nodeQueueSize] = node;
    else queue.push(node);
    this.#nodeQueueSize++;
  }

  /**
   * An internal error (an engine bug) stops the run: it is reported, never swallowed; after
   * the run settled, as an uncaught exception, since no promise is left to reject (INV-34).
   */
  #crashed(error: unknown): void {
    if (this.crash !== undefined) return;
    if (this.#settledStop) reportUncaught(error);
    this.crash = { error };
    this.#removeAbortListener();
    this.#clearDeadline();
    this.#onStop();
  }

  /** Takes the run step whose condition holds now, if any; true if it took one. */
  #advance(): boolean {
    switch (this.state) {
      case "entering":
        if (this.#readyCount < this.#plan.nodeCount) return false;
        this.#moveRun("allEntered");
        return this.#stopUnlessAuto();
      case "entered":
        if (!this.#auto) return false;
        this.#events?.newMoment(); // a step of its own (spec section 5), as a runner's proceed is
        this.#beginExecute();
        return true;
      case "executing":
        if (this.#active > 0) return false;
        this.#moveRun("allExecuted");
        return this.#stopUnlessAuto();
      case "failing":
        if (this.#active > 0) return false;
        this.#moveRun("quiesce");
        return this.#stopUnlessAuto();
      case "executed":
      case "failed":
        if (!this.#auto) return false;
        this.#events?.newMoment(); // a step of its own (spec section 5), as a runner's proceed is
        this.#beginCleanup();
        return true;
      case "cleaningUp":
        if (this.#teardownsLeft > 0) return false;
        this.#moveRun("allTornDown");
        this.#settle();
        return false;
      default:
        return false;
    }
  }

  /**
   * After reaching `entered`, `executed` or `failed`: a phase runner stops here; a
   * `processTasks` run goes on, in a step of its own. Either way an abort signalled meanwhile
   * (by a listener of this very transition) takes effect first, in a step of its own: a runner
   * stops only if the run is still where it stopped, as `processTasks` would go on from there
   * (INV-19, spec/phase-runner.md PR-10); else it stops where the abort leads.
   */
  #stopUnlessAuto(): boolean {
    if (this.#auto) return true;
    const stoppedAt = this.state;
    while (this.#deferred.length > 0) this.#takeDeferred();
    if (this.state !== stoppedAt) return true;
    this.#onStop();
    return false;
  }

  /** Enters a node whose dependencies all reached `ready` (spec INV-2, INV-3). */
  #enter(node: number): void {
    const task = this.#tasks[node]; // undefined for a level barrier
    const pre = task === undefined ? undefined : preExecuteOf(task);
    if (pre === undefined) {
      this.#move(node, TE.enter);
      this.#markReady(node);
    } else if (this.state === "entering") {
      this.#active++;
      if (this.#mustQueue()) {
        this.#move(node, TE.queuePre, "preExecute");
        this.#slotQueue.push(node);
      } else {
        this.#move(node, TE.startPre, "preExecute");
        this.#startAttempt(node, "preExecute", pre);
      }
    } else {
      this.#move(node, TE.skip);
    }
  }

  #markReady(node: number): void {
    this.#readyCount++;
    const { dependentsStart, dependents } = this.#plan;
    const end = dependentsStart[node + 1]!;
    for (let i = dependentsStart[node]!; i < end; i++) {
      const dependent = dependents[i]!;
      if (--this.#waitingOn[dependent]! === 0) this.#queueNode(dependent);
    }
  }

  /** Starts (or, under a limit, queues) every execute in one step (spec INV-5, INV-38). */
  #beginExecute(): void {
    this.#moveRun("execute");
    for (const node of this.#plan.executeNodes) {
      this.#active++;
      if (this.#mustQueue()) {
        this.#move(node, TE.queueExec, "execute");
        this.#slotQueue.push(node);
      } else {
        this.#move(node, TE.startExec, "execute");
        this.#startAttempt(node, "execute", executeOf(this.#tasks[node]!)!);
      }
    }
  }

  /** Under a limit, a phase able to start waits if every slot is taken or one waits already (INV-38). */
  #mustQueue(): boolean {
    return this.#holding >= this.#limit || this.#slotHead < this.#slotQueue.length;
  }

  /** A slot is free: the oldest queued phase starts (INV-38). */
  #grantSlot(): void {
    const node = this.#slotQueue[this.#slotHead++]!;
    if (this.#slotHead === this.#slotQueue.length) {
      this.#slotQueue.length = 0;
      this.#slotHead = 0;
    }
    const task = this.#tasks[node]!;
    const state = this.#states[node]!;
    if (state === TS.preQueued) {
      this.#move(node, TE.startPre, "preExecute");
      this.#startAttempt(node, "preExecute", preExecuteOf(task)!);
    } else if (state === TS.execQueued) {
      this.#move(node, TE.startExec, "execute");
      this.#startAttempt(node, "execute", executeOf(task)!);
    } else {
      this.#move(node, TE.startPost, "postExecute");
      this.#startAttempt(node, "postExecute", postExecuteOf(task)!);
    }
  }

  /**
   * The run is failing (INV-39): queued preExecutes are skipped, in queue order; queued
   * executes never start and stay `execQueued`, awaiting teardown.
   */
  #dropQueuedPhases(): void {
    const queue = this.#slotQueue;
    for (let k = this.#slotHead; k < queue.length; k++) {
      const node = queue[k]!;
      this.#active--;
      if (this.#states[node] === TS.preQueued) this.#move(node, TE.skip);
    }
    queue.length = 0;
    this.#slotHead = 0;
  }

  /** Sets the run's deadline timer; false if the clock threw, which aborts the run (INV-17, INV-40). */
  #setDeadline(): boolean {
    const ms = this.#options.timeoutMs;
    if (ms === null) return true;
    this.#deadline = "set"; // before the call: a clock may call back from inside it
    try {
      this.#deadlineHandle = this.setTimer(() => this.#drain(() => this.#deadlinePassed(ms)), ms);
    } catch (clockError) {
      this.#deadline = "done";
      this.#abortRun(
        new Error(`sdax run: the clock threw setting the run's deadline of ${ms} ms`, {
          cause: clockError,
        }),
        "its deadline could not be set",
        "deadline",
      );
      return false;
    }
    return true;
  }

  #deadlinePassed(ms: number): void {
    if (this.#deadline !== "set") return; // cleared, and called anyway by its clock
    this.#deadline = "done";
    this.#abortRun(
      new TaskTimeoutError(undefined, undefined, undefined, ms),
      `its deadline of ${ms} ms passed`,
      "deadline",
    );
  }

  #clearDeadline(): void {
    if (this.#deadline !== "set") return;
    this.#deadline = "done";
    const clockError = this.clearTimer(this.#deadlineHandle);
    // No phase to fail: the timer may still fire, and is ignored.
    if (clockError !== NO_ERROR) reportUncaught(clockError);
  }

  /** Cleanup: counts each eligible node's entered dependents, then queues the free ones. */
  #beginCleanup(): void {
    this.#moveRun("cleanup");
    this.#removeAbortListener();
    this.#clearDeadline();
    const { nodeCount, dependenciesStart, dependencies } = this.#plan;
    const waitingOn = new Int32Array(nodeCount);
    this.#teardownWaitingOn = waitingOn;
    let eligible = 0;
    for (let node = 0; node < nodeCount; node++) {
      if (AWAITING_TEARDOWN[this.#states[node]!] === 0) continue;
      eligible++;
      const end = dependenciesStart[node + 1]!;
      for (let i = dependenciesStart[node]!; i < end; i++) waitingOn[dependencies[i]!]!++;
    }
    this.#teardownsLeft = eligible;
    for (let node = 0; node < nodeCount; node++) {
      if (waitingOn[node] === 0 && AWAITING_TEARDOWN[this.#states[node]!] === 1) {
        this.#queueNode(node);
      }
    }
  }

  /** Starts a node's postExecute, or finishes its teardown if it has none (spec INV-10). */
  #tearDown(node: number): void {
    const task = this.#tasks[node];
    const post = task === undefined ? undefined : postExecuteOf(task);
    if (post === undefined) {
      this.#move(node, TE.finish);
      this.#tornDown(node);
    } else if (this.#mustQueue()) {
      this.#move(node, TE.queuePost, "postExecute");
      this.#slotQueue.push(node);
    } else {
      this.#move(node, TE.startPost, "postExecute");
      this.#startAttempt(node, "postExecute", post);
    }
  }

  #tornDown(node: number): void {
    this.#teardownsLeft--;
    const waitingOn = this.#teardownWaitingOn!;
    const { dependenciesStart, dependencies } = this.#plan;
    const end = dependenciesStart[node + 1]!;
    for (let i = dependenciesStart[node]!; i < end; i++) {
      const dependency = dependencies[i]!;
      if (--waitingOn[dependency]! === 0) this.#queueNode(dependency);
    }
  }

  /**
   * Starts a phase's first attempt, light (see {@link LightScope}), and promoted at once
   * unless the function returned a native promise that can be observed and timed.
   */
  #startAttempt(node: number, phase: PhaseName, given: PhaseFn<T>): void {
    const bare = typeof given === "function"; // a bare function runs with the defaults
    const timeoutMs = bare ? null : given.timeoutMs;
    this.#current[node] = AS.idle;
    this.#moveLight(node, phase, AE.start);
    let result: unknown;
    let native = false;
    let asked = false; // whether `result` was asked for its prototype: it is asked once
    try {
      result = (bare ? given : given.fn)(this.ctx, new LightScope(this, node, phase));
      // Unless the call promoted the attempt (the full attempt then asks the result itself),
      // the result is asked here whether it is a native promise. The entry is still a code
      // unless the call promoted it: nothing else can happen to an attempt inside its call.
      if (typeof this.#current[node] === "number") {
        asked = true;
        native = result instanceof Promise; // user code too: a Proxy's getPrototypeOf
      }
    } catch (error) {
      this.#promoteAfterCall(node, phase, true, error, false);
      return;
    }
    if (!native) {
      this.#promoteAfterCall(node, phase, false, result, asked);
      return;
    }
    if (this.#events !== undefined) this.#events.newMoment();
    let onTimeout: (() => void) | undefined;
    try {
      onTimeout = observeLight(this, node, phase, result as Promise<unknown>, timeoutMs !== null);
    } catch (error) {
      this.#promoteAfterCall(node, phase, true, error, false);
      return;
    }
    if (onTimeout !== undefined) this.#setLightTimer(node, phase, onTimeout, timeoutMs!);
  }

  /** The call threw, or gave what cannot be observed light: its full attempt takes over. */
  #promoteAfterCall(
    node: number,
    phase: PhaseName,
    threw: boolean,
    value: unknown,
    asked: boolean,
  ): void {
    this.promote(node, phase).afterCall(threw, value, asked);
  }

  /** Sets a light attempt's timeout timer; if the clock throws, the attempt fails (spec 5.2). */
  #setLightTimer(node: number, phase: PhaseName, onTimeout: () => void, ms: number): void {
    let handle: unknown;
    try {
      handle = this.setTimer(onTimeout, ms);
    } catch (clockError) {
      this.promote(node, phase).failOnClock(clockError);
      return;
    }
    if (this.#lightPhase(node) !== phase) {
      this.promote(node, phase).adoptTimeout(handle); // promoted from inside the clock's setTimeout
      return;
    }
    if (this.#lightTimerSet === undefined) {
      this.#lightTimerSet = new Uint8Array(this.#plan.nodeCount);
      this.#lightTimers = new Array<unknown>(this.#plan.nodeCount);
    }
    this.#lightTimerSet[node] = 1;
    this.#lightTimers![node] = handle;
  }

  /** Clears a light attempt's timeout timer, if set; returns what the clock threw, or `NO_ERROR`. */
  #clearLightTimer(node: number): unknown {
    const set = this.#lightTimerSet;
    if (set === undefined || set[node] === 0) return NO_ERROR;
    set[node] = 0;
    const handle = this.#lightTimers![node];
    this.#lightTimers![node] = undefined;
    return this.clearTimer(handle);
  }

  /** Moves a light attempt through the attempt table, reporting the transition. */
  #moveLight(node: number, phase: PhaseName, event: number): void {
    const from = this.#current[node] as number;
    const to = ATTEMPT_MACHINE.next(from, event);
    // Not `to < 0`: an entry that is a record, not a light attempt's code, gives NaN.
    if (!(to >= 0)) this.#illegalLightMove(node, phase, from, event);
    this.#current[node] = to;
    if (this.#events !== undefined) this.#lightMoved(node, phase, event, from, to);
  }

  #illegalLightMove(node: number, phase: PhaseName, from: number, event: number): never {
    throw ATTEMPT_MACHINE.illegal(from, event, `${this.taskName(node)} ${phase} #1`);
  }

  #lightMoved(node: number, phase: PhaseName, event: number, from: number, to: number): void {
    const { events, states } = ATTEMPT_MACHINE;
    this.#events!.attempt(
      this.taskName(node),
      phase,
      1,
      events[event]!,
      states[from]!,
      states[to]!,
      false,
      undefined,
    );
  }

  /**
   * Acts on whatever the engine has not yet seen of an attempt: its outcome, a failure of its
   * own after its cancellation, its end.
   */
  #reconcile(attempt: Attempt): void {
    if (attempt.seen === SEEN_NOTHING && attempt.outcome !== undefined) {
      attempt.seen = SEEN_DECIDED;
      this.#decided(attempt);
    }
    if (attempt.seen === SEEN_DECIDED && attempt.outcome === "failedAfterCancel") {
      attempt.seen = SEEN_FAILED_AFTER_CANCEL;
      this.#failPhase(attempt, true);
    }
    if (
      (attempt.seen === SEEN_DECIDED || attempt.seen === SEEN_FAILED_AFTER_CANCEL) &&
      ATTEMPT_ACTIVE[attempt.code] === 0
    ) {
      attempt.seen = SEEN_FINISHED;
      this.#finished(attempt);
    }
  }

  #decided(attempt: Attempt): void {
    const node = attempt.node;
    if (attempt.outcome === "succeeded") {
      attempt.seen = SEEN_FINISHED; // a success is settled: nothing more to act on
      this.#succeeded(node, attempt.phase, attempt.attempt);
      return;
    }
    if (attempt.attempt === 1) {
      this.#unsuccessfulFirst ??= new Array<Attempt | undefined>(3 * this.#plan.nodeCount);
      this.#unsuccessfulFirst[3 * node + phaseIndex(attempt.phase)] = attempt;
    }
    // Cancelled: the task moved to *Cancelling when it was cancelled; an own failure after it
    // is acted on by #reconcile.
    if (attempt.outcome === "cancelled" || attempt.outcome === "failedAfterCancel") return;
    attempt.retryDelayMs = judgeRetry(attempt, this.#random);
    if (attempt.retryDelayMs !== undefined) return; // retried once it settles (#finished)
    this.#failPhase(attempt, false);
  }

  /** A phase's attempt number `attempt` succeeded: so did the phase. */
  #succeeded(node: number, phase: PhaseName, attempt: number): void {
    this.#current[node] = undefined; // let it be collected young
    this.#move(node, TE.succeed, phase, undefined, attempt);
    if (attempt > 1) this.#succeededRetried(node, phase, attempt);
    if (phase === "preExecute") {
      this.#active--;
      this.#markReady(node);
    } else if (phase === "execute") {
      this.#active--;
    } else {
      this.#tornDown(node);
    }
  }

  #succeededRetried(node: number, phase: PhaseName, attempts: number): void {
    this.#retried = this.#retried ?? [];
    this.#retried.push({ task: this.#tasks[node]!.name, phase, attempts });
  }

  /** The phase fails with the attempt's error (spec INV-4, INV-14, INV-32). */
  #failPhase(attempt: Attempt, afterCancel: boolean): void {
    this.#move(attempt.node, TE.fail, attempt.phase, attempt.error, attempt.attempt);
    attempt.failureIndex = this.failures.length;
    // Frozen: a phase runner hands its failures out, and the report must stay what happened.
    this.failures.push(
      Object.freeze({
        task: attempt.task,
        phase: attempt.phase,
        error: attempt.error,
        attempts: attempt.attempt,
        afterCancel,
      }),
    );
    if (attempt.phase !== "postExecute") this.#failRun("fail");
  }

  #finished(attempt: Attempt): void {
    const node = attempt.node;
    const state = this.#states[node]!;
    if (attempt.code !== AS.ended) {
      this.#abandoned = this.#abandoned ?? [];
      this.#abandoned.push({
        task: attempt.task,
        phase: attempt.phase,
        attempts: attempt.attempt,
      });
    }
    if (UNSETTLED[state] === 1) {
      this.#endPhase(attempt);
    } else if (attempt.retryDelayMs !== undefined && RUNNING[state] === 1) {
      this.#scheduleRetry(attempt); // its phase fails here if the clock cannot set the delay
    }
    this.#reportLaterErrors(attempt);
  }

  /**
   * An attempt that settled or was abandoned, and whose phase failed with it: the errors of its
   * own that came after its outcome join its failure (spec section 4). A new entry, so a list
   * of failures handed out before (a phase runner's) does not change.
   */
  #reportLaterErrors(attempt: Attempt): void {
    const later = attempt.laterErrors;
    if (later.length === 0 || attempt.failureIndex < 0) return;
    const failure = this.failures[attempt.failureIndex]!;
    this.failures[attempt.failureIndex] = Object.freeze({
      ...failure,
      laterErrors: Object.freeze([...later]),
    });
  }

  /** A decided phase whose last attempt settled (or was abandoned, or never started) ends. */
  #endPhase(attempt: Attempt): void {
    const node = attempt.node;
    this.#move(node, attempt.code === AS.abandoned ? TE.abandon : TE.settle, attempt.phase);
    this.#phaseEnded(node, attempt.phase);
  }

  #phaseEnded(node: number, phase: PhaseName): void {
    if (phase === "postExecute") this.#tornDown(node);
    else this.#active--;
  }

  /**
   * The next attempt waits out its delay in `delayed` (spec INV-36). If the clock cannot set
   * the delay's timer there is no retry: the phase fails with both errors (spec 5.2).
   */
  #scheduleRetry(failed: Attempt): void {
    const node = failed.node;
    const delayMs = failed.retryDelayMs!;
    const next = new Attempt(this, node, failed.phase, failed.attempt + 1, failed.fn);
    try {
      next.delay(delayMs, () =>
        this.#events?.retry(failed.task, failed.phase, failed.attempt, delayMs, failed.error),
      );
    } catch (clockError) {
      failed.error = new AggregateError(
        [failed.error, clockError],
        `task ${quoted(failed.task)} ${failed.phase}: the clock threw setting the delay after attempt ${failed.attempt}`,
      );
      this.#failPhase(failed, false);
      this.#endPhase(failed);
      return;
    }
    this.#current[node] = next;
  }

  /**
   * The run begins failing (spec INV-4): every running preExecute and execute is cancelled.
   * `why`, for an abort, says what aborted it.
   */
  #failRun(event: "fail" | "abort", why = "its signal aborted"): void {
    if (!RUN_ABORTABLE[this.state]) return;
    this.#moveRun(event);
    const cause =
      event === "abort"
        ? why
        : `task ${quoted(this.failures.at(-1)?.task)} ${this.failures.at(-1)?.phase} failed`;
    const reason = new DOMException(`sdax run cancelled: ${cause}`, "AbortError");
    // Outcomes decided earlier in this step are acted on first, in the order they were
    // decided, so failures are listed in that order (INV-14), not in the sweep's node order.
    const queued = this.#attemptQueue;
    for (let k = 0; k < this.#attemptQueueSize; k++) {
      const attempt = queued[k];
      if (attempt !== undefined) this.#reconcile(attempt);
    }
    for (let node = 0; node < this.#plan.taskCount; node++) {
      const state = this.#states[node];
      // CANCELLABLE, spelled out because scripts/mutations.ts edits this line
      // (test/spec/lifecycle-sets.test.ts checks the two agree)
      if (state === TS.preRunning || state === TS.execRunning) this.#cancelTask(node, reason);
    }
    if (this.#slotHead < this.#slotQueue.length) this.#dropQueuedPhases();
  }

  #cancelTask(node: number, reason: DOMException): void {
    // An outcome decided but still queued is acted on first; it may have scheduled a retry,
    // so the attempt to cancel is the current one after that. (A light attempt has no outcome
    // that is not acted on at once.)
    const current = this.#current[node]!;
    if (current instanceof Attempt) this.#reconcile(current);
    const state = this.#states[node]!;
    if (CANCELLABLE[state] === 0) return;
    const latest = this.#current[node]!;
    const attempt = typeof latest === "number" ? this.promote(node, RUNNING_PHASE[state]!) : latest;
    this.#move(node, TE.cancel, attempt.phase);
    // A running attempt waits to settle; a delayed one ends at once, and so does the phase, in
    // this step (INV-23); a failed one still settling ends the phase when it settles.
    attempt.cancel(reason);
    this.#reconcile(attempt);
  }

  #abortRun(reason: unknown, why?: string, by: AbortedBy = "signal"): void {
    if (!RUN_ABORTABLE[this.state]) return;
    this.abort = { reason, by };
    this.#failRun("abort", why);
  }

  #removeAbortListener(): void {
    if (this.#onAbort !== undefined) unwatchAbort(this.#signal!, this.#onAbort);
  }

  #settle(): void {
    this.#removeAbortListener();
    this.#clearDeadline();
    this.#settledStop = true;
    this.#onStop();
  }

  #move(node: number, event: number, phase?: PhaseName, error?: unknown, attempts?: number): void {
    const from = this.#states[node]!;
    const to = TASK_MACHINE.next(from, event);
    if (to < 0) this.#illegalMove(node, from, event);
    this.#states[node] = to;
    this.#holding += HOLDS_SLOT[to]! - HOLDS_SLOT[from]!;
    if (this.#events !== undefined) this.#taskMoved(node, event, from, to, phase, error, attempts);
  }

  #illegalMove(node: number, from: number, event: number): never {
    throw TASK_MACHINE.illegal(from, event, this.#tasks[node]?.name);
  }

  #taskMoved(
    node: number,
    event: number,
    from: number,
    to: number,
    phase: PhaseName | undefined,
    error: unknown,
    attempts: number | undefined,
  ): void {
    if (node >= this.#plan.taskCount) return; // a level barrier: no task to report
    const { events, states } = TASK_MACHINE;
    this.#events!.task(
      this.#tasks[node]!.name,
      events[event]!,
      states[from]!,
      states[to]!,
      phase,
      error,
      attempts,
    );
  }

  #moveRun(event: RunEvent): void {
    const from = this.state;
    this.state = nextRunState(from, event);
    this.#events?.run(
      event,
      from,
      this.state,
      this.failures,
      this.abort,
      event === "start"
        ? { maxConcurrency: this.#limit, timeoutMs: this.#options.timeoutMs }
        : undefined,
    );
  }
}

/**
 * The signal's reason; for one that cannot be read (a getter replaced on the signal throws),
 * an error saying so, so the run still aborts (INV-33).
 */
function signalReason(signal: AbortSignal): unknown {
  try {
    return signal.reason;
  } catch (error) {
    return new Error("sdax run: its signal's reason could not be read", { cause: error });
  }
}
