import { compileGraph } from "../graph/compile.js";
import { type AsyncTaskProcessor, processorOf } from "../processor.js";
import { applyBuildOptions, type BuildOptions } from "./build-options.js";
import { copyDependsOn, keepTask } from "./checks.js";
import type { AsyncTask } from "./task.js";

/**
 * Builds a graph-mode workflow: each task names the tasks it depends on, in any order of
 * adding. Like {@link LevelBuilder}, `addTask` adds to this builder and returns it, and
 * `build()` compiles a snapshot: tasks added afterwards never change a processor built
 * earlier.
 *
 * @example
 * const processor = AsyncTaskProcessor.graphBuilder<Ctx>()
 *   .addTask(fetchUser, ["auth", "db"])
 *   .addTask(auth)
 *   .addTask(db)
 *   .build();
 */
export class GraphBuilder<in out T> {
  // Side by side, one slot per addTask: no record per task.
  readonly #tasks: AsyncTask<T>[] = [];
  readonly #dependsOn: (readonly string[])[] = [];

  private constructor() {}

  /** @internal Use `AsyncTaskProcessor.graphBuilder()`. */
  static empty<T>(): GraphBuilder<T> {
    return new GraphBuilder<T>();
  }

  /**
   * Adds a task that depends on the named tasks (none by default) to this builder and returns
   * this builder. `dependsOn` is copied once: changing the array afterwards changes nothing.
   * An invalid task or `dependsOn` (not an array, or an element that is not a string, holes
   * included) throws an `SdaxBuildError` and adds nothing.
   */
  addTask(task: AsyncTask<T>, dependsOn: readonly string[] = []): this {
    const kept = keepTask(task, "addTask");
    const names = copyDependsOn(kept.name, dependsOn);
    this.#tasks.push(kept);
    this.#dependsOn.push(names);
    return this;
  }

  /**
   * Compiles the tasks added so far into a new, frozen processor; refuses duplicates, missing
   * dependencies, self-dependencies and cycles. Tasks added later do not change it.
   * `options.maxConcurrency` is the default limit of every run (a run may set its own).
   */
  build(options?: BuildOptions): AsyncTaskProcessor<T> {
    const plan = compileGraph(this.#tasks.slice(), this.#dependsOn.slice());
    return processorOf(applyBuildOptions(plan, options));
  }
}
