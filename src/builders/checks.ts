import { SdaxBuildError, unreadableInput } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { quoted } from "../errors/quoted.js";
import { type AsyncTask, isAsyncTask, ownTask } from "./task.js";

/**
 * The task a builder keeps for `task` (see {@link ownTask}); refuses anything that is not made
 * by `task()` or `join()`.
 */
export function keepTask<T>(task: AsyncTask<T>, method: string): AsyncTask<T> {
  let isTask: boolean;
  try {
    isTask = isAsyncTask(task);
  } catch {
    isTask = false; // a revoked Proxy, or a getter that throws: not a task
  }
  if (!isTask) {
    throw new SdaxBuildError(
      "invalid-task",
      `${method}: expected a task made by task() or join(), got ${describeValue(task)}`,
      undefined,
      "task",
    );
  }
  return ownTask(task, method);
}

/**
 * Copies `dependsOn` once into a plain, frozen array of names. Every index from 0 to
 * `length - 1` is read exactly once (a hole reads as `undefined`), so a getter or a `Proxy`
 * cannot show one list to the check and another to the compiler. Anything but an array of
 * strings is refused with an `SdaxBuildError` naming the task, the index and the value; a
 * value that throws while it is read is refused the same way, never with a raw error.
 */
export function copyDependsOn(taskName: string, dependsOn: unknown): readonly string[] {
  const refuse = (problem: string): SdaxBuildError =>
    new SdaxBuildError(
      "invalid-dependencies",
      `task ${quoted(taskName)}: ${problem}`,
      taskName,
      "dependsOn",
    );
  const unreadablePart = (part: string, thrown: unknown): SdaxBuildError =>
    unreadableInput(
      "invalid-dependencies",
      `task ${quoted(taskName)}: ${part} could not be read`,
      thrown,
      taskName,
      "dependsOn",
    );
  let isArray: boolean;
  try {
    isArray = Array.isArray(dependsOn);
  } catch (error) {
    throw unreadablePart("dependsOn", error);
  }
  if (!isArray) {
    throw refuse(`dependsOn must be an array of task names, got ${describeValue(dependsOn)}`);
  }
  const source = dependsOn as readonly unknown[];
  let length: unknown;
  try {
    length = source.length;
  } catch (error) {
    throw unreadablePart("dependsOn.length", error);
  }
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw refuse(`dependsOn.length must be a whole number >= 0, got ${describeValue(length)}`);
  }
  const names: string[] = [];
  for (let i = 0; i < length; i++) {
    let value: unknown;
    try {
      value = source[i];
    } catch (error) {
      throw unreadablePart(`dependsOn[${i}]`, error);
    }
    if (typeof value !== "string") {
      throw refuse(
        `dependsOn[${i}] must be a task name (a string), got ${describeValue(value)}${
          value === undefined && isHole(source, i) ? " (a hole in the array)" : ""
        }`,
      );
    }
    names.push(value);
  }
  return Object.freeze(names);
}

/** True when `array` has no own element at `index`; false when that cannot be told. */
function isHole(array: readonly unknown[], index: number): boolean {
  try {
    return !Object.hasOwn(array, index);
  } catch {
    return false;
  }
}
