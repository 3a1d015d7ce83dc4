import { SdaxBuildError } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { compileLevels, type LevelEntry } from "../graph/compile.js";
import { AsyncTaskProcessor } from "../processor.js";
import { type Link, listOf } from "./link.js";
import { type AsyncTask, isAsyncTask } from "./task.js";

/**
 * Builds a level-mode workflow. Immutable: `addTask` returns a new builder and leaves this one
 * as it was, so a partial builder can be shared and extended in several ways.
 *
 * @example
 * const processor = AsyncTaskProcessor.builder<Ctx>()
 *   .addTask(connect, 1)
 *   .addTask(fetchUser, 2)
 *   .build();
 */
export class LevelBuilder<T> {
  readonly #last: Link<LevelEntry<T>> | undefined;

  private constructor(last: Link<LevelEntry<T>> | undefined) {
    this.#last = last;
    Object.freeze(this);
  }

  /** @internal Use `AsyncTaskProcessor.builder()`. */
  static empty<T>(): LevelBuilder<T> {
    return new LevelBuilder<T>(undefined);
  }

  /** Adds a task on a level: any safe integer; levels run from the lowest up. */
  addTask(task: AsyncTask<T>, level: number): LevelBuilder<T> {
    checkTask(task, "addTask");
    if (!Number.isSafeInteger(level)) {
      throw new SdaxBuildError(
        "invalid-level",
        `task "${task.name}": level must be a safe integer, got ${describeValue(level)}`,
        task.name,
        "level",
      );
    }
    return new LevelBuilder({ value: { task, level }, previous: this.#last });
  }

  /** Compiles an immutable processor; refuses duplicate names. */
  build(): AsyncTaskProcessor<T> {
    return new AsyncTaskProcessor(compileLevels(listOf(this.#last)));
  }
}

/** Refuses anything that is not made by `task()` or `join()`. */
export function checkTask(task: unknown, method: string): asserts task is AsyncTask<unknown> {
  if (!isAsyncTask(task)) {
    throw new SdaxBuildError(
      "invalid-task",
      `${method}: expected a task made by task() or join(), got ${describeValue(task)}`,
      undefined,
      "task",
    );
  }
}
