/**
 * Small async helpers shared by the test suites: promises settled by hand, a flush of pending
 * promise callbacks (no timers, no real time), and the rejection of a run.
 */
import { isSdaxExecutionError, type SdaxExecutionError } from "../../src/index.js";

/** A promise settled by hand. `settled` turns true once resolve or reject was called. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  readonly settled: boolean;
}

/** Makes a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    promise,
    resolve(value: T) {
      settled = true;
      resolve(value);
    },
    reject(error: unknown) {
      settled = true;
      reject(error);
    },
    get settled() {
      return settled;
    },
  };
}

/** Resolves once every promise callback queued so far (and those they queue) has run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The rejection of `run`, which must reject with an SdaxExecutionError. */
export async function executionErrorOf(run: Promise<unknown>): Promise<SdaxExecutionError> {
  const error = await run.then(
    () => {
      throw new Error("expected the run to reject");
    },
    (e: unknown) => e,
  );
  if (!isSdaxExecutionError(error)) throw error;
  return error;
}

/** True for the `DOMException` named `AbortError` that cancelled attempts' signals carry. */
export function isAbortError(value: unknown): boolean {
  return value instanceof DOMException && value.name === "AbortError";
}
