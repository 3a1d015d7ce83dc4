import type {
  AttemptTransitionEvent,
  LifecycleEvent,
  RetryScheduledEvent,
  RunTransitionEvent,
  TaskTransitionEvent,
} from "../events/lifecycle-event.js";
import type { PhaseName } from "../functions/phase-name.js";
import type { Plan } from "../graph/plan.js";
import { ATTEMPT_TRANSITIONS, type AttemptState } from "../lifecycle/attempt-states.js";
import { RUN_TRANSITIONS, type RunState } from "../lifecycle/run-states.js";
import { TASK_TRANSITIONS, type TaskState } from "../lifecycle/task-states.js";
import type { TraceViolation } from "./check-trace.js";

const PHASES: readonly PhaseName[] = ["preExecute", "execute", "postExecute"];

/**
 * Times are checked as lower bounds (a timer never fires before its delay by the run's own
 * clock), exact up to floating-point rounding: a VirtualClock fires exactly on time and
 * `realClock` waits out any early firing of Node's timers, so this holds for both. Upper bounds
 * are not checked (real timers are late under load); tests on a VirtualClock assert exact times.
 */
function early(at: number, due: number): boolean {
  return at < due - 1e-9 * Math.max(1, Math.abs(due));
}
const PRE = 0;
const EXEC = 1;
const POST = 2;

function phaseIndex(phase: unknown): number {
  return phase === "preExecute"
    ? PRE
    : phase === "execute"
      ? EXEC
      : phase === "postExecute"
        ? POST
        : -1;
}

/** The phase a task state belongs to (-1 for states outside any phase). */
const STATE_PHASE: Readonly<Record<string, number>> = {
  preRunning: PRE,
  preFailing: PRE,
  preCancelling: PRE,
  execRunning: EXEC,
  execFailing: EXEC,
  execCancelling: EXEC,
  postRunning: POST,
  postFailing: POST,
};

/** States in which a preExecute or execute function may still be running. */
const PRE_EXEC_ACTIVE: ReadonlySet<string> = new Set([
  "preRunning",
  "preFailing",
  "preCancelling",
  "execRunning",
  "execFailing",
  "execCancelling",
]);

/** The task states allowed once a run settled. */
const FINAL: ReadonlySet<string> = new Set(["waiting", "skipped", "done", "postFailed"]);

/** Task events of the entry step (spec: the three ways of being entered). */
const ENTRY_EVENTS: ReadonlySet<string> = new Set(["startPre", "enter", "skip"]);

/** How a task was entered. */
const Entry = { None: 0, StartPre: 1, Enter: 2, Skip: 3 } as const;

interface AttemptRecord {
  state: AttemptState;
  /** Index of its `start` event. */
  readonly startIndex: number;
  readonly startAt: number;
  /** The event that decided it (`succeed`, `fail`, `timeout`, `cancel`), if any. */
  decidedBy: string | undefined;
  /** `at` of the deciding event. */
  decidedAt: number;
  /** `at` of the retry event reported after it, if any. */
  retryAt?: number;
  /** Index of its `settle` or `abandon` event. */
  endIndex?: number;
}

interface Failure {
  readonly task: string;
  readonly phase: unknown;
  readonly attempts: unknown;
  readonly errorName: unknown;
  readonly errorMessage: unknown;
  readonly event: LifecycleEvent;
}

function has<K extends string>(table: object, key: unknown): key is K {
  return typeof key === "string" && Object.hasOwn(table, key);
}

/**
 * Replays one run's events against the spec's tables and invariants. One instance per check;
 * every step is O(1) amortised except a few run steps that look at every task once, so a check
 * costs O(events + tasks + edges). Barriers of level mode are replayed as nodes too (they emit
 * no events): a barrier is ready when its whole lower level is, and torn down when every
 * entered task of its upper level is.
 */
export class TraceChecker<T> {
  readonly #plan: Plan<T>;
  readonly #n: number;
  readonly #violations: TraceViolation[] = [];
  #events: readonly LifecycleEvent[] = [];
  #i = 0;

  // Replayed states.
  #run: RunState = "idle";
  readonly #task: TaskState[];
  readonly #attempts = new Map<string, AttemptRecord>();

  // What each task has and did.
  readonly #has: Uint8Array;
  readonly #entry: Uint8Array;
  readonly #phaseStarts: Uint8Array;
  readonly #lastAttempt: Int32Array;
  /** Per task and phase: the attempt a retry event was reported for (0: none yet). */
  readonly #retryFor: Int32Array;
  /** Per task and phase: `delayMs` and `at` of its latest retry event. */
  readonly #retryDelay: Float64Array;
  readonly #retryAt: Float64Array;
  /** Per task and phase: 1 once the phase was cancelled. */
  readonly #cancelled: Uint8Array;
  /** Per task and phase: event index of the task event that started the phase. */
  readonly #phaseStartIndex: Int32Array;

  // INV-2: entry order, through barriers.
  readonly #depsLeft: Int32Array;
  readonly #nodeReady: Uint8Array;
  readonly #enabledAt: Int32Array;
  readonly #isPending: Uint8Array;
  #pending: number[] = [];
  #pendingHead = 0;
  #pendingCount = 0;

  // Run-level bookkeeping.
  #startIndex = -1;
  #abortedAtStart = false;
  #aborted = false;
  #settledIndex = -1;
  #expectRunFail = -1;
  #expectDelaySettle = -1;
  readonly #failures: Failure[] = [];
  /** Tasks in preRunning or execRunning. */
  readonly #runningTasks = new Set<number>();
  /** Attempts of preExecute or execute that are running or settling. */
  #activeAttempts = 0;
  /** INV-4: the tasks that must be cancelled in the step the run began failing. */
  #sweep: number[] | undefined;
  #sweepIndex = -1;
  /** INV-5: the execute step. */
  #execStepIndex = -1;
  #execStarted = 0;
  #execStepOpen = false;
  // INV-10: teardown order.
  #teardownWait: Int32Array | undefined;
  #eligible: Uint8Array | undefined;

