import { escapedText, oneLine, quoted } from "../errors/quoted.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { Plan } from "../graph/plan.js";
import type { AttemptState } from "../lifecycle/attempt-states.js";
import type { RunState } from "../lifecycle/run-states.js";
import type { TaskState } from "../lifecycle/task-states.js";
import type { TraceViolation } from "./check-trace.js";
import { EXEC, PHASES, POST, PRE, phaseIndex } from "./phases-and-states.js";

/** What the replay knows of one attempt of one phase. */
export interface AttemptRecord {
  state: AttemptState;
  /** Index of its `start` event (of its `delay` event until it starts). */
  readonly startIndex: number;
  readonly startAt: number;
  /** True once it failed on its own after its cancellation (INV-32). */
  failedAfterCancel?: boolean;
  /** The event that decided it (`succeed`, `fail`, `timeout`, `cancel`), if any. */
  decidedBy: string | undefined;
  /** `at` of the deciding event. */
  decidedAt: number;
  /** `at` of the retry event reported after it, if any. */
  retryAt?: number;
  /** Index of its `settle` or `abandon` event. */
  endIndex?: number;
  /** Index of its latest event. */
  lastIndex: number;
}

/** A failed phase, as its task's `fail` event reported it (the run's report must list it). */
export interface Failure {
  readonly task: string;
  readonly phase: unknown;
  readonly attempts: unknown;
  readonly errorName: unknown;
  readonly errorMessage: unknown;
  readonly afterCancel: boolean;
  readonly event: LifecycleEvent;
}

/**
 * The replayed run, shared by every part of the checker: the trace and the event being
 * replayed, the run, task and attempt states, what each task has and did, and the violations
 * found so far. Per-task-and-phase arrays are indexed `node * 3 + phase`.
 */
export class ReplayState<T> {
  readonly plan: Plan<T>;
  /** Nodes `0 .. taskCount - 1` are tasks; higher nodes are level barriers. */
  readonly taskCount: number;
  readonly violations: TraceViolation[] = [];
  events: readonly LifecycleEvent[] = [];
  /** Index of the event being replayed; `events.length` once the trace ended. */
  index = 0;

  // Replayed states.
  runState: RunState = "idle";
  readonly taskState: TaskState[];
  /** Every attempt seen, by `attemptKey`. */
  readonly attempts = new Map<string, AttemptRecord>();

  // What each task has and did.
  /** The index of each task's name. */
  readonly indexOf: ReadonlyMap<string, number>;
  /** Per task and phase: 1 if the task has that function. */
  readonly hasPhase: Uint8Array;
  /** Per task: how it was entered (`Entry`). */
  readonly entry: Uint8Array;
  /** Per task and phase: how often the phase started (capped at 255). */
  readonly phaseStarts: Uint8Array;
  /** Per task and phase: event index of the task event that started the phase. */
  readonly phaseStartIndex: Int32Array;
  /** Per task and phase: the highest attempt number started (0: none). */
  readonly lastAttempt: Int32Array;
  /** Per task and phase: 1 once the phase was cancelled. */
  readonly cancelled: Uint8Array;
  /** Per node: 1 once a task reached ready, or a barrier's whole lower level did. */
  readonly nodeReady: Uint8Array;

  // The run.
  /** Index of the run's `start` event (-1: not yet). */
  startIndex = -1;
  /** True once the run reported an abort. */
  aborted = false;
  /** INV-17: the run was aborted right after it started; nothing may be entered. */
  abortedAtStart = false;
  /** Index of the run's move to settled (-1: not yet). */
  settledIndex = -1;
  /** Every failed phase, in the order their `fail` events came. */
  readonly failures: Failure[] = [];
  /** Tasks a failing run must cancel: in a `CANCELLABLE` state (preRunning, execRunning). */
  readonly runningTasks = new Set<number>();
  /** Attempts of preExecute or execute that are running or settling. */
  activeAttempts = 0;

