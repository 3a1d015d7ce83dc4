import { type BuildErrorCode, SdaxBuildError } from "../errors/build-error.js";
import { describeError, describeValue } from "../errors/describe-error.js";

/** {@link describeValue} that never throws (a revoked `Proxy` makes it throw). */
export function describeSafely(value: unknown): string {
  try {
    return describeValue(value);
  } catch {
    return `an unreadable ${typeof value}`;
  }
}

/** `name: message` of a thrown value, for messages; never throws. */
export function describeThrown(error: unknown): string {
  try {
    const { name, message } = describeError(error);
    return `${String(name)}: ${String(message)}`;
  } catch {
    return describeSafely(error);
  }
}

/**
 * The `SdaxBuildError` for user input whose reading threw (a getter, a revoked `Proxy`):
 * `problem (what was thrown)`, with what was thrown as its `cause`.
 */
export function unreadable(
  problem: string,
  thrown: unknown,
  task: string | undefined,
  field: string,
  code: BuildErrorCode,
): SdaxBuildError {
  const error = new SdaxBuildError(code, `${problem} (${describeThrown(thrown)})`, task, field);
  Object.defineProperty(error, "cause", {
    value: thrown,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return error;
}
