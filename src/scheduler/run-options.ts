import { isConcurrencyLimit } from "../builders/build-options.js";
import { describeValue } from "../errors/describe-error.js";
import { escapedText } from "../errors/quoted.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import { notAnsweringAtOnce } from "../functions/function-kind.js";
import { isPlainObject, ownOption } from "../functions/option-object.js";
import { MAX_TIMER_MS } from "../functions/options.js";
import { type Clock, realClock } from "../time/clock.js";
import { inheritsFromAbortSignal, isAbortSignal } from "./abort-watch.js";

/** Options of one run. */
export interface RunOptions {
  /** Cancels the whole run when it aborts (until cleanup begins; postExecute is never aborted). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Receives every lifecycle transition, in order, as plain data. Called synchronously: keep it
   * cheap. An error it throws is reported as an uncaught exception (like an `EventTarget`
   * listener's) and does not disturb the run. Without it no event is built.
   */
  readonly onEvent?: ((event: LifecycleEvent) => void) | undefined;
  /** Time source for timeouts, retry delays and event times. @default realClock */
  readonly clock?: Clock | undefined;
  /** Jitter source for retry delays, returning [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
  /**
   * Default `abandonAfterMs` for every function of this run that sets none: how long to wait
   * for a cancelled or timed-out function to settle. `null` or absent: wait for ever.
   */
  readonly abandonAfterMs?: number | null | undefined;
  /**
   * At most this many phase functions of this run running at once, postExecute included; the
   * others wait for a slot in the order they became able to start (`spec/lifecycle.md`
   * section 8). An integer from 1, or `Infinity` for no limit. Absent: the processor's
   * `build({ maxConcurrency })`, whose default is no limit.
   */
  readonly maxConcurrency?: number | undefined;
  /**
   * A deadline for the whole run, in ms on the run's clock: when it passes the run is aborted
   * as by its `signal`, with a `TaskTimeoutError` as the reason; cleanup still runs,
   * unaborted. `null` or absent: no deadline.
   */
  readonly timeoutMs?: number | null | undefined;
}

const knownKeys = [
  "signal",
  "onEvent",
  "clock",
  "random",
  "abandonAfterMs",
  "maxConcurrency",
  "timeoutMs",
] as const;

/**
 * Run options as the engine uses them: each read exactly once from the caller's object, then
 * checked (spec INV-33). The clock's methods are read once too, and called with the clock as
 * `this`.
 */
export interface ResolvedRunOptions {
  readonly signal: AbortSignal | undefined;
  readonly onEvent: ((event: LifecycleEvent) => void) | undefined;
  /** The clock object itself: `this` for its methods. */
  readonly clock: Clock;
  readonly now: Clock["now"];
  readonly setTimeout: Clock["setTimeout"];
  readonly clearTimeout: Clock["clearTimeout"];
  readonly random: () => number;
  readonly abandonAfterMs: number | null | undefined;
  /** `undefined`: the processor's default. */
  readonly maxConcurrency: number | undefined;
  /** `null`: no deadline. */
  readonly timeoutMs: number | null;
}

const defaults: ResolvedRunOptions = Object.freeze({
  signal: undefined,
  onEvent: undefined,
  clock: realClock,
  now: realClock.now,
  setTimeout: realClock.setTimeout,
  clearTimeout: realClock.clearTimeout,
  random: Math.random,
  abandonAfterMs: undefined,
  maxConcurrency: undefined,
  timeoutMs: null,
});

/**
 * Reads and checks run options; throws a `TypeError` naming the first bad option (its `cause`
 * is what a throwing getter threw). Never reads a field twice.
 */
