import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent, TaskTransitionEvent } from "../events/lifecycle-event.js";
import { describe, listNames } from "./describe-event.js";
import { ENTRY_EVENTS, Entry, isClockFailureOfCancel, PRE } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/**
 * Entry order (INV-2, INV-3): a task is entered only once every dependency is ready, and in the
 * same synchronous step in which the last one became ready. Barriers of level mode are replayed
 * as nodes too: a barrier is ready when its whole lower level is. Tasks enabled but not yet
 * entered wait in a queue until the step that must enter them closes.
 */
export class EntryOrder<T> {
  readonly #state: ReplayState<T>;
  /** Per node: dependencies not yet ready. */
  readonly #depsLeft: Int32Array;
  /** Per task: index of the event that made it enterable (-1: not yet). */
  readonly #enabledAt: Int32Array;
  /** Per task: 1 while it is enterable but not entered. */
  readonly #isPending: Uint8Array;
  #pending: number[] = [];
  #pendingHead = 0;
  #pendingCount = 0;

  constructor(state: ReplayState<T>) {
    this.#state = state;
    const n = state.taskCount;
    this.#depsLeft = state.plan.dependencyCount.slice();
    this.#enabledAt = new Int32Array(n).fill(-1);
    this.#isPending = new Uint8Array(n);
  }

  /** True while some enabled task awaits its entry. */
  get hasPending(): boolean {
    return this.#pendingCount > 0;
  }

  /** True if task `node` had every dependency ready at some point. */
  wasEnabled(node: number): boolean {
    return this.#enabledAt[node]! >= 0;
  }

