import type { FailureInfo } from "../events/lifecycle-event.js";
import type { PhaseName } from "../functions/phase-name.js";
import { hasBrand } from "./brand.js";
import {
  describeError,
  describeValue,
  type ErrorInfo,
  errorText,
  isErrorInstance,
  safeString,
  thrownText,
} from "./describe-error.js";
import { errorsOf, flattenInto } from "./flatten-errors.js";
import { quoted } from "./quoted.js";

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
  /**
   * True when the phase had been cancelled (another phase failed, or the run's signal aborted)
   * and its function then failed with an error of its own rather than the cancellation's (a
   * rollback that threw, say): `spec/lifecycle.md` INV-32. False for every other failure.
   */
  readonly afterCancel: boolean;
  /**
   * Errors of its own that the last attempt threw after its outcome was decided, in the order
   * they came: a child that failed after its function had failed, or a function that ignored
   * its timeout and then rejected. Absent when there were none (`spec/task-functions.md`
   * section 4). An abandoned attempt's errors after its abandonment are reported by its
   * `lateSettle` event only.
   */
  readonly laterErrors?: readonly unknown[];
}

/**
 * An {@link SdaxExecutionError} as plain data: what `JSON.stringify` writes for it, so a log
 * line shows every failure and its error (an `Error` itself stringifies to `{}`). Errors are
 * given as `{ name, message }`, as events give them.
 */
export interface SdaxExecutionErrorJSON {
  /** The error's name, `"SdaxExecutionError"`. */
  readonly name: string;
  /** The error's message, naming each failed phase. */
  readonly message: string;
  /** As {@link SdaxExecutionError.aborted}. */
  readonly aborted: boolean;
  /** The signal's reason, or the deadline's error, when the run was aborted. */
  readonly cause?: ErrorInfo;
  /** Every failed phase, in the order they failed, with its later errors when it had any. */
  readonly failures: readonly (FailureInfo & {
    /** As {@link TaskFailure.laterErrors}: absent when there were none. */
    readonly laterErrors?: readonly ErrorInfo[];
  })[];
}

const brand = Symbol.for("sdax.SdaxExecutionError");

/**
 * What a failed run rejects with, after all cleanup: one entry per failed phase, in the order
 * they failed (`spec/lifecycle.md` INV-14). `errors` holds the errors of `failures`: each
 * failure's `error`, then its `laterErrors`.
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
  /** Always `"SdaxExecutionError"`. */
  override readonly name = "SdaxExecutionError";
  /**
   * Each failure's error, then its later errors, in the order the phases failed: what
   * `AggregateError` keeps. Typed `unknown`, as a thrown value can be anything.
   */
  declare readonly errors: unknown[];
  /** Every failed phase, in the order they failed. */
  readonly failures: readonly TaskFailure[];
  /**
   * True when the run was aborted before cleanup began: by its signal, or at its deadline (the
   * run option `timeoutMs`; `cause` is then a `TaskTimeoutError`).
   */
  readonly aborted: boolean;

  constructor(failures: readonly TaskFailure[], abortReason?: { readonly reason: unknown }) {
    if (!Array.isArray(failures)) throw notFailures(describeValue(failures));
    const bad = failures.findIndex(isNotFailure);
    if (bad >= 0) throw notFailures(`${describeValue(failures[bad])} in it`);
    super(
      failures.flatMap((f) =>
        f.laterErrors === undefined ? [f.error] : [f.error, ...f.laterErrors],
      ),
      executionMessage(failures, abortReason),
      abortReason === undefined ? undefined : { cause: abortReason.reason },
    );
    this.failures = Object.freeze([...failures]);
    this.aborted = abortReason !== undefined;
    Object.defineProperty(this, brand, { value: true });
  }

  /**
   * The underlying errors, with nested `AggregateError`s (and `SdaxExecutionError`s)
   * flattened: `flattenErrors` of each of `errors`, in order. Cycle-safe and never throws.
   */
  leafErrors(): unknown[] {
    const errors = errorsOf(this);
    if (errors === undefined) return [];
    // This error is expanded already: an `errors` that contains it adds nothing.
    return flattenInto(errors, new Set<unknown>([this]), []);
  }

  /**
   * Plain data for a log: `JSON.stringify(error)` writes this. Never throws for an error sdax
   * made.
   *
   * @example
   * logger.error(JSON.stringify(error));
   * // {"name":"SdaxExecutionError","message":"sdax run failed: ...","aborted":false,
   * //  "failures":[{"task":"a","phase":"execute","attempts":1,"afterCancel":false,
   * //  "error":{"name":"Error","message":"boom"}}]}
   */
  toJSON(): SdaxExecutionErrorJSON {
    return {
      name: safeString(this.name),
      message: safeString(this.message),
      aborted: this.aborted,
      ...(this.aborted ? { cause: describeError(this.cause) } : {}),
      failures: this.failures.map((f) => ({
        ...failureInfo(f),
        ...(f.laterErrors === undefined ? {} : { laterErrors: f.laterErrors.map(describeError) }),
      })),
    };
  }
}

/** A failure as plain data, its error as `{ name, message }`: for events and for JSON. */
export function failureInfo(f: TaskFailure): FailureInfo {
  return {
    task: f.task,
    phase: f.phase,
    attempts: f.attempts,
    afterCancel: f.afterCancel,
    error: describeError(f.error),
  };
}

function notFailures(got: string): TypeError {
  return new TypeError(
    `SdaxExecutionError: failures must be an array of { task, phase, error, attempts, afterCancel, laterErrors? }, got ${got}`,
  );
}

/** Not something a failure can be: not an object, or `laterErrors` that is not an array. */
function isNotFailure(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const later = (value as { laterErrors?: unknown }).laterErrors;
  return later !== undefined && !Array.isArray(later);
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
    const shown = failures.slice(0, 10).map(failureText);
    if (failures.length > 10) shown.push(`and ${failures.length - 10} more`);
    parts.push(
      `${failures.length} phase${failures.length === 1 ? "" : "s"} failed: ${shown.join("; ")}`,
    );
  }
  return parts.length === 0 ? "sdax run failed" : `sdax run failed: ${parts.join("; ")}`;
}

/** `task "b" execute failed after 2 attempts, after its cancellation: Error: rollback failed`. */
function failureText(f: TaskFailure): string {
  const how: string[] = [];
  if (f.attempts !== 1) how.push(`after ${safeString(f.attempts)} attempts`);
  if (f.afterCancel === true) how.push("after its cancellation");
  const suffix = how.length === 0 ? "" : ` ${how.join(", ")}`;
  const later =
    f.laterErrors === undefined || f.laterErrors.length === 0
      ? ""
      : ` (then ${f.laterErrors.length === 1 ? "an error" : `${f.laterErrors.length} errors`} of its own: ${errorsText(f.laterErrors)})`;
  return `task ${quoted(f.task)} ${safeString(f.phase)} failed${suffix}: ${thrownText(f.error)}${later}`;
}

/** How many errors a message shows in full before it only counts them. */
const SHOWN_ERRORS = 3;

/** Errors for a message: `Error: a; Error: b`, the first few and how many in all. Never throws. */
export function errorsText(errors: readonly unknown[]): string {
  const shown = errors.slice(0, SHOWN_ERRORS).map(thrownText).join("; ");
  return errors.length > SHOWN_ERRORS ? `${shown}; ... (${errors.length} in all)` : shown;
}

/** `Name: message` for an `Error`, a safe string form for anything else; never throws. */
function reasonText(reason: unknown): string {
  return isErrorInstance(reason) ? errorText(reason) : safeString(reason);
}
