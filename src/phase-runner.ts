import { SdaxExecutionError, type TaskFailure } from "./errors/execution-error.js";
import type { PhaseName } from "./functions/phase-name.js";
import { Run } from "./scheduler/run.js";
import type { RunReport } from "./scheduler/run-report.js";

declare global {
  // The explicit resource management types, declared as @types/node declares them, so that
  // this file's declarations compile for a consumer whose `lib` lacks "esnext.disposable" (as
  // with `lib: ["ES2022", "DOM"]`). They merge with TypeScript's own where those are present.
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
}

let newRunner: (makeRun: (onStop: () => void) => Run<unknown>) => PhaseRunner;

/**
 * Drives one run phase by phase (`spec/phase-runner.md`): preExecute, execute, postExecute.
 * Made by `processor.open(ctx)`. `await using` closes it and raises its failures.
 *
 * @example
 * await using runner = processor.open(ctx);
 * while (await runner.runNext()) {
 *   if (runner.hasFailures()) break; // close() (by `await using`) still cleans up
 * }
 */
export class PhaseRunner implements AsyncDisposable {
  readonly #run: Run<unknown>;
  #lastPhase: PhaseName | null = null;
  /** The last call in line: calls take effect one at a time, in order (PR-9). */
  #tail: Promise<unknown> = Promise.resolve();
  #wake: (() => void) | undefined;
  #report: RunReport | undefined;

  /** Made by `processor.open(ctx)`. */
  private constructor(makeRun: (onStop: () => void) => Run<unknown>) {
    const run =
      typeof makeRun === "function"
        ? makeRun(() => {
            this.#keepReport();
            const wake = this.#wake;
            this.#wake = undefined;
            wake?.();
          })
        : undefined;
    if (!(run instanceof Run)) {
      throw new TypeError("PhaseRunner: a runner is made by processor.open(ctx)");
    }
    this.#run = run;
  }

  /**
   * The phase `runNext()` will run, or null when the run is over (or a phase is running, or
   * the engine crashed).
   */
  get nextPhase(): PhaseName | null {
    if (this.#run.crash !== undefined) return null;
    switch (this.#run.state) {
      case "idle":
        return "preExecute";
      case "entered":
        return "execute";
      case "executed":
      case "failed":
        return "postExecute";
      default:
        return null;
    }
  }

  /** The phase the last `runNext()` ran, or null before the first. */
  get lastPhase(): PhaseName | null {
    return this.#lastPhase;
  }

  /**
   * Runs the next phase to its end; resolves true while another phase remains. After a
   * preExecute failure the next phase is postExecute (execute is skipped).
   */
  runNext(): Promise<boolean> {
    return this.#inTurn(async () => {
      const phase = this.nextPhase;
      if (phase === null) return false;
      this.#lastPhase = phase;
      await this.#step(() =>
        phase === "preExecute" ? this.#run.start() : this.#run.proceed(false),
      );
      return this.nextPhase !== null;
    });
  }

  /** True when a phase failed, or the run's signal or its deadline aborted it. */
  hasFailures(): boolean {
    return this.#run.failures.length > 0 || this.#run.abort !== undefined;
  }

  /** The failed phases so far, in the order they failed: a new array each time, of frozen entries. */
  failures(): readonly TaskFailure[] {
    return [...this.#run.failures];
  }

  /**
   * Throws an {@link SdaxExecutionError} if {@link hasFailures}; otherwise does nothing. After
   * an internal error of sdax's own stopped the run (a bug), throws that error instead.
   */
  raiseFailures(): void {
    if (this.#run.crash !== undefined) throw this.#run.crash.error;
    if (this.hasFailures()) throw new SdaxExecutionError(this.#run.failures, this.#run.abort);
  }

  /**
   * What `processTasks` would have resolved with: the report of a run that settled with no
   * failure and no abort, its time taken when it settled (0 for a runner closed before its
   * first phase, as nothing ran). Undefined until the step that settled the run has ended (so
   * also in a listener of the `settled` event), and after a failure, an abort or a crash: see
   * {@link failures}.
   *
   * @example
   * await runner.close();
   * const report = runner.report();
   * if (report) log(`${report.tasks} tasks in ${report.durationMs} ms`, report.retried);
   */
  report(): RunReport | undefined {
    return this.#run.crash === undefined ? this.#report : undefined;
  }

  /**
   * Runs what consistency requires and resolves when the run has settled: nothing if no
   * phase ran; postExecute (execute skipped) if only preExecute ran; otherwise the rest.
   * Harmless to call twice.
   */
  close(): Promise<void> {
    return this.#inTurn(async () => {
      if (this.#run.state === "settled" || this.#run.crash !== undefined) return;
      await this.#step(() => this.#run.proceed(true));
    });
  }

  /** `await using` support: {@link close}, then {@link raiseFailures}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
    this.raiseFailures();
  }

  static {
    // The processor's way in; a JavaScript caller of the constructor meets its check above.
    newRunner = (makeRun) => new PhaseRunner(makeRun);
  }

  static {
    // A runtime without `Symbol.asyncDispose` (an older browser) keyed the method above
    // "undefined", where no `await using` looks. It moves to the key that compilers lowering
    // `await using` fall back to there (esbuild among them).
    if (Symbol.asyncDispose === undefined) {
      const prototype = PhaseRunner.prototype as unknown as Record<PropertyKey, unknown>;
      const method = Object.getOwnPropertyDescriptor(prototype, "undefined")!;
      Object.defineProperty(prototype, Symbol.for("Symbol.asyncDispose"), method);
      delete prototype.undefined;
    }
  }

  /** At the stop where the run settled without a failure, keeps its report. */
  #keepReport(): void {
    const run = this.#run;
    // A crash is not checked here: report() hides the report of a crashed run whenever it came.
    if (this.#report !== undefined || run.state !== "settled" || this.hasFailures()) return;
    // Closed before its first phase, the run never started: no time passed, none is read.
    this.#report = this.#lastPhase === null ? run.report(0) : run.report();
  }

  /** Runs `call` after every earlier call has resolved. */
  #inTurn<R>(call: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(call);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Takes one step and resolves when the run stops again (or settles, or crashes). */
  #step(take: () => void): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    take();
    return stopped;
  }
}

/** @internal A runner of the run `makeRun` makes: what `processor.open(ctx)` returns. */
export function openRunner(makeRun: (onStop: () => void) => Run<unknown>): PhaseRunner {
  return newRunner(makeRun);
}
