import * as z from "zod/mini";
import { SdaxBuildError, unreadableInput } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { nearestName } from "../errors/edit-distance.js";
import { escapedText, quoted } from "../errors/quoted.js";
import { isRetryable } from "../errors/retryable-error.js";
import { generatorKind, isClass, notAnsweringAtOnce } from "./function-kind.js";
import { isPlainObject, ownOptions } from "./option-object.js";
import type { PhaseName } from "./phase-name.js";

/**
 * The longest delay Node's `setTimeout` honours (2^31 - 1 ms, about 24.8 days): a longer one
 * silently fires after 1 ms, so timeouts, delays and abandonment are capped here.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** How a task function times out, retries and is abandoned. Every field is optional. */
export interface TaskFunctionOptions {
  /**
   * Time limit of each attempt in ms; the attempt then fails with a `TaskTimeoutError` and its
   * `scope.signal` aborts. `null` or absent: no limit.
   * @default null
   */
  readonly timeoutMs?: number | null | undefined;
  /**
   * Extra attempts after the first, for errors `retryOn` accepts. An integer >= 0.
   * @default 0
   */
  readonly retries?: number | undefined;
  /**
   * Base of the retry delay: attempt `n` fails, then the next starts after
   * `min(maxDelayMs, initialDelayMs * backoffFactor ** (n - 1) * uniform(0.5, 1))` ms.
   * @default 1000
   */
  readonly initialDelayMs?: number | undefined;
  /**
   * Growth of the retry delay per attempt; > 0.
   * @default 2
   */
  readonly backoffFactor?: number | undefined;
  /**
   * Upper bound of one retry delay, so a large `retries` cannot overflow to `Infinity`.
   * @default 2147483647 (the longest timer Node honours)
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * Decides whether an error is worth another attempt. A cancellation is never retried.
   * @default isRetryable
   */
  readonly retryOn?: ((error: unknown) => boolean) | undefined;
  /**
   * Once the attempt's outcome is decided while its function (or a child it spawned) still
   * runs (it failed, timed out or was cancelled), how long to wait for it to settle before it
   * is abandoned (its late settlement is still observed and reported). `null`: wait for ever.
   * Absent: the run's `abandonAfterMs`, whose default is to wait for ever.
   */
  readonly abandonAfterMs?: number | null | undefined;
}

/** Options with every default applied; `abandonAfterMs` stays `undefined` to defer to the run. */
export interface ResolvedOptions {
  /** Time limit of each attempt in ms; `null`: no limit. */
  readonly timeoutMs: number | null;
  /** Extra attempts after the first. */
  readonly retries: number;
  /** Base of the retry delay, in ms. */
  readonly initialDelayMs: number;
  /** Growth of the retry delay per attempt. */
  readonly backoffFactor: number;
  /** Upper bound of one retry delay, in ms. */
  readonly maxDelayMs: number;
  /** Decides whether an error is worth another attempt. */
  readonly retryOn: (error: unknown) => boolean;
  /**
   * How long to wait for a cancelled or timed-out attempt to settle before abandoning it, in
   * ms; `null`: for ever; `undefined`: the run's `abandonAfterMs`.
   */
  readonly abandonAfterMs: number | null | undefined;
}

/** A `retryOn`: a function that answers at once, so not async, a generator or a class. */
const isJudge = (v: unknown): boolean =>
  typeof v === "function" && notAnsweringAtOnce(v) === undefined;
// zod/mini, not "zod": the same checks, but a bundle takes in only the parts used (about 17 KB
// minified instead of 450 KB). The messages are ours (below), so zod's locale is not needed.
const delay = z.number().check(z.minimum(0), z.maximum(MAX_TIMER_MS));

