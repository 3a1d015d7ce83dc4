import { hasBrand } from "./brand.js";

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
  override readonly name = "SdaxBuildError";
  constructor(
    /** What kind of mistake this is. */
    readonly code: BuildErrorCode,
    message: string,
    /** The task concerned, where one is. */
    readonly task?: string,
    /** The field concerned, where one is (`"level"`, `"dependsOn"`, `"timeoutMs"`, ...). */
    readonly field?: string,
  ) {
    super(message);
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for an {@link SdaxBuildError}, even one from another copy of the package. */
export function isSdaxBuildError(value: unknown): value is SdaxBuildError {
  return hasBrand(value, brand);
}