export function readRunOptions(options: unknown): ResolvedRunOptions {
  if (options === undefined) return defaults;
  if (!isPlainObject(options)) {
    const hint = isAbortSignal(options) ? " (pass a signal as { signal })" : "";
    throw new TypeError(
      `run options must be a plain object like { signal, onEvent }, got ${describeValue(options)}${hint}`,
    );
  }
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (cause) {
    throw new TypeError("run options: the object's keys cannot be listed", { cause });
  }
  for (const key of keys) {
    if (!(knownKeys as readonly string[]).includes(key)) {
      throw new TypeError(
        `run options: unknown option \`${escapedText(key)}\`; known options: ${knownKeys.join(", ")}`,
      );
    }
  }
  const signal = read(options, "signal");
  if (signal !== undefined && !isAbortSignal(signal)) {
    const got = inheritsFromAbortSignal(signal)
      ? "an object that inherits from AbortSignal.prototype but is no signal (use an AbortController's signal)"
      : describeValue(signal);
    throw new TypeError(`run options: \`signal\` must be an AbortSignal, got ${got}`);
  }
  const onEvent = readFunction(options, "onEvent");
  const detached = collectorMethods.get(onEvent);
  if (detached !== undefined) {
    throw new TypeError(
      `run options: \`onEvent\` is ${detached}, which throws when called with no \`this\`, as a listener is; give (event) => events.${detached.slice(detached.lastIndexOf(".") + 1)}(event)`,
    );
  }
  const random = readFunction(options, "random");
  const randomKind = random === undefined ? undefined : notAnsweringAtOnce(random);
  if (randomKind !== undefined) {
    throw new TypeError(
      `run options: \`random\` must be a function returning a number at once, got ${randomKind}`,
    );
  }
  const clock = read(options, "clock");
  let methods: Pick<ResolvedRunOptions, "now" | "setTimeout" | "clearTimeout"> = {
    now: defaults.now,
    setTimeout: defaults.setTimeout,
    clearTimeout: defaults.clearTimeout,
  };
  if (clock !== undefined) {
    if (typeof clock !== "object" || clock === null) throw badClock(clock);
    const c = clock as Record<string, unknown>;
    const now = readClockMethod(c, "now");
    const setTimeout = readClockMethod(c, "setTimeout");
    const clearTimeout = readClockMethod(c, "clearTimeout");
    if (
      typeof now !== "function" ||
      typeof setTimeout !== "function" ||
      typeof clearTimeout !== "function"
    ) {
      throw badClock(clock);
    }
    methods = {
      now: now as Clock["now"],
      setTimeout: setTimeout as Clock["setTimeout"],
      clearTimeout: clearTimeout as Clock["clearTimeout"],
    };
  }
  const abandon = read(options, "abandonAfterMs");
  if (
    abandon !== undefined &&
    abandon !== null &&
    (typeof abandon !== "number" || !(abandon >= 0 && abandon <= MAX_TIMER_MS))
  ) {
    throw new TypeError(
      `run options: \`abandonAfterMs\` must be a number of ms from 0 to ${MAX_TIMER_MS}, or null, got ${describeValue(abandon)}`,
    );
  }
  const maxConcurrency = read(options, "maxConcurrency");
  if (maxConcurrency !== undefined && !isConcurrencyLimit(maxConcurrency)) {
    throw new TypeError(
      `run options: \`maxConcurrency\` must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, or Infinity for no limit, got ${describeValue(maxConcurrency)}`,
    );
  }
  const timeoutMs = read(options, "timeoutMs");
  if (
    timeoutMs !== undefined &&
    timeoutMs !== null &&
    (typeof timeoutMs !== "number" || !(timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS))
  ) {
    throw new TypeError(
      `run options: \`timeoutMs\` (the run's deadline) must be a number of ms from 0 to ${MAX_TIMER_MS}, or null, got ${describeValue(timeoutMs)}`,
    );
  }
  return {
    signal: signal as AbortSignal | undefined,
    onEvent: onEvent as ResolvedRunOptions["onEvent"],
    clock: (clock as Clock | undefined) ?? realClock,
    ...methods,
    random: (random as (() => number) | undefined) ?? Math.random,
    abandonAfterMs: abandon as number | null | undefined,
    maxConcurrency: maxConcurrency as number | undefined,
    timeoutMs: (timeoutMs as number | null | undefined) ?? null,
  };
}

/** An option: the object's own property only (a polluted `Object.prototype` gives none). */
function read(o: object, key: string): unknown {
  try {
    return ownOption(o, key);
  } catch (cause) {
    throw new TypeError(`run options: reading \`${key}\` threw`, { cause });
  }
}

/** A clock's method, which a class (`VirtualClock`) has on its prototype. */
function readClockMethod(clock: Record<string, unknown>, key: string): unknown {
  try {
    return clock[key];
  } catch (cause) {
    throw new TypeError(`run options: reading \`clock.${key}\` threw`, { cause });
  }
}

/**
 * The methods a listener is most often written as, taken from their collection
 * (`onEvent: events.push`): called with no `this`, each throws.
 */
const collectorMethods: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [Array.prototype.push, "Array.prototype.push"],
  [Array.prototype.unshift, "Array.prototype.unshift"],
  [Set.prototype.add, "Set.prototype.add"],
]);

function readFunction(o: object, key: string): unknown {
  const value = read(o, key);
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(`run options: \`${key}\` must be a function, got ${describeValue(value)}`);
  }
  return value;
}

function badClock(clock: unknown): TypeError {
  return new TypeError(
    `run options: \`clock\` must have now(), setTimeout() and clearTimeout(), got ${describeValue(clock)}`,
  );
}