const optionsSchema = z.strictObject({
  timeoutMs: z.optional(z.nullable(delay)),
  retries: z.optional(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
  initialDelayMs: z.optional(delay),
  backoffFactor: z.optional(z.number().check(z.gt(0))),
  maxDelayMs: z.optional(delay),
  retryOn: z.optional(z.custom<(error: unknown) => boolean>(isJudge)),
  abandonAfterMs: z.optional(z.nullable(delay)),
});

/** What each option must be, for messages. */
const expectations: Record<keyof TaskFunctionOptions, string> = {
  timeoutMs: `a number of ms from 0 to ${MAX_TIMER_MS}, or null for no timeout`,
  retries: `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
  initialDelayMs: `a number of ms from 0 to ${MAX_TIMER_MS}`,
  backoffFactor: "a finite number > 0",
  maxDelayMs: `a number of ms from 0 to ${MAX_TIMER_MS}`,
  retryOn: "a function (error) => boolean that answers at once",
  abandonAfterMs: `a number of ms from 0 to ${MAX_TIMER_MS}, or null to wait for ever`,
};

/** The names of the options, in the order messages list them. */
export const optionNames = Object.keys(expectations) as (keyof TaskFunctionOptions)[];

/**
 * Validates a function and its options; throws an `SdaxBuildError` naming field and value.
 * `task` and `phase` say where the function was given (`task()`), or are undefined (`taskFunc`).
 */
export function validateOptions(
  fn: unknown,
  options: unknown,
  task: string | undefined,
  phase: PhaseName | undefined,
): ResolvedOptions {
  if (typeof fn !== "function") {
    const hint = task === undefined ? "" : " or a taskFunc(...)";
    throw new SdaxBuildError(
      "invalid-phase",
      `${whereOf(task, phase)}: expected a function${hint}, got ${describeValue(fn)}`,
      task,
      phase ?? "fn",
    );
  }
  const generator = generatorKind(fn);
  if (generator !== undefined) {
    throw new SdaxBuildError(
      "invalid-phase",
      `${whereOf(task, phase)}: ${generator} function cannot be a phase: calling it runs none of its body ` +
        "(it only returns a generator object), so the phase would succeed without doing its " +
        "work; use an async function instead",
      task,
      phase ?? "fn",
    );
  }
  if (isClass(fn)) {
    throw new SdaxBuildError(
      "invalid-phase",
      `${whereOf(task, phase)}: a class cannot be a phase: calling one without \`new\` throws, so ` +
        "every attempt would fail; give a function that uses the class instead",
      task,
      phase ?? "fn",
    );
  }
  if (options === undefined) return DEFAULT_OPTIONS;
  if (!isPlainObject(options)) {
    throw new SdaxBuildError(
      "invalid-option",
      `${whereOf(task, phase)}: options must be a plain object like { timeoutMs: 1000 }, got ${describeValue(options)}`,
      task,
      "options",
    );
  }
  let own: Record<string, unknown>;
  let parsed: ReturnType<typeof optionsSchema.safeParse>;
  try {
    // Each option read once, and only the object's own: a message never reads one a second
    // time (a getter may give another value, or throw).
    own = ownOptions(options);
    parsed = optionsSchema.safeParse(own, { reportInput: true });
  } catch (error) {
    // A getter or a Proxy trap that throws: refused like any other bad option object.
    throw unreadableInput(
      "invalid-option",
      `${whereOf(task, phase)}: options could not be read`,
      error,
      task,
      "options",
    );
  }
  if (!parsed.success) throw optionError(own, parsed.error, task, phase);
  // The schema checks and changes nothing; its output inherits from Object.prototype, `own`
  // does not.
  const o = own as TaskFunctionOptions;
  return Object.freeze({
    timeoutMs: o.timeoutMs ?? null,
    retries: o.retries ?? 0,
    initialDelayMs: o.initialDelayMs ?? 1000,
    backoffFactor: o.backoffFactor ?? 2,
    maxDelayMs: o.maxDelayMs ?? MAX_TIMER_MS,
    retryOn: o.retryOn ?? isRetryable,
    abandonAfterMs: o.abandonAfterMs,
  });
}

/** Every option at its default: what a bare function runs with. */
export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  timeoutMs: null,
  retries: 0,
  initialDelayMs: 1000,
  backoffFactor: 2,
  maxDelayMs: MAX_TIMER_MS,
  retryOn: isRetryable,
  abandonAfterMs: undefined,
});

/** Where a function was given, for messages only: built when one is needed, never per call. */
function whereOf(task: string | undefined, phase: PhaseName | undefined): string {
  return task === undefined ? "taskFunc" : `task ${quoted(task)} ${phase}`;
}

function optionError(
  options: Record<string, unknown>,
  error: z.core.$ZodError,
  task: string | undefined,
  phase: PhaseName | undefined,
): SdaxBuildError {
  const issue = error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const value = options[key];
    const guess = closestOption(key, value);
    const check =
      guess === "retryOn" && typeof value !== "function"
        ? "; it takes a check, like (error) => error instanceof TypeError"
        : "";
    const hint =
      guess === undefined
        ? `; known options: ${optionNames.join(", ")}`
        : ` (did you mean \`${guess}\`?)${check}`;
    return new SdaxBuildError(
      "invalid-option",
      `${whereOf(task, phase)}: unknown option \`${escapedText(key)}\`${hint}`,
      task,
      key,
    );
  }
  const field = String(issue?.path[0] ?? "options") as keyof TaskFunctionOptions;
  const got = describeFunctionOrValue(issue?.input);
  // Python's `retryable_exceptions=(TypeError,)` ports as a class; say how to write it.
  const hint =
    field === "retryOn" && (got === "a class" || got === "an error class")
      ? "; to retry on an error class, give (error) => error instanceof TheClass"
      : "";
  return new SdaxBuildError(
    "invalid-option",
    `${whereOf(task, phase)}: option \`${field}\` must be ${expectations[field]}, got ${got}${hint}`,
    task,
    field,
  );
}

function describeFunctionOrValue(value: unknown): string {
  return (typeof value === "function" && notAnsweringAtOnce(value)) || describeValue(value);
}

const functionOptions: ReadonlySet<string> = new Set(["retryOn"]);

/**
 * The known option a mistyped key most likely meant: the same letters in another case; else,
 * among options that take a value like the one given (a function or not), one containing the
 * key or contained in it; else the nearest by edit distance, if close enough.
 * `retry: 3` suggests `retries`; `timeout: 5`, `timeoutMs`; `retryIf: fn`, `retryOn`; Python's
 * `retryable_exceptions`, `retryOn`.
 */
function closestOption(key: string, value: unknown): string | undefined {
  // Python's name, which its letters alone would not lead to.
  if (key === "retryable_exceptions") return "retryOn";
  const sameLetters = nearestName(key, optionNames, 1);
  if (sameLetters !== undefined) return sameLetters;
  const candidates = optionNames.filter(
    (name) => functionOptions.has(name) === (typeof value === "function"),
  );
  const k = key.toLowerCase();
  const containing = candidates.find((name) => {
    const n = name.toLowerCase();
    return n.includes(k) || k.includes(n);
  });
  if (containing !== undefined) return containing;
  return nearestName(key, candidates, Math.max(3, Math.floor(k.length / 2)) + 1);
}
