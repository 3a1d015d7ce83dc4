import type { PhaseName } from "../functions/phase-name.js";
import { hasBrand } from "./brand.js";
import { safeString } from "./describe-error.js";

/** One failed phase of a run. */
export interface TaskFailure {
  /** The task's name. */
  readonly task: string;
  /** The phase that failed. */
  readonly phase: PhaseName;
  /** The error of the last attempt, exactly as thrown (non-`Error` values are kept as they were). */
  readonly error: unknown;
  /** How many attempts were made, the first included. */
  readonly attempts: number;
}

const brand = Symbol.for("sdax.SdaxExecutionError");

/**
 * What a failed run rejects with, after all cleanup: one entry per failed phase, in the order
 * they failed (`spec/lifecycle.md` INV-14). `errors` holds the same errors as `failures`.
 * After an external abort, `cause` is the signal's reason.
 *
 * @example
 * try {
 *   await processor.processTasks(ctx);
 * } catch (error) {
 *   if (!isSdaxExecutionError(error)) throw error;
 *   for (const f of error.failures) console.error(`${f.task}.${f.phase}:`, f.error);
 * }
 */
export class SdaxExecutionError extends AggregateError {
  override readonly name = "SdaxExecutionError";
  /** Every failed phase, in the order they failed. */
  readonly failures: readonly TaskFailure[];
  /** True when the run's external signal aborted before cleanup began. */
  readonly aborted: boolean;

  constructor(failures: readonly TaskFailure[], abortReason?: { readonly reason: unknown }) {
    super(
      failures.map((f) => f.error),
      executionMessage(failures, abortReason),
      abortReason === undefined ? undefined : { cause: abortReason.reason },
    );
    this.failures = Object.freeze([...failures]);
    this.aborted = abortReason !== undefined;
    Object.defineProperty(this, brand, { value: true });
  }

  /** The underlying errors, with nested `AggregateError`s (and `SdaxExecutionError`s) flattened. */
  leafErrors(): unknown[] {
    const leaves: unknown[] = [];
    const stack: unknown[] = [...this.errors].reverse();
    while (stack.length > 0) {
      const error = stack.pop();
      if (error instanceof AggregateError && error.errors.length > 0) {
        for (let i = error.errors.length - 1; i >= 0; i--) stack.push(error.errors[i]);
      } else {
        leaves.push(error);
      }
    }
    return leaves;
  }
}

/** True for an {@link SdaxExecutionError}, even one from another copy of the package. */
export function isSdaxExecutionError(value: unknown): value is SdaxExecutionError {
  return hasBrand(value, brand);
}

function executionMessage(
  failures: readonly TaskFailure[],
  abortReason: { readonly reason: unknown } | undefined,
): string {
  const parts: string[] = [];
  if (abortReason !== undefined) parts.push(`run aborted: ${reasonText(abortReason.reason)}`);
  if (failures.length > 0) {
    const shown = failures.slice(0, 10).map((f) => {
      const tries = f.attempts === 1 ? "" : ` after ${f.attempts} attempts`;
      return `task "${f.task}" ${f.phase} failed${tries}: ${errorText(f.error)}`;
    });
    if (failures.length > 10) shown.push(`and ${failures.length - 10} more`);
    parts.push(
      `${failures.length} phase${failures.length === 1 ? "" : "s"} failed: ${shown.join("; ")}`,
    );
  }
  return `sdax run failed: ${parts.join("; ")}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `${safeString(error)} (thrown ${error === null ? "null" : typeof error})`;
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : safeString(reason);
}
