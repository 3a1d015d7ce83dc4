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
        find: "for (const u of upper) dependencyLists[u] = [barrier];",
        replace: "for (const u of upper) dependencyLists[u] = barrier < 0 ? [barrier] : [];",
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
          'if (attempt.phase !== "postExecute") this.#failRun("fail");\n    else for (const other of this.#current) if (other !== undefined && other !== attempt && other.phase === "postExecute") other.cancel(new DOMException("post failed", "AbortError"));',
      },
      {
        file: RUN,
        find: 'if (attempt.outcome === "cancelled") return;',
        replace: 'if (attempt.outcome === "cancelled" && attempt.phase !== "postExecute") return;',
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
        find: "this.failures.push({\n      task: attempt.task,",
        replace:
          'if (attempt.phase !== "postExecute") this.failures.push({\n      task: attempt.task,',
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
        find: "attempt.cancel(reason); // a failed attempt still settling ends the phase when it settles",
        replace:
          "attempt.cancel(reason);\n      this.#move(node, TE.settle, attempt.phase);\n      this.#phaseEnded(node, attempt.phase);",
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
        find: 'this.#startAttempt(node, "preExecute", pre, 1);',
        replace: 'this.#markReady(node);\n      this.#startAttempt(node, "preExecute", pre, 1);',
      },
      {
        file: RUN,
        find: 'if (attempt.phase === "preExecute") {\n        this.#active--;\n        this.#markReady(node);',
        replace: 'if (attempt.phase === "preExecute") {\n        this.#active--;',
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
];