  /** The run started: every root is enterable. */
  enableRoots(): void {
    for (const root of this.#state.plan.roots) {
      if (this.#depsLeft[root] === 0) this.#enable(root);
    }
  }

  /** INV-17: the run was aborted before it started, so no enabled task may be entered. */
  forgetPending(): void {
    for (let k = this.#pendingHead; k < this.#pending.length; k++) {
      this.#enabledAt[this.#pending[k]!] = -1;
      this.#isPending[this.#pending[k]!] = 0;
    }
    this.#pending = [];
    this.#pendingHead = 0;
    this.#pendingCount = 0;
  }

  /** True if `e` cannot happen in the synchronous step that enters newly enabled tasks. */
  closesTurn(e: LifecycleEvent): boolean {
    const failing = this.#state.runState === "failing";
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
        if (e.event === "delay") return !failing; // part of its retry event's step
        const record = this.#state.attempt(e.task, e.phase, e.attempt);
        const oldest = this.#oldestPending();
        if (e.event === "start" || (record !== undefined && record.startIndex > oldest))
          return false;
        if (failing && isClockFailureOfCancel(this.#state.events, this.#state.index)) return false;
        return !(failing && e.event === "cancel");
      }
      default:
        return false;
    }
  }

  /** The step that had to enter the pending tasks ended with `e` (undefined: the trace did). */
  closeTurn(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const late: string[] = [];
    const involved: LifecycleEvent[] = [];
    for (let k = this.#pendingHead; k < this.#pending.length; k++) {
      const node = this.#pending[k]!;
      if (this.#isPending[node] === 0) continue;
      this.#isPending[node] = 0;
      late.push(state.name(node));
      if (involved.length < 8) involved.push(state.events[this.#enabledAt[node]!]!);
    }
    this.#pending = [];
    this.#pendingHead = 0;
    this.#pendingCount = 0;
    if (late.length === 0) return;
    if (e !== undefined) involved.push(e);
    state.report(
      "INV-2",
      `${listNames(late)} had every dependency ready but ${late.length === 1 ? "was" : "were"} not entered in the same step (${e === undefined ? "the trace ended" : `${describe(e)} came first`})`,
      involved,
    );
  }

  /** Task `node` reached ready: its dependents may become enterable. */
  markReady(node: number): void {
    const state = this.#state;
    if (state.nodeReady[node] === 1) return;
    state.nodeReady[node] = 1;
    state.forDependents(node, (d) => {
      if (--this.#depsLeft[d]! === 0) this.#enable(d);
    });
  }

  /** Task `node` was entered by `e` (`startPre`, `queuePre`, `enter` or `skip`). */
  onEntry(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const name = e.task;
    if (state.entry[node] !== Entry.None) {
      state.report("INV-16", `task ${quoted(name)} was entered twice`, [e]);
    }
    state.entry[node] =
      e.event === "startPre"
        ? Entry.StartPre
        : e.event === "queuePre"
          ? Entry.Queued
          : e.event === "enter"
            ? Entry.Enter
            : Entry.Skip;
    if (state.abortedAtStart) {
      state.report(
        "INV-17",
        `task ${quoted(name)} was entered although the run was aborted before it started`,
        [e],
      );
    }
    if (this.#depsLeft[node]! > 0) {
      const missing = this.#unreadyDependencies(node);
      state.report(
        "INV-2",
        `task ${quoted(name)} was entered (${e.event}) before ${listNames(missing)} completed preExecute${state.plan.mode === "levels" ? " (the next lower level was not all ready)" : ""}`,
        [e],
      );
    } else if (this.#isPending[node] === 1) {
      this.#isPending[node] = 0;
      this.#pendingCount--;
    }
    this.#checkEntryKind(e, node);
  }

  /**
   * Task `node` leaves `preQueued` by `e`: its preExecute gets a slot (`startPre`), or the run
   * failed first (`skip`, INV-3; when and in which order: the slot replay, INV-39).
   */
  onDequeue(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    if (e.event === "startPre") {
      state.entry[node] = Entry.StartPre;
      state.startPhase(node, PRE, e);
    } else {
      state.entry[node] = Entry.Skip;
      if (state.runState === "entering") {
        state.report("INV-3", `task ${quoted(e.task)} was skipped while the run was not failing`, [
          e,
        ]);
      }
    }
  }

  /** Index of the event that made task `node` enterable (-1: none yet). */
  enabledAt(node: number): number {
    return this.#enabledAt[node]!;
  }

  /** INV-3: a task with preExecute starts or skips it; one without is entered. */
  #checkEntryKind(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const name = e.task;
    const hasPre = state.hasPhase[node * 3 + PRE] === 1;
    if (e.event === "startPre" || e.event === "queuePre") {
      const what = e.event === "startPre" ? "started" : "was queued";
      if (e.event === "startPre") state.startPhase(node, PRE, e);
      if (!hasPre)
        state.report("INV-3", `preExecute ${what} for ${quoted(name)}, which has none`, [e]);
      if (state.runState !== "entering") {
        state.report(
          "INV-3",
          `the preExecute of ${quoted(name)} ${what} while the run was ${state.runState}; once failing, a task with preExecute is skipped`,
          [e],
        );
      }
    } else if (e.event === "skip") {
      if (!hasPre) {
        state.report(
          "INV-3",
          `task ${quoted(name)} has no preExecute, so it must be entered, not skipped`,
          [e],
        );
      } else if (state.runState === "entering") {
        state.report("INV-3", `task ${quoted(name)} was skipped while the run was not failing`, [
          e,
        ]);
      }
    } else if (hasPre) {
      state.report(
        "INV-3",
        `task ${quoted(name)} has a preExecute but was entered without starting or skipping it`,
        [e],
      );
    }
  }

  /** Node `node` has every dependency ready: a task is now enterable, a barrier ready. */
  #enable(node: number): void {
    const state = this.#state;
    const work = [node];
    while (work.length > 0) {
      const x = work.pop()!;
      if (!state.isBarrier(x)) {
        if (this.#enabledAt[x]! < 0) {
          this.#enabledAt[x] = state.index;
          if (state.entry[x] === Entry.None) {
            this.#isPending[x] = 1;
            this.#pending.push(x);
            this.#pendingCount++;
          }
        }
        continue;
      }
      state.nodeReady[x] = 1;
      state.forDependents(x, (d) => {
        if (--this.#depsLeft[d]! === 0) work.push(d);
      });
    }
  }

  /** Index of the event that enabled the longest-waiting pending task (Infinity: none). */
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

  /** The names of tasks `node` depends on (through barriers) that have not reached ready. */
  #unreadyDependencies(node: number): string[] {
    const state = this.#state;
    const names: string[] = [];
    const seen = new Set<number>();
    const work: number[] = [];
    state.forDependencies(node, (d) => work.push(d));
    while (work.length > 0 && names.length < 5) {
      const d = work.pop()!;
      if (seen.has(d) || state.nodeReady[d] === 1) continue;
      seen.add(d);
      if (state.isBarrier(d)) state.forDependencies(d, (dd) => work.push(dd));
      else names.push(state.name(d));
    }
    return names;
  }
}
