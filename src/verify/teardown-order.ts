import { quoted } from "../errors/quoted.js";
import type { TaskTransitionEvent } from "../events/lifecycle-event.js";
import { AWAITING_TEARDOWN, TORN_DOWN, taskStateIn } from "../lifecycle/machines.js";
import { listNames } from "./describe-event.js";
import { Entry, EXEC, isActive, PHASES, POST, PRE } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/**
 * Teardown (INV-7, INV-9, INV-10, INV-11): once cleanup began, a task's teardown starts only
 * after the teardown of every entered dependent finished. Barriers of level mode count as
 * nodes: a barrier is torn down when every entered task of its upper level is.
 */
export class TeardownOrder<T> {
  readonly #state: ReplayState<T>;
  /** Per node: teardowns of dependents it still waits for (undefined before cleanup). */
  #wait: Int32Array | undefined;
  /** Per node: 1 if it awaits a teardown. */
  #eligible: Uint8Array | undefined;
  /** Per node: index of the event that let its teardown begin (-1: not yet). */
  #freedAt: Int32Array | undefined;
  /** The last queuePost: when its teardown could begin, and its task (ties by add order). */
  #lastQueued: { readonly freedAt: number; readonly node: number } | undefined;

  constructor(state: ReplayState<T>) {
    this.#state = state;
  }

  /** Cleanup began: which nodes await teardown, and how many teardowns each waits for. */
  begin(): void {
    const state = this.#state;
    const nodeCount = state.plan.nodeCount;
    const eligible = new Uint8Array(nodeCount);
    const wait = new Int32Array(nodeCount);
    for (let node = 0; node < nodeCount; node++) {
      const awaits = state.isBarrier(node)
        ? state.nodeReady[node] === 1
        : taskStateIn(AWAITING_TEARDOWN, state.taskState[node]!);
      if (!awaits) continue;
      eligible[node] = 1;
      state.forDependencies(node, (d) => {
        wait[d]!++;
      });
    }
    this.#eligible = eligible;
    this.#wait = wait;
    this.#freedAt = new Int32Array(nodeCount).fill(-1);
    for (let node = 0; node < nodeCount; node++) {
      if (eligible[node] === 1 && wait[node] === 0) this.#freedAt[node] = state.index;
    }
    // A barrier whose entered upper level is empty (all skipped) finishes at once.
    for (let node = state.taskCount; node < nodeCount; node++) {
      if (eligible[node] === 1 && wait[node] === 0) this.tornDown(node);
    }
  }

  /** Task `node` finished its teardown: release its dependencies, through barriers. */
  tornDown(node: number): void {
    const state = this.#state;
    const wait = this.#wait;
    if (wait === undefined) return;
    const work = [node];
    while (work.length > 0) {
      const x = work.pop()!;
      state.forDependencies(x, (d) => {
        if (--wait[d]! !== 0) return;
        this.#freedAt![d] = state.index;
        if (state.isBarrier(d) && this.#eligible![d] === 1) work.push(d);
      });
    }
  }

  /** Task `node` began its teardown by `e` (`startPost`, `queuePost` or `finish`). */
  onTeardown(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const name = e.task;
    const hasPost = state.hasPhase[node * 3 + POST] === 1;
    const post = e.event !== "finish";
    if (post) {
      if (e.event === "startPost") state.startPhase(node, POST, e);
      if (!hasPost) {
        state.report(
          "INV-7",
          `postExecute ${e.event === "startPost" ? "started" : "was queued"} for ${quoted(name)}, which has none`,
          [e],
        );
      }
    } else if (hasPost) {
      state.report(
        "INV-7",
        `the teardown of ${quoted(name)} finished without starting its postExecute`,
        [e],
      );
    }
    const entry = state.entry[node]!;
    if (entry === Entry.None || entry === Entry.Skip) {
      state.report(
        "INV-9",
        `${post ? "postExecute began" : "teardown finished"} for ${quoted(name)}, which was ${entry === Entry.Skip ? "skipped" : "never entered"}`,
        [e],
      );
    }
    if (state.runState !== "cleaningUp") {
      state.report(
        "INV-11",
        `${post ? "postExecute of" : "teardown of"} ${quoted(name)} began while the run was ${state.runState}; teardown starts only in cleaningUp`,
        [e],
      );
    }
    // Its own earlier phases must have ended (INV-11).
    for (const p of [PRE, EXEC]) {
      const last = state.lastAttempt[node * 3 + p]!;
      if (last === 0) continue;
      const record = state.attempt(name, PHASES[p]!, last);
      if (record !== undefined && isActive(record.state)) {
        state.report(
          "INV-11",
          `teardown of ${quoted(name)} began while its ${PHASES[p]} attempt ${last} was still ${record.state}`,
          [state.events[record.startIndex]!, e],
        );
      }
    }
    if (e.event === "queuePost") this.#checkTie(e, node);
    const wait = this.#wait;
    if (wait !== undefined && wait[node]! > 0) {
      const waiting = this.#unfinishedDependents(node);
      state.report(
        "INV-10",
        `${post ? "postExecute of" : "teardown of"} ${quoted(name)} began before the teardown of its dependent(s) ${listNames(waiting)} finished${state.plan.mode === "levels" ? " (a level above had not finished)" : ""}`,
        [e],
      );
    }
  }

  /**
   * INV-38 in graph mode: postExecutes are queued in the order their teardowns could begin,
   * ties (freed by the same teardown ending, or all at cleanup) by add order. (In level mode the
   * engine frees a level through its barrier, a step later; not checked there.)
   */
  #checkTie(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const freedAt = this.#freedAt?.[node] ?? -1;
    if (state.plan.mode !== "graph" || freedAt < 0) return;
    const last = this.#lastQueued;
    this.#lastQueued = { freedAt, node };
    if (last === undefined) return;
    if (freedAt < last.freedAt || (freedAt === last.freedAt && node < last.node)) {
      state.report(
        "INV-38",
        `the postExecute of ${quoted(state.name(node))} was queued after that of ${quoted(state.name(last.node))}, although ${freedAt === last.freedAt ? `both could begin their teardown by the same event and ${quoted(state.name(node))} was added first` : `${quoted(state.name(node))} could begin its teardown first`}`,
        [e],
      );
    }
  }

  /** Names of entered dependents of `node` (through barriers) whose teardown has not finished. */
  #unfinishedDependents(node: number): string[] {
    const state = this.#state;
    const names: string[] = [];
    const seen = new Set<number>();
    const work: number[] = [];
    state.forDependents(node, (d) => work.push(d));
    while (work.length > 0 && names.length < 5) {
      const d = work.pop()!;
      if (seen.has(d) || this.#eligible?.[d] !== 1) continue;
      seen.add(d);
      if (state.isBarrier(d)) state.forDependents(d, (dd) => work.push(dd));
      else if (!taskStateIn(TORN_DOWN, state.taskState[d]!)) names.push(state.name(d));
    }
    return names;
  }
}
