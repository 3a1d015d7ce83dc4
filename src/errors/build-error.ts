import { hasBrand } from "./brand.js";
import { thrownText } from "./describe-error.js";

/** Why a workflow or a task was refused. */
export type BuildErrorCode =
  | "invalid-name"
  | "duplicate-name"
  | "missing-dependency"
  | "self-dependency"
  | "cycle"
  | "invalid-level"
  | "invalid-dependencies"
  | "no-phase"
  | "invalid-phase"
  | "invalid-task"
  | "invalid-option";

const brand = Symbol.for("sdax.SdaxBuildError");

/**
 * Thrown when a task, a task function or a workflow is invalid: at creation or `build()`,
 * never halfway through a run. The message names the task, the phase and the field; the same
 * facts are fields, for programs.
 */
export class SdaxBuildError extends TypeError {
  /** Always `"SdaxBuildError"`. */
  override readonly name = "SdaxBuildError";
  constructor(
    /** What kind of mistake this is. */
    readonly code: BuildErrorCode,
    message: string,
    /** The task concerned, where one is. */
    readonly task?: string,
    /** The field concerned, where one is (`"level"`, `"dependsOn"`, `"timeoutMs"`, ...). */
    readonly field?: string,
    /** `cause`: what was thrown when the input could not even be read (a getter, a revoked `Proxy`). */
    options?: ErrorOptions,
  ) {
    super(message, options);
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for an {@link SdaxBuildError}, even one from another copy of the package. */
export function isSdaxBuildError(value: unknown): value is SdaxBuildError {
  return hasBrand(value, brand);
}

/**
 * The error for user input whose reading threw (a getter, a revoked `Proxy`): the message says
 * what could not be read and what was thrown; `cause` is what was thrown.
 */
export function unreadableInput(
  code: BuildErrorCode,
  problem: string,
  thrown: unknown,
  task: string | undefined,
  field: string,
): SdaxBuildError {
  return new SdaxBuildError(code, `${problem} (${thrownText(thrown)})`, task, field, {
    cause: thrown,
  });
}