  constructor(plan: Plan<T>) {
    this.#plan = plan;
    const n = plan.taskCount;
    this.#n = n;
    this.#task = new Array<TaskState>(n).fill("waiting");
    this.#has = new Uint8Array(n * 3);
    plan.tasks.forEach((t, i) => {
      this.#has[i * 3 + PRE] = t.preExecute ? 1 : 0;
      this.#has[i * 3 + EXEC] = t.execute ? 1 : 0;
      this.#has[i * 3 + POST] = t.postExecute ? 1 : 0;
    });
    this.#entry = new Uint8Array(n);
    this.#phaseStarts = new Uint8Array(n * 3);
    this.#lastAttempt = new Int32Array(n * 3);
    this.#retryFor = new Int32Array(n * 3);
    this.#retryDelay = new Float64Array(n * 3);
    this.#retryAt = new Float64Array(n * 3);
    this.#cancelled = new Uint8Array(n * 3);
    this.#phaseStartIndex = new Int32Array(n * 3).fill(-1);
    this.#depsLeft = plan.dependencyCount.slice();
    this.#nodeReady = new Uint8Array(plan.nodeCount);
    this.#enabledAt = new Int32Array(n).fill(-1);
    this.#isPending = new Uint8Array(n);
  }

  check(events: readonly LifecycleEvent[]): TraceViolation[] {
    this.#events = events;
    if (events.length === 0) {
      this.#report("INV-18", "the trace is empty: a run reports at least its first transition", []);
      return this.#violations;
    }
    for (this.#i = 0; this.#i < events.length; this.#i++) {
      const e = events[this.#i]!;
      this.#checkOrder(e);
      this.#closeSteps(e);
      switch (e.type) {
        case "run":
          this.#onRun(e);
          break;
        case "task":
          this.#onTask(e);
          break;
        case "attempt":
          this.#onAttempt(e);
          break;
        case "retry":
          this.#onRetry(e);
          break;
        default:
          this.#report(
            "INV-18",
            `unknown event type ${JSON.stringify((e as { type?: unknown }).type)}`,
            [e],
          );
      }
    }
    this.#i = events.length;
    this.#closeSteps(undefined);
    this.#atEnd();
    return this.#violations;
  }

  // ---------------------------------------------------------------- helpers