  constructor(plan: Plan<T>) {
    this.plan = plan;
    const n = plan.taskCount;
    this.taskCount = n;
    this.taskState = new Array<TaskState>(n).fill("waiting");
    this.indexOf = new Map(plan.tasks.map((t, i) => [t.name, i]));
    this.hasPhase = new Uint8Array(n * 3);
    plan.tasks.forEach((t, i) => {
      this.hasPhase[i * 3 + PRE] = t.preExecute ? 1 : 0;
      this.hasPhase[i * 3 + EXEC] = t.execute ? 1 : 0;
      this.hasPhase[i * 3 + POST] = t.postExecute ? 1 : 0;
    });
    this.entry = new Uint8Array(n);
    this.phaseStarts = new Uint8Array(n * 3);
    this.phaseStartIndex = new Int32Array(n * 3).fill(-1);
    this.lastAttempt = new Int32Array(n * 3);
    this.cancelled = new Uint8Array(n * 3);
    this.nodeReady = new Uint8Array(plan.nodeCount);
  }

  /** Reports a violation; its message is one line, whatever text a forged event held. */
  report(invariant: string, message: string, events: readonly LifecycleEvent[]): void {
    this.violations.push({ invariant, message: oneLine(message), events });
  }

  /**
   * The task node and phase index an attempt or retry event names, or undefined (after an INV-1
   * report) when they are not a phase of this processor.
   */
  locatePhase(
    e: { readonly task: string; readonly phase: unknown },
    what: string,
    event: LifecycleEvent,
  ): { node: number; p: number } | undefined {
    const node = this.indexOf.get(e.task);
    const p = phaseIndex(e.phase);
    if (node === undefined || node >= this.taskCount || p < 0) {
      this.report(
        "INV-1",
        `${what} event for ${quoted(e.task)} ${String(e.phase)}, which is not a phase of this processor`,
        [event],
      );
      return undefined;
    }
    return { node, p };
  }

  /** The name of task `node`. */
  name(node: number): string {
    return this.plan.tasks[node]!.name;
  }

  /** Where event `index` is, for messages. */
  at(index: number): string {
    const e = this.events[index];
    return e === undefined ? "end of trace" : `seq ${e.seq}`;
  }

  isBarrier(node: number): boolean {
    return node >= this.taskCount;
  }

  /** The record of attempt `attempt` of `task`'s `phase`, if any event of it was seen. */
  attempt(task: string, phase: string, attempt: number): AttemptRecord | undefined {
    return this.attempts.get(attemptKey(task, phase, attempt));
  }

  forDependents(node: number, f: (dependent: number) => void): void {
    const { dependentsStart, dependents } = this.plan;
    const end = dependentsStart[node + 1]!;
    for (let k = dependentsStart[node]!; k < end; k++) f(dependents[k]!);
  }

  forDependencies(node: number, f: (dependency: number) => void): void {
    const { dependenciesStart, dependencies } = this.plan;
    const end = dependenciesStart[node + 1]!;
    for (let k = dependenciesStart[node]!; k < end; k++) f(dependencies[k]!);
  }

  /** Task `node` starts phase `p` by event `e`: a phase starts at most once (INV-16). */
  startPhase(node: number, p: number, e: LifecycleEvent): void {
    const k = node * 3 + p;
    if (this.phaseStarts[k]! > 0) {
      this.report(
        "INV-16",
        `the ${PHASES[p]} of ${quoted(this.name(node))} started a second time (first at ${this.at(this.phaseStartIndex[k]!)})`,
        [this.events[this.phaseStartIndex[k]!]!, e],
      );
    } else {
      this.phaseStartIndex[k] = this.index;
    }
    this.phaseStarts[k] = Math.min(255, this.phaseStarts[k]! + 1);
  }
}

/** The key of an attempt in `ReplayState.attempts`. */
export function attemptKey(task: string, phase: string, attempt: number): string {
  return `${task}\u0000${phase}\u0000${attempt}`;
}

/**
 * An attempt's key in words for a message: `"db" execute #1`, the task's name escaped (a name
 * may hold any character, `\u0000` included: the phase and the number are read from the end).
 */
export function attemptText(key: string): string {
  const beforeAttempt = key.lastIndexOf("\u0000");
  const beforePhase = key.lastIndexOf("\u0000", beforeAttempt - 1);
  const phase = key.slice(beforePhase + 1, beforeAttempt);
  return `${quoted(key.slice(0, beforePhase))} ${escapedText(phase)} #${key.slice(beforeAttempt + 1)}`;
}
