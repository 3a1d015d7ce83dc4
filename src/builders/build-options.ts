import { SdaxBuildError, unreadableInput } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { escapedText } from "../errors/quoted.js";
import { isPlainObject, ownOption } from "../functions/option-object.js";
import { compiled, type Plan } from "../graph/plan.js";

/** Options of `build()`: defaults every run of the processor starts from. */
export interface BuildOptions {
  /**
   * At most this many phase functions of one run running at once, postExecute included
   * (`spec/lifecycle.md` section 8). A run's own `maxConcurrency` replaces it. An integer
   * from 1, or `Infinity` for no limit.
   * @default Infinity
   */
  readonly maxConcurrency?: number | undefined;
}

/** True for a valid `maxConcurrency`: an integer from 1, or `Infinity`. */
export function isConcurrencyLimit(value: unknown): value is number {
  return (
    value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && (value as number) >= 1)
  );
}

/**
 * The plan with the build options applied; an invalid option throws an `SdaxBuildError` naming
 * it. Each option is read once.
 */
export function applyBuildOptions<T>(plan: Plan<T>, options: unknown): Plan<T> {
  if (options === undefined) return plan;
  if (!isPlainObject(options)) {
    throw new SdaxBuildError(
      "invalid-option",
      `build(): options must be a plain object like { maxConcurrency }, got ${describeValue(options)}`,
      undefined,
      "options",
    );
  }
  let keys: string[];
  let maxConcurrency: unknown;
  try {
    keys = Object.keys(options);
    maxConcurrency = ownOption(options, "maxConcurrency");
  } catch (error) {
    throw unreadableInput(
      "invalid-option",
      "build(): options could not be read",
      error,
      undefined,
      "options",
    );
  }
  for (const key of keys) {
    if (key !== "maxConcurrency") {
      throw new SdaxBuildError(
        "invalid-option",
        `build(): unknown option \`${escapedText(key)}\`; the only build option is maxConcurrency`,
        undefined,
        key,
      );
    }
  }
  if (maxConcurrency === undefined) return plan;
  if (!isConcurrencyLimit(maxConcurrency)) {
    throw new SdaxBuildError(
      "invalid-option",
      `build(): maxConcurrency must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, or Infinity for no limit, got ${describeValue(maxConcurrency)}`,
      undefined,
      "maxConcurrency",
    );
  }
  return compiled(Object.freeze({ ...plan, maxConcurrency }));
}