  #report(invariant: string, message: string, events: readonly LifecycleEvent[]): void {
    this.#violations.push({ invariant, message, events });
  }

  #name(node: number): string {
    return this.#plan.tasks[node]!.name;
  }

  #at(index: number): string {
    const e = this.#events[index];
    return e === undefined ? "end of trace" : `seq ${e.seq}`;
  }

  #isBarrier(node: number): boolean {
    return node >= this.#n;
  }

  // ---------------------------------------------------------------- INV-18

  #checkOrder(e: LifecycleEvent): void {
    const i = this.#i;
    if (typeof e !== "object" || e === null) return;
    if (i === 0) {
      if (!(e.type === "run" && e.from === "idle")) {
        this.#report("INV-18", "the first event must be the run's transition out of idle", [e]);
      }
      if (e.seq !== 0) this.#report("INV-18", `the first event has seq ${e.seq}, expected 0`, [e]);
    } else {
      const prev = this.#events[i - 1]!;
      if (e.seq !== prev.seq + 1) {
        this.#report(
          "INV-18",
          `seq ${e.seq} follows seq ${prev.seq}: seq must rise by one per event`,
          [prev, e],
        );
      }
    }
    if (this.#settledIndex >= 0 && !(e.type === "attempt" && e.event === "lateSettle")) {
      this.#report(
        "INV-18",
        `${describe(e)} follows the run's settled transition; only late settlements of abandoned functions may`,
        [this.#events[this.#settledIndex]!, e],
      );
    }
  }

  // ---------------------------------------------------------------- steps (INV-2, INV-4, INV-5)

  /**
   * Closes the synchronous steps that `e` cannot be part of, checking that each did what it
   * must do within the step. `e` undefined: the end of the trace.
   */
  #closeSteps(e: LifecycleEvent | undefined): void {
    // INV-4: a task that fails a pre/exec phase moves the run to failing at once.
    if (this.#expectRunFail >= 0 && this.#expectRunFail === this.#i - 1) {
      if (!(e?.type === "run" && e.event === "fail")) {
        const failed = this.#events[this.#expectRunFail]!;
        this.#report(
          "INV-4",
          `${describe(failed)} but the run did not move to failing in the same step (next: ${e === undefined ? "end of trace" : describe(e)})`,
          e === undefined ? [failed] : [failed, e],
        );
      }
      this.#expectRunFail = -1;
    }
    if (this.#expectDelaySettle >= 0 && this.#expectDelaySettle === this.#i - 1) {
      const cancel = this.#events[this.#expectDelaySettle] as TaskTransitionEvent;
      if (!(e?.type === "task" && e.task === cancel.task && e.event === "settle")) {
        this.#report(
          "INV-23",
          `task "${cancel.task}" ${String(cancel.phase)} was cancelled during a retry delay but did not settle in the same step`,
          e === undefined ? [cancel] : [cancel, e],
        );
      }
      this.#expectDelaySettle = -1;
    }
    if (this.#sweep !== undefined && (e === undefined || !inSweep(e))) this.#closeSweep(e);
    if (this.#execStepOpen && (e === undefined || !this.#inExecStep(e))) this.#closeExecStep(e);
    if (this.#pendingCount > 0 && (e === undefined || this.#closesEntryTurn(e))) {
      this.#closeEntryTurn(e);
    }
  }

  #closeSweep(e: LifecycleEvent | undefined): void {
    const sweep = this.#sweep!;
    this.#sweep = undefined;
    const start = this.#events[this.#sweepIndex]!;
    for (const node of sweep) {
      const state = this.#task[node]!;
      if (state === "preRunning" || state === "execRunning") {
        const byExecute =
          start.type === "run" &&
          start.event === "fail" &&
          this.#failures.at(-1)?.phase === "execute" &&
          state === "execRunning";
        this.#report(
          byExecute ? "INV-6" : "INV-4",
          `task "${this.#name(node)}" was still ${state} after the step in which the run began failing (${describe(start)}); every running preExecute and execute must be cancelled in that step`,
          e === undefined ? [start] : [start, e],
        );
      }
    }
  }

  #inExecStep(e: LifecycleEvent): boolean {
    if (e.type === "task") return e.event === "startExec";
    if (e.type === "attempt") {
      if (e.phase !== "execute") return false;
      const record = this.#attempts.get(attemptKey(e.task, e.phase, e.attempt));
      return (
        e.event === "start" || (record !== undefined && record.startIndex > this.#execStepIndex)
      );
    }
    return false;
  }

  #closeExecStep(e: LifecycleEvent | undefined): void {
    this.#execStepOpen = false;
    const executeNodes = this.#plan.executeNodes;
    if (this.#execStarted >= executeNodes.length) return;
    const missing: string[] = [];
    for (const node of executeNodes) {
      if (this.#phaseStarts[node * 3 + EXEC] === 0) missing.push(this.#name(node));
    }
    const step = this.#events[this.#execStepIndex]!;
    this.#report(
      "INV-5",
      `execute of ${listNames(missing)} did not start in the step the run began executing (${describe(step)}); every execute starts in that one step`,
      e === undefined ? [step] : [step, e],
    );
  }

  /** True if `e` cannot happen in the synchronous step that enters newly enabled tasks. */
  #closesEntryTurn(e: LifecycleEvent): boolean {
    const failing = this.#run === "failing";
    switch (e.type) {
      case "run":
        return e.event !== "abort" && e.event !== "fail";
      case "retry":
        return !failing;
      case "task":
        if (ENTRY_EVENTS.has(e.event)) return false;
        if (e.event === "startExec" || e.event === "startPost" || e.event === "finish") return true;
        return !failing;
      case "attempt": {
        const record = this.#attempts.get(attemptKey(e.task, e.phase, e.attempt));
        const oldest = this.#oldestPending();
        if (e.event === "start" || (record !== undefined && record.startIndex > oldest))
          return false;
        return !(failing && e.event === "cancel");
      }
      default:
        return false;
    }
  }

  #oldestPending(): number {
    while (this.#pendingHead < this.#pending.length) {
      const node = this.#pending[this.#pendingHead]!;
      if (this.#isPending[node] === 1) {
        return this.#enabledAt[node]!;
      }
      this.#pendingHead++;
    }
    return Number.POSITIVE_INFINITY;
  }

  #closeEntryTurn(e: LifecycleEvent | undefined): void {
    const late: string[] = [];
    const involved: LifecycleEvent[] = [];
    for (let k = this.#pendingHead; k < this.#pending.length; k++) {
      const node = this.#pending[k]!;
      if (this.#isPending[node] === 0) continue;
      this.#isPending[node] = 0;
      late.push(this.#name(node));
      if (involved.length < 8) involved.push(this.#events[this.#enabledAt[node]!]!);
    }
    this.#pending = [];
    this.#pendingHead = 0;
    this.#pendingCount = 0;
    if (late.length === 0) return;
    if (e !== undefined) involved.push(e);
    this.#report(
      "INV-2",
      `${listNames(late)} had every dependency ready but ${late.length === 1 ? "was" : "were"} not entered in the same step (${e === undefined ? "the trace ended" : `${describe(e)} came first`})`,
      involved,
    );
  }

  /** Node `node` has every dependency ready: a task is now enterable, a barrier ready. */
  #enable(node: number): void {
    const work = [node];
    while (work.length > 0) {
      const x = work.pop()!;
      if (!this.#isBarrier(x)) {
        if (this.#enabledAt[x]! < 0) {
          this.#enabledAt[x] = this.#i;
          if (this.#entry[x] === Entry.None) {
            this.#isPending[x] = 1;
            this.#pending.push(x);
            this.#pendingCount++;
          }
        }
        continue;
      }
      this.#nodeReady[x] = 1;
      this.#forDependents(x, (d) => {
        if (--this.#depsLeft[d]! === 0) work.push(d);
      });
    }
  }

  /** Task `node` reached ready: its dependents may become enterable. */
  #markReady(node: number): void {
    if (this.#nodeReady[node] === 1) return;
    this.#nodeReady[node] = 1;
    this.#forDependents(node, (d) => {
      if (--this.#depsLeft[d]! === 0) this.#enable(d);
    });
  }

  #forDependents(node: number, f: (dependent: number) => void): void {
    const { dependentsStart, dependents } = this.#plan;
    const end = dependentsStart[node + 1]!;
    for (let k = dependentsStart[node]!; k < end; k++) f(dependents[k]!);
  }

  #forDependencies(node: number, f: (dependency: number) => void): void {
    const { dependenciesStart, dependencies } = this.#plan;
    const end = dependenciesStart[node + 1]!;
    for (let k = dependenciesStart[node]!; k < end; k++) f(dependencies[k]!);
  }

  /** The names of tasks `node` depends on (through barriers) that have not reached ready. */
  #unreadyDependencies(node: number): string[] {
    const names: string[] = [];
    const seen = new Set<number>();
    const work: number[] = [];
    this.#forDependencies(node, (d) => work.push(d));
    while (work.length > 0 && names.length < 5) {
      const d = work.pop()!;
      if (seen.has(d) || this.#nodeReady[d] === 1) continue;
      seen.add(d);
      if (this.#isBarrier(d)) this.#forDependencies(d, (dd) => work.push(dd));
      else names.push(this.#name(d));
    }
    return names;
  }

  // ---------------------------------------------------------------- run events

  #onRun(e: RunTransitionEvent): void {
    const from = this.#run;
    let to: RunState | undefined;
    if (e.from !== from) {
      this.#report("INV-1", `run ${describe(e)} but the run was ${from}`, [e]);
    }
    if (has(RUN_TRANSITIONS, from)) {
      const row = RUN_TRANSITIONS[from] as Partial<Record<string, RunState>>;
      to = has(row, e.event) ? row[e.event] : undefined;
    }
    if (to === undefined) {
      this.#report("INV-1", `illegal run transition ${from} --${e.event}-->`, [e]);
      if (e.event === "abort" && (from === "cleaningUp" || from === "settled")) {
        this.#report(
          "INV-19",
          `the run was aborted in ${from}: the signal is observed only until cleanup`,
          [e],
        );
      }
      to = has(RUN_TRANSITIONS, e.to) ? e.to : from;
    } else if (e.to !== to) {
      this.#report(
        "INV-1",
        `run ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    this.#run = to;
    switch (e.event) {
      case "start":
        this.#startIndex = this.#i;
        for (const root of this.#plan.roots) {
          if (this.#depsLeft[root] === 0) this.#enable(root);
        }
        break;
      case "abort":
        this.#aborted = true;
        if (this.#startIndex >= 0 && this.#i === this.#startIndex + 1) {
          // INV-17: aborted before it started; nothing may be entered.
          this.#abortedAtStart = true;
          for (let k = this.#pendingHead; k < this.#pending.length; k++) {
            this.#enabledAt[this.#pending[k]!] = -1;
            this.#isPending[this.#pending[k]!] = 0;
          }
          this.#pending = [];
          this.#pendingHead = 0;
          this.#pendingCount = 0;
        }
        this.#beginSweep();
        break;
      case "fail": {
        const prev = this.#events[this.#i - 1];
        if (!(prev?.type === "task" && prev.event === "fail" && prev.phase !== "postExecute")) {
          this.#report(
            "INV-4",
            "the run moved to failing without a preExecute or execute failure just before",
            prev === undefined ? [e] : [prev, e],
          );
        }
        this.#beginSweep();
        break;
      }
      case "allEntered":
        this.#checkAllReady("INV-2", "every task was entered", e);
        break;
      case "execute":
        this.#checkAllReady("INV-5", "execute began", e);
        this.#execStepIndex = this.#i;
        this.#execStepOpen = true;
        this.#execStarted = 0;
        break;
      case "allExecuted":
        for (const node of this.#plan.executeNodes) {
          if (this.#task[node] !== "executed") {
            this.#report(
              "INV-11",
              `the run reported every execute done while task "${this.#name(node)}" was ${this.#task[node]}`,
              [e],
            );
          }
        }
        break;
      case "quiesce":
        this.#checkQuiet("the run reached failed", e);
        break;
      case "cleanup":
        this.#checkQuiet("cleanup began", e);
        this.#beginTeardown();
        break;
      default:
        break;
    }
    if (to === "settled") this.#onSettled(e);
    if (this.#abortedAtStart && e.event !== "start" && e.event !== "abort") {
      const expected: Partial<Record<string, string>> = {
        2: "quiesce",
        3: "cleanup",
        4: "allTornDown",
      };
      const k = this.#i - this.#startIndex;
      if (expected[k] !== e.event) {
        this.#report(
          "INV-17",
          `a run aborted before it started must report start, abort, quiesce, cleanup, allTornDown; got ${e.event} as event ${k + 1}`,
          [e],
        );
      }
    }
  }

  #checkAllReady(invariant: string, what: string, e: LifecycleEvent): void {
    const notReady: string[] = [];
    for (let node = 0; node < this.#n; node++) {
      if (this.#task[node] !== "ready")
        notReady.push(`"${this.#name(node)}" (${this.#task[node]})`);
    }
    if (notReady.length > 0) {
      this.#report(
        invariant,
        `${what} while not every task was ready: ${notReady.slice(0, 8).join(", ")}${notReady.length > 8 ? ", ..." : ""}`,
        [e],
      );
    }
  }

  #checkQuiet(what: string, e: LifecycleEvent): void {
    const busy: string[] = [];
    for (let node = 0; node < this.#n; node++) {
      if (PRE_EXEC_ACTIVE.has(this.#task[node]!))
        busy.push(`"${this.#name(node)}" (${this.#task[node]})`);
    }
    if (busy.length > 0 || this.#activeAttempts > 0) {
      this.#report(
        "INV-11",
        `${what} while preExecute or execute functions were still running: ${busy.length > 0 ? busy.slice(0, 8).join(", ") : `${this.#activeAttempts} attempt(s)`}`,
        [e],
      );
    }
  }

  #beginSweep(): void {
    this.#sweep = [...this.#runningTasks];
    this.#sweepIndex = this.#i;
  }

  /** Cleanup began: which nodes await teardown, and how many teardowns each waits for. */
  #beginTeardown(): void {
    const nodeCount = this.#plan.nodeCount;
    const eligible = new Uint8Array(nodeCount);
    const wait = new Int32Array(nodeCount);
    for (let node = 0; node < nodeCount; node++) {
      const awaits = this.#isBarrier(node)
        ? this.#nodeReady[node] === 1
        : TASK_TRANSITIONS[this.#task[node]!]?.finish !== undefined;
      if (!awaits) continue;
      eligible[node] = 1;
      this.#forDependencies(node, (d) => {
        wait[d]!++;
      });
    }
    this.#eligible = eligible;
    this.#teardownWait = wait;
    // A barrier whose entered upper level is empty (all skipped) finishes at once.
    for (let node = this.#n; node < nodeCount; node++) {
      if (eligible[node] === 1 && wait[node] === 0) this.#tornDown(node);
    }
  }

  /** Task `node` finished its teardown: release its dependencies, through barriers. */
  #tornDown(node: number): void {
    const wait = this.#teardownWait;
    if (wait === undefined) return;
    const work = [node];
    while (work.length > 0) {
      const x = work.pop()!;
      this.#forDependencies(x, (d) => {
        if (--wait[d]! === 0 && this.#isBarrier(d) && this.#eligible![d] === 1) work.push(d);
      });
    }
  }

  /** Names of entered dependents of `node` (through barriers) whose teardown has not finished. */
  #unfinishedDependents(node: number): string[] {
    const names: string[] = [];
    const seen = new Set<number>();
    const work: number[] = [];
    this.#forDependents(node, (d) => work.push(d));
    while (work.length > 0 && names.length < 5) {
      const d = work.pop()!;
      if (seen.has(d) || this.#eligible?.[d] !== 1) continue;
      seen.add(d);
      if (this.#isBarrier(d)) this.#forDependents(d, (dd) => work.push(dd));
      else if (this.#task[d] !== "done" && this.#task[d] !== "postFailed")
        names.push(this.#name(d));
    }
    return names;
  }

  #onSettled(e: RunTransitionEvent): void {
    this.#settledIndex = this.#i;
    // INV-13: nothing left running, every eligible teardown finished.
    const open: string[] = [];
    for (let node = 0; node < this.#n; node++) {
      if (!FINAL.has(this.#task[node]!)) open.push(`"${this.#name(node)}" (${this.#task[node]})`);
    }
    if (open.length > 0) {
      this.#report(
        "INV-13",
        `the run settled while tasks had not finished: ${open.slice(0, 8).join(", ")}${open.length > 8 ? ", ..." : ""}`,
        [e],
      );
    }
    const running: string[] = [];
    for (const [key, record] of this.#attempts) {
      if (record.state === "running" || record.state === "settling")
        running.push(key.replaceAll("\u0000", " "));
    }
    if (running.length > 0) {
      this.#report(
        "INV-13",
        `the run settled while functions were still running: ${running.slice(0, 8).join(", ")}`,
        [e],
      );
    }
    // INV-14: the report equals the failed phases; the outcome follows.
    const reported = Array.isArray(e.failures) ? e.failures : undefined;
    if (reported === undefined) {
      this.#report("INV-14", "the settled transition carries no failures list", [e]);
    } else {
      const n = Math.max(reported.length, this.#failures.length);
      for (let k = 0; k < n; k++) {
        const want = this.#failures[k];
        const got = reported[k];
        if (want === undefined) {
          this.#report(
            "INV-14",
            `the report lists failure #${k + 1} (task "${got?.task}" ${got?.phase}) that no fail event reported`,
            [e],
          );
          continue;
        }
        if (got === undefined) {
          this.#report(
            "INV-14",
            `the report misses failure #${k + 1}: task "${want.task}" ${String(want.phase)}`,
            [want.event, e],
          );
          continue;
        }
        if (
          got.task !== want.task ||
          got.phase !== want.phase ||
          got.attempts !== want.attempts ||
          got.error?.name !== want.errorName ||
          got.error?.message !== want.errorMessage
        ) {
          this.#report(
            "INV-14",
            `failure #${k + 1} of the report is task "${got.task}" ${got.phase} (attempts ${got.attempts}, ${got.error?.name}: ${got.error?.message}); the failed phases say task "${want.task}" ${String(want.phase)} (attempts ${String(want.attempts)}, ${String(want.errorName)}: ${String(want.errorMessage)})`,
            [want.event, e],
          );
        }
      }
    }
    const failed = this.#failures.length > 0 || this.#aborted;
    const outcome = failed ? "failed" : "succeeded";
    if (e.outcome !== outcome) {
      this.#report(
        "INV-14",
        `the run settled with outcome ${String(e.outcome)}, expected ${outcome} (${this.#failures.length} failed phase(s)${this.#aborted ? ", aborted" : ""})`,
        [e],
      );
    }
    if (e.aborted !== this.#aborted) {
      this.#report(
        "INV-14",
        `the run settled with aborted ${String(e.aborted)}, but ${this.#aborted ? "an" : "no"} abort transition was reported`,
        [e],
      );
    }
  }

  // ---------------------------------------------------------------- task events

  #onTask(e: TaskTransitionEvent): void {
    const node = this.#plan.indexOf.get(e.task);
    if (node === undefined || node >= this.#n) {
      this.#report("INV-1", `task event for "${e.task}", which is not a task of this processor`, [
        e,
      ]);
      return;
    }
    const from = this.#task[node]!;
    if (e.from !== from) {
      this.#report("INV-1", `task "${e.task}" ${e.from} --${e.event}--> but the task was ${from}`, [
        e,
      ]);
    }
    const row = TASK_TRANSITIONS[from] as Partial<Record<string, TaskState>>;
    let to = has(row, e.event) ? row[e.event] : undefined;
    if (to === undefined) {
      this.#report("INV-1", `illegal task transition ${from} --${e.event}--> for "${e.task}"`, [e]);
      to = has(TASK_TRANSITIONS, e.to) ? e.to : from;
    } else if (e.to !== to) {
      this.#report(
        "INV-1",
        `task "${e.task}" ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    this.#checkTaskPhase(e, from);
    const name = e.task;
    const i3 = node * 3;
    switch (e.event) {
      case "startPre":
      case "enter":
      case "skip":
        this.#onEntry(e, node);
        break;
      case "startExec":
        this.#startPhase(node, EXEC, e);
        if (this.#run !== "executing" || !this.#execStepOpen) {
          this.#report(
            "INV-5",
            `execute of "${name}" started ${this.#run === "executing" ? "after the execute step" : `while the run was ${this.#run}`}; executes start only in the step the run begins executing, when every preExecute succeeded`,
            [e],
          );
        } else {
          this.#execStarted++;
        }
        if (this.#has[i3 + EXEC] === 0)
          this.#report("INV-5", `execute started for "${name}", which has none`, [e]);
        break;
      case "startPost":
      case "finish":
        this.#onTeardown(e, node);
        break;
      case "cancel": {
        const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
        if (p === POST || e.phase === "postExecute") {
          this.#report(
            "INV-12",
            `the postExecute of "${name}" was cancelled; a postExecute is never aborted`,
            [e],
          );
        } else if (this.#run !== "failing") {
          this.#report(
            "INV-4",
            `task "${name}" ${String(e.phase)} was cancelled while the run was ${this.#run}; only a failing run cancels`,
            [e],
          );
        }
        if (p >= 0) {
          this.#cancelled[i3 + p] = 1;
          const last = this.#lastAttempt[i3 + p]!;
          const record = this.#attempts.get(attemptKey(name, PHASES[p]!, last));
          if (record !== undefined && record.state !== "running" && record.state !== "settling") {
            // Cancelled during a retry delay: the phase ends in this same step (INV-23).
            this.#expectDelaySettle = this.#i;
          }
        }
        break;
      }
      case "settle":
      case "abandon": {
        const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
        if (p < 0) break;
        const last = this.#lastAttempt[i3 + p]!;
        const record = this.#attempts.get(attemptKey(name, PHASES[p]!, last));
        if (record !== undefined && (record.state === "running" || record.state === "settling")) {
          this.#report(
            "INV-27",
            `task "${name}" ${PHASES[p]} ${e.event}d while its attempt ${last} was still ${record.state}`,
            [this.#events[record.startIndex]!, e],
          );
        } else if (e.event === "abandon" && record !== undefined && record.state === "ended") {
          this.#report(
            "INV-27",
            `task "${name}" ${PHASES[p]} was abandoned but its attempt ${last} settled`,
            [e],
          );
        }
        break;
      }
      case "succeed":
      case "fail":
        this.#onOutcome(e, node, from);
        break;
      default:
        break;
    }
    this.#task[node] = to;
    if (to === "preRunning" || to === "execRunning") this.#runningTasks.add(node);
    else this.#runningTasks.delete(node);
    if (to === "ready" && from !== "ready") this.#markReady(node);
    if ((to === "done" || to === "postFailed") && from !== to) this.#tornDown(node);
  }

  #checkTaskPhase(e: TaskTransitionEvent, from: TaskState): void {
    let expected: PhaseName | undefined;
    switch (e.event) {
      case "startPre":
        expected = "preExecute";
        break;
      case "startExec":
        expected = "execute";
        break;
      case "startPost":
        expected = "postExecute";
        break;
      case "enter":
      case "skip":
      case "finish":
        expected = undefined;
        break;
      default: {
        const p = STATE_PHASE[from];
        expected = p === undefined ? undefined : PHASES[p];
      }
    }
    if (expected !== undefined && e.phase !== expected) {
      this.#report(
        "INV-1",
        `task "${e.task}" ${e.event} names phase ${String(e.phase)}; in state ${from} it concerns ${expected}`,
        [e],
      );
    }
  }

  #startPhase(node: number, p: number, e: LifecycleEvent): void {
    const k = node * 3 + p;
    if (this.#phaseStarts[k]! > 0) {
      this.#report(
        "INV-16",
        `the ${PHASES[p]} of "${this.#name(node)}" started a second time (first at ${this.#at(this.#phaseStartIndex[k]!)})`,
        [this.#events[this.#phaseStartIndex[k]!]!, e],
      );
    } else {
      this.#phaseStartIndex[k] = this.#i;
    }
    this.#phaseStarts[k] = Math.min(255, this.#phaseStarts[k]! + 1);
  }

  #onEntry(e: TaskTransitionEvent, node: number): void {
    const name = e.task;
    if (this.#entry[node] !== Entry.None) {
      this.#report("INV-16", `task "${name}" was entered twice`, [e]);
    }
    this.#entry[node] =
      e.event === "startPre" ? Entry.StartPre : e.event === "enter" ? Entry.Enter : Entry.Skip;
    if (this.#abortedAtStart) {
      this.#report(
        "INV-17",
        `task "${name}" was entered although the run was aborted before it started`,
        [e],
      );
    }
    if (this.#depsLeft[node]! > 0) {
      const missing = this.#unreadyDependencies(node);
      this.#report(
        "INV-2",
        `task "${name}" was entered (${e.event}) before ${listNames(missing)} completed preExecute${this.#plan.mode === "levels" ? " (the next lower level was not all ready)" : ""}`,
        [e],
      );
    } else if (this.#isPending[node] === 1) {
      this.#isPending[node] = 0;
      this.#pendingCount--;
    }
    const hasPre = this.#has[node * 3 + PRE] === 1;
    if (e.event === "startPre") {
      this.#startPhase(node, PRE, e);
      if (!hasPre) this.#report("INV-3", `preExecute started for "${name}", which has none`, [e]);
      if (this.#run !== "entering") {
        this.#report(
          "INV-3",
          `the preExecute of "${name}" started while the run was ${this.#run}; once failing, a task with preExecute is skipped`,
          [e],
        );
      }
    } else if (e.event === "skip") {
      if (!hasPre) {
        this.#report(
          "INV-3",
          `task "${name}" has no preExecute, so it must be entered, not skipped`,
          [e],
        );
      } else if (this.#run === "entering") {
        this.#report("INV-3", `task "${name}" was skipped while the run was not failing`, [e]);
      }
    } else if (hasPre) {
      this.#report(
        "INV-3",
        `task "${name}" has a preExecute but was entered without starting or skipping it`,
        [e],
      );
    }
  }

  #onTeardown(e: TaskTransitionEvent, node: number): void {
    const name = e.task;
    const hasPost = this.#has[node * 3 + POST] === 1;
    if (e.event === "startPost") {
      this.#startPhase(node, POST, e);
      if (!hasPost) this.#report("INV-7", `postExecute started for "${name}", which has none`, [e]);
    } else if (hasPost) {
      this.#report("INV-7", `the teardown of "${name}" finished without starting its postExecute`, [
        e,
      ]);
    }
    const entry = this.#entry[node]!;
    if (entry === Entry.None || entry === Entry.Skip) {
      this.#report(
        "INV-9",
        `${e.event === "startPost" ? "postExecute started" : "teardown finished"} for "${name}", which was ${entry === Entry.Skip ? "skipped" : "never entered"}`,
        [e],
      );
    }
    if (this.#run !== "cleaningUp") {
      this.#report(
        "INV-11",
        `${e.event === "startPost" ? "postExecute of" : "teardown of"} "${name}" began while the run was ${this.#run}; teardown starts only in cleaningUp`,
        [e],
      );
    }
    // Its own earlier phases must have ended (INV-11).
    for (const p of [PRE, EXEC]) {
      const last = this.#lastAttempt[node * 3 + p]!;
      if (last === 0) continue;
      const record = this.#attempts.get(attemptKey(name, PHASES[p]!, last));
      if (record !== undefined && (record.state === "running" || record.state === "settling")) {
        this.#report(
          "INV-11",
          `teardown of "${name}" began while its ${PHASES[p]} attempt ${last} was still ${record.state}`,
          [this.#events[record.startIndex]!, e],
        );
      }
    }
    const wait = this.#teardownWait;
    if (wait !== undefined && wait[node]! > 0) {
      const waiting = this.#unfinishedDependents(node);
      this.#report(
        "INV-10",
        `${e.event === "startPost" ? "postExecute of" : "teardown of"} "${name}" began before the teardown of its dependent(s) ${listNames(waiting)} finished${this.#plan.mode === "levels" ? " (a level above had not finished)" : ""}`,
        [e],
      );
    }
  }

  #onOutcome(e: TaskTransitionEvent, node: number, from: TaskState): void {
    const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
    if (p < 0) return;
    const name = e.task;
    const last = this.#lastAttempt[node * 3 + p]!;
    if (e.attempts !== last) {
      this.#report(
        "INV-21",
        `task "${name}" ${PHASES[p]} ${e.event} reports attempts ${String(e.attempts)}, but ${last} attempt(s) started`,
        [e],
      );
    }
    if (last > 0) {
      const record = this.#attempts.get(attemptKey(name, PHASES[p]!, last));
      const want = e.event === "succeed" ? ["succeed"] : ["fail", "timeout"];
      if (record !== undefined && !want.includes(record.decidedBy ?? "")) {
        this.#report(
          "INV-20",
          `task "${name}" ${PHASES[p]} ${e.event}, but its attempt ${last} was ${record.decidedBy === undefined ? "not decided" : `decided by ${record.decidedBy}`}`,
          [this.#events[record.startIndex]!, e],
        );
      }
    }
    if (e.event !== "fail") return;
    this.#failures.push({
      task: name,
      phase: e.phase,
      attempts: e.attempts,
      errorName: e.error?.name,
      errorMessage: e.error?.message,
      event: e,
    });
    if (p !== POST) {
      const r = this.#run;
      if (r === "entering" || r === "entered" || r === "executing" || r === "executed") {
        this.#expectRunFail = this.#i;
      }
    } else if (this.#run !== "cleaningUp") {
      this.#report("INV-11", `postExecute of "${name}" failed while the run was ${this.#run}`, [e]);
    }
  }

  // ---------------------------------------------------------------- attempt events

  #onAttempt(e: AttemptTransitionEvent): void {
    const node = this.#plan.indexOf.get(e.task);
    const p = phaseIndex(e.phase);
    if (node === undefined || node >= this.#n || p < 0) {
      this.#report(
        "INV-1",
        `attempt event for "${e.task}" ${String(e.phase)}, which is not a phase of this processor`,
        [e],
      );
      return;
    }
    const key = attemptKey(e.task, e.phase, e.attempt);
    const record = this.#attempts.get(key);
    const from: AttemptState = record?.state ?? "idle";
    if (e.from !== from) {
      this.#report(
        "INV-20",
        `attempt ${e.attempt} of "${e.task}" ${e.phase}: ${e.from} --${e.event}--> but the attempt was ${from}`,
        [e],
      );
    }
    const row = ATTEMPT_TRANSITIONS[from] as Partial<Record<string, AttemptState>>;
    let to = has(row, e.event) ? row[e.event] : undefined;
    if (to === undefined) {
      this.#report(
        "INV-20",
        `illegal attempt transition ${from} --${e.event}--> for attempt ${e.attempt} of "${e.task}" ${e.phase}`,
        [e],
      );
      to = has(ATTEMPT_TRANSITIONS, e.to) ? e.to : from;
    } else if (e.to !== to) {
      this.#report(
        "INV-20",
        `attempt ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    const k = node * 3 + p;
    let current = record;
    if (e.event === "start") {
      this.#onAttemptStart(e, node, p);
      current = {
        state: to,
        startIndex: this.#i,
        startAt: e.at,
        decidedBy: undefined,
        decidedAt: e.at,
      };
      this.#attempts.set(key, current);
      if (e.attempt > this.#lastAttempt[k]!) this.#lastAttempt[k] = e.attempt;
    } else if (current === undefined) {
      current = {
        state: to,
        startIndex: this.#i,
        startAt: e.at,
        decidedBy: undefined,
        decidedAt: e.at,
      };
      this.#attempts.set(key, current);
    }
    if (
      e.event === "succeed" ||
      e.event === "fail" ||
      e.event === "timeout" ||
      e.event === "cancel"
    ) {
      current.decidedBy = e.event;
      current.decidedAt = e.at;
    }
    if (e.event === "cancel") {
      if (p === POST) {
        this.#report(
          "INV-12",
          `the postExecute of "${e.task}" (attempt ${e.attempt}) was cancelled; only its own timeout may abort it`,
          [e],
        );
      } else if (this.#run !== "failing") {
        this.#report(
          "INV-4",
          `attempt ${e.attempt} of "${e.task}" ${e.phase} was cancelled while the run was ${this.#run}`,
          [e],
        );
      }
    }
    if (e.event === "timeout") this.#checkTimeout(e, node, p, current);
    if (e.event === "abandon") this.#checkAbandon(e, node, p, current);
    const wasActive = from === "running" || from === "settling";
    const isActive = to === "running" || to === "settling";
    if (p !== POST && wasActive !== isActive) this.#activeAttempts += isActive ? 1 : -1;
    if (e.event === "settle" || e.event === "abandon") current.endIndex = this.#i;
    current.state = to;
  }

  #onAttemptStart(e: AttemptTransitionEvent, node: number, p: number): void {
    const k = node * 3 + p;
    const name = e.task;
    const runningState = p === PRE ? "preRunning" : p === EXEC ? "execRunning" : "postRunning";
    if (this.#task[node] !== runningState) {
      this.#report(
        "INV-16",
        `attempt ${e.attempt} of "${name}" ${e.phase} started while the task was ${this.#task[node]}; attempts run only inside the phase's one start`,
        [e],
      );
    }
    if (this.#cancelled[k] === 1) {
      this.#report(
        "INV-23",
        `attempt ${e.attempt} of "${name}" ${e.phase} started after the phase was cancelled`,
        [e],
      );
    }
    const last = this.#lastAttempt[k]!;
    if (e.attempt !== last + 1) {
      this.#report(
        "INV-20",
        `attempt ${e.attempt} of "${name}" ${e.phase} started after attempt ${last}; attempts are numbered 1, 2, ...`,
        [e],
      );
    }
    if (e.attempt > 1) {
      if (this.#retryFor[k] !== e.attempt - 1) {
        this.#report(
          "INV-20",
          `attempt ${e.attempt} of "${name}" ${e.phase} started without a retry event for attempt ${e.attempt - 1}`,
          [e],
        );
      }
      if (
        this.#retryFor[k] === e.attempt - 1 &&
        early(e.at, this.#retryAt[k]! + this.#retryDelay[k]!)
      ) {
        this.#report(
          "INV-25",
          `attempt ${e.attempt} of "${name}" ${e.phase} started ${e.at - this.#retryAt[k]!} ms after its retry event; the delay was ${this.#retryDelay[k]} ms`,
          [e],
        );
      }
      const prev = this.#attempts.get(attemptKey(name, e.phase, e.attempt - 1));
      if (prev !== undefined && (prev.state === "running" || prev.state === "settling")) {
        this.#report(
          "INV-25",
          `attempt ${e.attempt} of "${name}" ${e.phase} started while attempt ${e.attempt - 1} was still ${prev.state}`,
          [this.#events[prev.startIndex]!, e],
        );
      }
      const fn = this.#plan.tasks[node]![PHASES[p]!];
      if (fn !== undefined && e.attempt > fn.retries + 1) {
        this.#report(
          "INV-21",
          `attempt ${e.attempt} of "${name}" ${e.phase} exceeds its retries (${fn.retries})`,
          [e],
        );
      }
    }
  }

  #checkTimeout(e: AttemptTransitionEvent, node: number, p: number, record: AttemptRecord): void {
    const fn = this.#plan.tasks[node]![PHASES[p]!];
    if (fn === undefined) return;
    if (fn.timeoutMs === null) {
      this.#report(
        "INV-26",
        `attempt ${e.attempt} of "${e.task}" ${e.phase} timed out but has no timeoutMs`,
        [e],
      );
    } else if (early(e.at, record.startAt + fn.timeoutMs)) {
      this.#report(
        "INV-26",
        `attempt ${e.attempt} of "${e.task}" ${e.phase} timed out after ${e.at - record.startAt} ms; its timeoutMs is ${fn.timeoutMs}`,
        [this.#events[record.startIndex]!, e],
      );
    }
  }

  #checkAbandon(e: AttemptTransitionEvent, node: number, p: number, record: AttemptRecord): void {
    const wait = this.#plan.tasks[node]![PHASES[p]!]?.abandonAfterMs;
    if (wait === null) {
      this.#report(
        "INV-27",
        `attempt ${e.attempt} of "${e.task}" ${e.phase} was abandoned although its abandonAfterMs is null (wait for ever)`,
        [e],
      );
    } else if (typeof wait === "number" && early(e.at, record.decidedAt + wait)) {
      this.#report(
        "INV-27",
        `attempt ${e.attempt} of "${e.task}" ${e.phase} was abandoned ${e.at - record.decidedAt} ms after its outcome was decided; its abandonAfterMs is ${wait}`,
        [this.#events[record.startIndex]!, e],
      );
    }
  }

  /**
   * True if nothing between event `from` and the current one must have come from a later
   * step: no event of an attempt started before `from`, other than a cancellation (which a
   * failure in the same step causes). Scans at most 4,096 events back (then assumes yes), so
   * checking stays linear.
   */
  #sameStep(from: number): boolean {
    if (this.#i - from > 4096) return true;
    for (let j = from + 1; j < this.#i; j++) {
      const x = this.#events[j]!;
      if (x.type !== "attempt" || x.event === "start" || x.event === "cancel") continue;
      const started = this.#attempts.get(attemptKey(x.task, x.phase, x.attempt))?.startIndex;
      if (started === undefined || started < from) return false;
    }
    return true;
  }

  #onRetry(e: RetryScheduledEvent): void {
    const node = this.#plan.indexOf.get(e.task);
    const p = phaseIndex(e.phase);
    if (node === undefined || node >= this.#n || p < 0) {
      this.#report(
        "INV-1",
        `retry event for "${e.task}" ${String(e.phase)}, which is not a phase of this processor`,
        [e],
      );
      return;
    }
    const k = node * 3 + p;
    const record = this.#attempts.get(attemptKey(e.task, e.phase, e.attempt));
    if (
      record === undefined ||
      e.attempt !== this.#lastAttempt[k] ||
      !(record.decidedBy === "fail" || record.decidedBy === "timeout")
    ) {
      this.#report(
        "INV-20",
        `retry reported for attempt ${e.attempt} of "${e.task}" ${e.phase}, which is not its latest failed attempt`,
        [e],
      );
    } else if (record.endIndex !== undefined && !this.#sameStep(record.endIndex)) {
      this.#report(
        "INV-25",
        `retry of "${e.task}" ${e.phase} after attempt ${e.attempt} was reported in a later step than the attempt ${this.#events[record.endIndex]!.type === "attempt" ? (this.#events[record.endIndex] as AttemptTransitionEvent).event : "end"}d`,
        [this.#events[record.endIndex]!, e],
      );
    } else if (record.state === "running" || record.state === "settling") {
      this.#report(
        "INV-25",
        `retry of "${e.task}" ${e.phase} scheduled while attempt ${e.attempt} was still ${record.state}`,
        [e],
      );
    }
    const runningState = p === PRE ? "preRunning" : p === EXEC ? "execRunning" : "postRunning";
    if (this.#cancelled[k] === 1) {
      this.#report(
        "INV-23",
        `retry of "${e.task}" ${e.phase} reported after the phase was cancelled`,
        [e],
      );
    } else if (this.#task[node] !== runningState) {
      this.#report(
        "INV-20",
        `retry of "${e.task}" ${e.phase} scheduled while the task was ${this.#task[node]}`,
        [e],
      );
    }
    const fn = this.#plan.tasks[node]![PHASES[p]!];
    if (fn !== undefined && e.attempt >= fn.retries + 1) {
      this.#report(
        "INV-21",
        `retry after attempt ${e.attempt} of "${e.task}" ${e.phase} exceeds its retries (${fn.retries})`,
        [e],
      );
    }
    if (fn !== undefined) {
      const base = fn.initialDelayMs * fn.backoffFactor ** (e.attempt - 1);
      const low = fn.initialDelayMs === 0 ? 0 : Math.min(fn.maxDelayMs, base / 2);
      const high = fn.initialDelayMs === 0 ? 0 : Math.min(fn.maxDelayMs, base);
      const slack = 1e-9 * Math.max(1, high);
      if (
        typeof e.delayMs !== "number" ||
        !Number.isFinite(e.delayMs) ||
        e.delayMs < low - slack ||
        e.delayMs > high + slack
      ) {
        this.#report(
          "INV-24",
          `retry of "${e.task}" ${e.phase} after attempt ${e.attempt} waits ${String(e.delayMs)} ms, outside [${low}, ${high}]`,
          [e],
        );
      }
    }
    if (record !== undefined) record.retryAt = e.at;
    this.#retryDelay[k] = typeof e.delayMs === "number" ? e.delayMs : 0;
    this.#retryAt[k] = e.at;
    this.#retryFor[k] = e.attempt;
  }

  // ---------------------------------------------------------------- end of trace

  #atEnd(): void {
    const last = this.#events[this.#events.length - 1]!;
    if (this.#settledIndex < 0) {
      this.#report("INV-13", `the run never settled (the trace ends with ${describe(last)})`, [
        last,
      ]);
      return;
    }
    const settled = this.#events[this.#settledIndex]!;
    for (let node = 0; node < this.#n; node++) {
      const name = this.#name(node);
      const entry = this.#entry[node]!;
      const hasPost = this.#has[node * 3 + POST] === 1;
      const posts = this.#phaseStarts[node * 3 + POST]!;
      if (entry === Entry.StartPre && hasPost && posts === 0) {
        this.#report("INV-7", `the preExecute of "${name}" started but its postExecute never did`, [
          this.#events[this.#phaseStartIndex[node * 3 + PRE]!]!,
          settled,
        ]);
      }
      if (entry === Entry.Enter && hasPost && posts === 0) {
        this.#report(
          "INV-8",
          `"${name}" (no preExecute) was entered but its postExecute never started`,
          [settled],
        );
      }
      if (entry === Entry.None && this.#enabledAt[node]! >= 0 && !this.#abortedAtStart) {
        this.#report("INV-2", `"${name}" had every dependency ready but was never entered`, [
          settled,
        ]);
      }
    }
  }
}

