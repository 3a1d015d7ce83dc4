import { describeError, isErrorInstance } from "../errors/describe-error.js";

/** An exception as sdax records it on a span. */
export interface RecordedException {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/**
 * A thrown value as `recordException` takes it, without ever throwing: the value may be a
 * revoked proxy or an error whose getters throw, and the tracing must not break on it. Keeps
 * an `Error`'s stack where it reads as a string.
 */
export function exceptionOf(error: unknown): RecordedException {
  const { name, message } = describeError(error);
  if (isErrorInstance(error)) {
    let stack: unknown;
    try {
      stack = error.stack;
    } catch {
      stack = undefined; // a stack getter that throws: the name and message still say enough
    }
    if (typeof stack === "string") return { name, message, stack };
  }
  return { name, message };
}
