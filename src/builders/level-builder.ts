import { SdaxBuildError } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { quoted } from "../errors/quoted.js";
import { compileLevels } from "../graph/compile.js";
import { type AsyncTaskProcessor, processorOf } from "../processor.js";
import { applyBuildOptions, type BuildOptions } from "./build-options.js";
import { keepTask } from "./checks.js";
import type { AsyncTask } from "./task.js";

/**
 * Builds a level-mode workflow. `addTask` adds to this builder and returns it, so a chain and
 * a loop that ignores the result build the same workflow. `build()` compiles the tasks added
 * so far into a new, frozen processor; tasks added afterwards never change it, and the
 * builder may go on and build again.
 *
 * @example
 * const processor = AsyncTaskProcessor.builder<Ctx>()
 *   .addTask(connect, 1)
 *   .addTask(fetchUser, 2)
 *   .build();
 *
 * const builder = AsyncTaskProcessor.builder<Ctx>();
 * for (const step of steps) builder.addTask(step, 1);
 * const many = builder.build();
 */
export class LevelBuilder<in out T> {
  // Side by side, one slot per addTask: no record per task.
  readonly #tasks: AsyncTask<T>[] = [];
  readonly #levels: number[] = [];

  private constructor() {}

  /** @internal Use `AsyncTaskProcessor.builder()`. */
  static empty<T>(): LevelBuilder<T> {
    return new LevelBuilder<T>();
  }

  /**
   * Adds a task on a level (any safe integer; levels run from the lowest up) to this builder
   * and returns this builder. An invalid task or level throws an `SdaxBuildError` and adds
   * nothing.
   */
  addTask(task: AsyncTask<T>, level: number): this {
    const kept = keepTask(task, "addTask");
    if (!Number.isSafeInteger(level)) {
      throw new SdaxBuildError(
        "invalid-level",
        `task ${quoted(kept.name)}: level must be a safe integer, got ${describeValue(level)}${levelHint(level)}`,
        kept.name,
        "level",
      );
    }
    this.#tasks.push(kept);
    this.#levels.push(level);
    return this;
  }

  /**
   * Compiles the tasks added so far into a new, frozen processor; refuses duplicate names.
   * Tasks added later do not change it. `options.maxConcurrency` is the default limit of
   * every run (a run may set its own).
   */
  build(options?: BuildOptions): AsyncTaskProcessor<T> {
    const plan = compileLevels(this.#tasks.slice(), this.#levels.slice());
    return processorOf(applyBuildOptions(plan, options));
  }
}

/**
 * What a level that is not one usually means: none given (`addTask(task, 1)`), or names of
 * dependencies, which a graph builder takes.
 */
function levelHint(level: unknown): string {
  if (level === undefined) return "; give each task its level, as addTask(task, 1)";
  if (typeof level === "string" && level.trim() !== "" && Number.isSafeInteger(Number(level))) {
    return "; give it as a number, not a string";
  }
  if (typeof level === "string" || Array.isArray(level)) {
    return "; for dependencies by name, use AsyncTaskProcessor.graphBuilder(), whose addTask(task, [names]) takes them";
  }
  return "";
}