function inSweep(e: LifecycleEvent): boolean {
  if (e.type === "task") {
    return (
      e.event === "cancel" ||
      e.event === "settle" ||
      e.event === "abandon" ||
      e.event === "succeed" ||
      e.event === "fail"
    );
  }
  if (e.type === "attempt") return e.event === "cancel";
  return e.type === "retry";
}

function attemptKey(task: string, phase: string, attempt: number): string {
  return `${task}\u0000${phase}\u0000${attempt}`;
}

function listNames(names: readonly string[]): string {
  if (names.length === 0) return "(none)";
  return names.map((n) => `"${n}"`).join(", ");
}

/** A short description of an event for messages. */
export function describe(e: LifecycleEvent): string {
  switch (e.type) {
    case "run":
      return `seq ${e.seq}: run ${e.from} --${e.event}--> ${e.to}`;
    case "task":
      return `seq ${e.seq}: task "${e.task}" ${e.from} --${e.event}${e.phase === undefined ? "" : ` ${e.phase}`}--> ${e.to}`;
    case "attempt":
      return `seq ${e.seq}: attempt ${e.attempt} of "${e.task}" ${e.phase} ${e.from} --${e.event}--> ${e.to}`;
    case "retry":
      return `seq ${e.seq}: retry of "${e.task}" ${e.phase} after attempt ${e.attempt} in ${e.delayMs} ms`;
    default:
      return `seq ${(e as { seq?: unknown }).seq}: unknown event`;
  }
}
