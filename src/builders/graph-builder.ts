import { SdaxBuildError } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { compileGraph, type GraphEntry } from "../graph/compile.js";
import { AsyncTaskProcessor } from "../processor.js";
import { checkTask } from "./level-builder.js";
import { type Link, listOf } from "./link.js";
import type { AsyncTask } from "./task.js";

/**
 * Builds a graph-mode workflow: each task names the tasks it depends on, in any order of
 * adding. Immutable like {@link LevelBuilder}.
 *
 * @example
 * const processor = AsyncTaskProcessor.graphBuilder<Ctx>()
 *   .addTask(fetchUser, ["auth", "db"])
 *   .addTask(auth)
 *   .addTask(db)
 *   .build();
 */
export class GraphBuilder<T> {
  readonly #last: Link<GraphEntry<T>> | undefined;

  private constructor(last: Link<GraphEntry<T>> | undefined) {
    this.#last = last;
    Object.freeze(this);
  }

  /** @internal Use `AsyncTaskProcessor.graphBuilder()`. */
  static empty<T>(): GraphBuilder<T> {
    return new GraphBuilder<T>(undefined);
  }

  /** Adds a task that depends on the named tasks (none by default). */
  addTask(task: AsyncTask<T>, dependsOn: readonly string[] = []): GraphBuilder<T> {
    checkTask(task, "addTask");
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string")) {
      throw new SdaxBuildError(
        "invalid-dependencies",
        `task "${task.name}": dependsOn must be an array of task names, got ${describeValue(dependsOn)}`,
        task.name,
        "dependsOn",
      );
    }
    const entry = { task, dependsOn: Object.freeze([...dependsOn]) };
    return new GraphBuilder({ value: entry, previous: this.#last });
  }

  /** Compiles an immutable processor; refuses duplicates, missing dependencies and cycles. */
  build(): AsyncTaskProcessor<T> {
    return new AsyncTaskProcessor(compileGraph(listOf(this.#last)));
  }
}
