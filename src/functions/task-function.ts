import { hasBrand } from "../errors/brand.js";
import { SdaxBuildError, unreadableInput } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { quoted } from "../errors/quoted.js";
import {
  DEFAULT_OPTIONS,
  optionNames,
  type ResolvedOptions,
  type TaskFunctionOptions,
  validateOptions,
} from "./options.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskScope } from "./task-scope.js";

/**
 * A task function: receives the run's context and its {@link TaskScope}; may return a value or
 * a promise. A synchronous throw is a failure like a rejection.
 */
export type TaskFn<T> = (ctx: T, scope: TaskScope) => unknown;

/** A phase is a bare function (meaning `taskFunc(fn)` with defaults) or a {@link TaskFunction}. */
export type PhaseFn<T> = TaskFn<T> | TaskFunction<T>;

const brand = Symbol.for("sdax.TaskFunction");

/** A function with its timeout, retry and abandonment settings. Immutable; made by {@link taskFunc}. */
export interface TaskFunction<T> extends ResolvedOptions {
  /** The function itself. */
  readonly fn: TaskFn<T>;
}

/**
 * Wraps a function with options. Options are validated now: a bad value throws an
 * `SdaxBuildError` naming the field and the value. A generator function (`function*` or
 * `async function*`) is refused: calling it would run none of its body; so is a class, which
 * cannot be called without `new`.
 *
 * @example
 * const fetchUser = taskFunc(
 *   async (ctx: Ctx, { signal }) => { ctx.user = await db.user(ctx.id, { signal }); },
 *   { timeoutMs: 2_000, retries: 2, initialDelayMs: 100 },
 * );
 */
export function taskFunc<T>(fn: TaskFn<T>, options?: TaskFunctionOptions): TaskFunction<T> {
  return new BrandedTaskFunction(fn, validateOptions(fn, options, undefined, undefined));
}

/** True for a value made by {@link taskFunc} (even by another copy of the package). */
export function isTaskFunction(value: unknown): value is TaskFunction<unknown> {
  return hasBrand(value, brand);
}

/**
 * Checks a phase given to `task()` and keeps it as given: a {@link TaskFunction}, or a bare
 * function (which means `taskFunc(fn)` with defaults; its record is made only if someone
 * reads the phase, see {@link asTaskFunction}). A `TaskFunction` this copy did not make is read
 * once into one of its own. Anything else, a generator function or a class included, is
 * refused with a message naming the task and the phase.
 */
export function toPhaseFn<T>(value: unknown, task: string, phase: PhaseName): PhaseFn<T> {
  if (typeof value === "object" && value !== null && BrandedTaskFunction.isOwn(value)) {
    return value as TaskFunction<T>;
  }
  if (isTaskFunction(value)) return adoptTaskFunction(value, task, phase);
  validateOptions(value, undefined, task, phase);
  return value as TaskFn<T>;
}

/**
 * A {@link TaskFunction} of this copy for one carrying the brand that this copy did not make:
 * made by another copy of sdax, a Proxy of one, or an imitation. Its fields are read once,
 * here, and checked as {@link taskFunc} checks them, so nothing of it is read during a run.
 */
function adoptTaskFunction<T>(
  given: TaskFunction<unknown>,
  task: string,
  phase: PhaseName,
): TaskFunction<T> {
  let fn: unknown;
  const options: Record<string, unknown> = {};
  try {
    fn = given.fn;
    for (const name of optionNames) options[name] = given[name];
  } catch (error) {
    throw unreadableInput(
      "invalid-phase",
      `task ${quoted(task)} ${phase}: its taskFunc(...) could not be read`,
      error,
      task,
      phase,
    );
  }
  if (typeof fn !== "function") {
    throw new SdaxBuildError(
      "invalid-phase",
      `task ${quoted(task)} ${phase}: its taskFunc(...) has no function: \`fn\` is ${describeValue(fn)}`,
      task,
      "fn",
    );
  }
  return new BrandedTaskFunction(fn as TaskFn<T>, validateOptions(fn, options, task, phase));
}

/** The {@link TaskFunction} a checked phase stands for: a bare function gets the defaults. */
export function asTaskFunction<T>(phase: PhaseFn<T>): TaskFunction<T> {
  return typeof phase === "function" ? new BrandedTaskFunction(phase, DEFAULT_OPTIONS) : phase;
}

/**
 * The one shape of every task function: its fields set in the constructor, the brand on the
 * prototype, so making one is an allocation and a freeze, not a spread and a defineProperty.
 */
class BrandedTaskFunction<T> implements TaskFunction<T> {
  /** Only this copy's records have it (see {@link BrandedTaskFunction.isOwn}). */
  readonly #own = true;
  readonly fn: TaskFn<T>;
  readonly timeoutMs: number | null;
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly backoffFactor: number;
  readonly maxDelayMs: number;
  readonly retryOn: (error: unknown) => boolean;
  readonly abandonAfterMs: number | null | undefined;

  constructor(fn: TaskFn<T>, options: ResolvedOptions) {
    this.fn = fn;
    this.timeoutMs = options.timeoutMs;
    this.retries = options.retries;
    this.initialDelayMs = options.initialDelayMs;
    this.backoffFactor = options.backoffFactor;
    this.maxDelayMs = options.maxDelayMs;
    this.retryOn = options.retryOn;
    this.abandonAfterMs = options.abandonAfterMs;
    Object.freeze(this);
  }

  /** True for a record made by this copy (not a Proxy of one, nor an object carrying the brand). */
  static isOwn(value: object): boolean {
    return #own in value;
  }
}
Object.defineProperty(BrandedTaskFunction.prototype, brand, { value: true });

/**
 * @internal The same settings around another function, for the library's own wrappers
 * (tracing, fault injection); no validation, since `options` already passed it.
 */
export function withFn<T>(options: TaskFunction<T>, fn: TaskFn<T>): TaskFunction<T> {
  return new BrandedTaskFunction(fn, options);
}
