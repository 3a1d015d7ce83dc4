/**
 * The deliberate engine bugs of the mutation check (`scripts/mutation.ts`): each is a set of
 * exact string replacements in the engine's source. `test/spec/mutations.test.ts` checks that
 * each target string still stands exactly once, so an engine change cannot silently disable
 * a mutation.
 */
export interface Replacement {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Mutation {
  readonly id: string;
  readonly bug: string;
  /** The spec clauses it breaks. */
  readonly breaks: string;
  readonly edits: readonly Replacement[];
}

const RUN = "src/scheduler/run.ts";
const ATTEMPT = "src/functions/attempt.ts";

export const MUTATIONS: readonly Mutation[] = [
  {
    id: "M1",
    bug: "postExecute not in reverse order: every teardown starts at once",
    breaks: "INV-10",
    edits: [
      {
        file: RUN,
        find: "if (waitingOn[node] === 0 && AWAITING_TEARDOWN[this.#states[node]!] === 1) {",
        replace: "if (AWAITING_TEARDOWN[this.#states[node]!] === 1) {",
      },
      {
        file: RUN,
        find: "if (--waitingOn[dependency]! === 0) this.#queueNode(dependency);",
        replace: "--waitingOn[dependency]!;",
      },
    ],
  },
  {
    id: "M2",
    bug: "no postExecute for a task whose preExecute was cancelled",
    breaks: "INV-7",
    edits: [
      {
        file: RUN,
        find: "if (AWAITING_TEARDOWN[this.#states[node]!] === 0) continue;",
        replace:
          "if (AWAITING_TEARDOWN[this.#states[node]!] === 0 || this.#states[node] === TS.preCancelled) continue;",
      },
      {
        file: RUN,
        find: "if (waitingOn[node] === 0 && AWAITING_TEARDOWN[this.#states[node]!] === 1) {",
        replace:
          "if (waitingOn[node] === 0 && AWAITING_TEARDOWN[this.#states[node]!] === 1 && this.#states[node] !== TS.preCancelled) {",
      },
    ],
  },
  {
    id: "M3",
    bug: "execute after a failed preExecute: a failed preExecute counts as a success",
    breaks: "INV-5, INV-14",
    edits: [
      {
        file: RUN,
        find: 'if (attempt.outcome === "succeeded") {',
        replace:
          'if (attempt.outcome === "succeeded" || (attempt.phase === "preExecute" && attempt.outcome === "failed")) {',
      },
    ],
  },
  {
    id: "M4",
    bug: "a level started before the previous one finished: level barriers dropped",
    breaks: "INV-2",
    edits: [
      {
        file: "src/graph/compile.ts",
        find: "for (let i = 0; i < upper.length; i++) dependencyLists[upper[i]!] = onBarrier;",
        replace:
          "for (let i = 0; i < upper.length; i++) dependencyLists[upper[i]!] = onBarrier[0]! < 0 ? onBarrier : [];",
      },
    ],
  },
  {
    id: "M5",
    bug: "a postExecute aborted by a failure: a failing postExecute cancels the running ones",
    breaks: "INV-12",
    edits: [
      {
        file: RUN,
        find: 'if (attempt.phase !== "postExecute") this.#failRun("fail");',
        replace:
          'if (attempt.phase !== "postExecute") this.#failRun("fail");\n    else for (const other of this.#current) if (other instanceof Attempt && other !== attempt && other.phase === "postExecute") other.cancel(new DOMException("post failed", "AbortError"));',
      },
      {
        file: RUN,
        find: 'if (attempt.outcome === "cancelled" || attempt.outcome === "failedAfterCancel") return;',
        replace:
          'if ((attempt.outcome === "cancelled" || attempt.outcome === "failedAfterCancel") && attempt.phase !== "postExecute") return;',
      },
    ],
  },
  {
    id: "M6",
    bug: "a failure missing from the report: postExecute failures not recorded",
    breaks: "INV-14",
    edits: [
      {
        file: RUN,
        find: "this.failures.push(\n      Object.freeze({",
        replace: 'if (attempt.phase !== "postExecute") this.failures.push(\n      Object.freeze({',
      },
    ],
  },
  {
    id: "M7",
    bug: "no skip when failing: preExecute still starts after the run began failing",
    breaks: "INV-3",
    edits: [
      {
        file: RUN,
        find: '} else if (this.state === "entering") {',
        replace: '} else if (this.state === "entering" || this.state === "failing") {',
      },
    ],
  },
  {
    id: "M8",
    bug: "a cancelled phase ends at once, without waiting for its function to settle",
    breaks: "INV-11, INV-13",
    edits: [
      {
        file: RUN,
        find: "    attempt.cancel(reason);\n    this.#reconcile(attempt);",
        replace:
          "    attempt.cancel(reason);\n    this.#reconcile(attempt);\n    if (this.#states[node] === TS.preCancelling || this.#states[node] === TS.execCancelling) {\n      this.#move(node, TE.settle, attempt.phase);\n      this.#phaseEnded(node, attempt.phase);\n    }",
      },
    ],
  },
  {
    id: "M9",
    bug: "a dependent entered when its dependency's preExecute starts, not when it succeeds",
    breaks: "INV-2",
    edits: [
      {
        file: RUN,
        find: 'this.#startAttempt(node, "preExecute", pre);',
        replace: 'this.#markReady(node);\n      this.#startAttempt(node, "preExecute", pre);',
      },
      {
        file: RUN,
        find: 'if (phase === "preExecute") {\n      this.#active--;\n      this.#markReady(node);',
        replace: 'if (phase === "preExecute") {\n      this.#active--;',
      },
    ],
  },
  {
    id: "M10",
    bug: "an execute failure does not cancel the other executes",
    breaks: "INV-4, INV-6",
    edits: [
      {
        file: RUN,
        find: "if (state === TS.preRunning || state === TS.execRunning) this.#cancelTask(node, reason);",
        replace: "if (state === TS.preRunning) this.#cancelTask(node, reason);",
      },
    ],
  },
  {
    id: "M11",
    bug: "a cancelled function that then fails on its own is taken for cancelled: its error is lost",
    breaks: "INV-32, INV-14",
    edits: [
      {
        file: ATTEMPT,
        find: "if (this.code === AS.cancelling && !this.#isCancellation(error)) {",
        replace: "if (false && !this.#isCancellation(error)) {",
      },
    ],
  },
  {
    id: "M12",
    bug: "the retry delay is not a state: a cancellation during the delay does not cancel the next attempt",
    breaks: "INV-36, INV-23",
    edits: [
      {
        file: ATTEMPT,
        find: "} else if (this.code === AS.delayed) {",
        replace: "} else if (this.code === -1) {",
      },
    ],
  },
  {
    id: "M13",
    bug: "a clock whose setTimeout throws crashes the run instead of failing the attempt",
    breaks: "INV-33",
    edits: [
      {
        file: ATTEMPT,
        find: '    this.#decide("fail", clockError); // spec 5.2: the attempt fails with the clock\'s error',
        replace: "        throw clockError;",
      },
    ],
  },
  {
    id: "M14",
    bug: "a crashed run goes on acting on settlements (and calling user code)",
    breaks: "INV-34",
    edits: [
      {
        file: RUN,
        find: "    if (this.crash !== undefined) return; // observed, and nothing more (INV-34)",
        replace: "",
      },
      {
        file: RUN,
        find: "    if (this.crash !== undefined) return; // observed, and nothing more, not even promoted (INV-34)",
        replace: "",
      },
      {
        file: RUN,
        find: "    if (this.crash !== undefined) return; // a crashed run calls no user code any more (INV-34)",
        replace: "",
      },
    ],
  },
  {
    id: "M15",
    bug: "an error that resists description breaks the event log: describeError reads name and message unguarded",
    breaks: "INV-33",
    edits: [
      {
        file: "src/errors/describe-error.ts",
        find: "export function describeError(error: unknown): ErrorInfo {",
        replace:
          'export function describeError(error: unknown): ErrorInfo {\n  if (typeof error === "object" && error !== null && !("then" in error)) return { name: String((error as Error).name), message: String((error as Error).message) };',
      },
    ],
  },
  {
    id: "M16",
    bug: "addTask returns a new builder and leaves this one empty, as a persistent builder would",
    breaks: "INV-35",
    edits: [
      {
        file: "src/builders/level-builder.ts",
        find: "    this.#tasks.push(kept);\n    this.#levels.push(level);\n    return this;",
        replace:
          "    const next = new LevelBuilder<T>();\n    next.#tasks.push(...this.#tasks, kept);\n    next.#levels.push(...this.#levels, level);\n    return next as this;",
      },
    ],
  },
  {
    id: "M17",
    bug: "failures decided in one step are listed in the cancel sweep's task order, not the order they were decided",
    breaks: "INV-14",
    edits: [
      {
        file: RUN,
        find: "      if (attempt !== undefined) this.#reconcile(attempt);",
        replace: "      void attempt;",
      },
    ],
  },
  {
    id: "M18",
    bug: "an event announcing a timer is timed after the timer is set, so by the trace's times the timer ends early",
    breaks: "INV-25, INV-27",
    edits: [
      {
        file: "src/events/event-log.ts",
        find: "    this.#heldAt = this.#time();",
        replace: "",
      },
    ],
  },
  {
    id: "M19",
    bug: "a queued phase gets a slot whenever the engine is idle: the grant ignores the limit",
    breaks: "INV-37",
    edits: [
      {
        file: RUN,
        find: "} else if (this.#slotHead < this.#slotQueue.length && this.#holding < this.#limit) {",
        replace: "} else if (this.#slotHead < this.#slotQueue.length) {",
      },
    ],
  },
  {
    id: "M20",
    bug: "the slot queue is LIFO: a freed slot goes to the newest queued phase",
    breaks: "INV-38",
    edits: [
      {
        file: RUN,
        find: "    const node = this.#slotQueue[this.#slotHead++]!;",
        replace: "    const node = this.#slotQueue.pop()!;",
      },
    ],
  },
  {
    id: "M21",
    bug: "queued phases are not dropped when the run fails: queued preExecutes and executes still start",
    breaks: "INV-39, INV-3",
    edits: [
      {
        file: RUN,
        find: "    if (this.#slotHead < this.#slotQueue.length) this.#dropQueuedPhases();",
        replace: "    if (this.#slotHead < 0) this.#dropQueuedPhases();",
      },
    ],
  },
  {
    id: "M22",
    bug: "a failed postExecute gives its slot back when it fails, not when its function settles",
    breaks: "INV-37",
    edits: [
      {
        file: RUN,
        find: "    this.#holding += HOLDS_SLOT[to]! - HOLDS_SLOT[from]!;",
        replace:
          "    this.#holding += (to === TS.postFailing ? 0 : HOLDS_SLOT[to]!) - (from === TS.postFailing ? 0 : HOLDS_SLOT[from]!);",
      },
    ],
  },
  {
    id: "M23",
    bug: "the deadline's timer is never cleared, neither when cleanup begins nor when the run settles",
    breaks: "INV-40, INV-28",
    edits: [
      {
        file: RUN,
        find: "    this.#removeAbortListener();\n    this.#clearDeadline();\n    const { nodeCount",
        replace: "    this.#removeAbortListener();\n    const { nodeCount",
      },
      {
        file: RUN,
        find: "  #settle(): void {\n    this.#removeAbortListener();\n    this.#clearDeadline();",
        replace: "  #settle(): void {\n    this.#removeAbortListener();",
      },
    ],
  },
  {
    id: "M24",
    bug: "the deadline is ignored while the run is entered (a phase runner paused before execute)",
    breaks: "INV-40",
    edits: [
      {
        file: RUN,
        find: "    this.#abortRun(\n      new TaskTimeoutError(undefined, undefined, undefined, ms),",
        replace:
          '    if (this.state !== "entered") this.#abortRun(\n      new TaskTimeoutError(undefined, undefined, undefined, ms),',
      },
    ],
  },
  {
    id: "M25",
    bug: "errors an attempt threw after its outcome are left out of its phase's failure",
    breaks: "INV-14",
    edits: [
      {
        file: RUN,
        find: "    if (later.length === 0 || attempt.failureIndex < 0) return;",
        replace: "    if (later.length >= 0 || attempt.failureIndex < 0) return;",
      },
    ],
  },
];
