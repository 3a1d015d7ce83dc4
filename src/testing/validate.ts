import { describeValue } from "../errors/describe-error.js";
import { escapedText, quoted } from "../errors/quoted.js";
import { generatorKind, isClass, notAnsweringAtOnce } from "../functions/function-kind.js";
import { isPlainObject, ownOptions, readOptionObject } from "../functions/option-object.js";
import { MAX_TIMER_MS } from "../functions/options.js";
import { type RunOptions, readRunOptions } from "../scheduler/run-options.js";
import type { Placement } from "./cases.js";
import { FAULT_KINDS, type Fault, type FaultKind, placementKey } from "./fault.js";
import type { ExploreOptions, Replay } from "./types.js";

/** Explorer options, read once and checked. */
export interface Settings<T> {
  readonly context: ExploreOptions<T>["context"];
  readonly check: ExploreOptions<T>["check"];
  readonly seed: number;
  readonly runs: number;
  readonly replay: Replay | undefined;
  /** The caller's run options, copied (each field read once). */
  readonly runOptions: RunOptions;
  readonly stallMs: number;
}

/** Which function of sdax/testing was called: every message names it. */
export type Caller = "exploreFailures" | "replayFailure";

const knownKeys = ["context", "check", "seed", "runs", "replay", "runOptions", "stallMs"];
/** What `replayFailure` takes besides its replay; the rest a replay decides itself. */
const replayKeys = ["context", "check", "runOptions", "stallMs"];
const replayOwned = {
  replay: "pass the replay as the second argument",
  runs: "a replay runs the one case its replay describes",
  seed: "a replay runs the one case its replay describes",
} as const;
const explorerOwned = {
  clock: "each run gets its own VirtualClock (given to `context` as `clock`)",
  random: "each run's jitter comes from its faults, so that a case replays",
  signal: "the explorer aborts a stalled run through a signal of its own",
} as const;

const fail = (caller: Caller, message: string) => new TypeError(`${caller}: ${message}`);

/**
 * Reads and checks the options: each field once; a `TypeError` from `caller` names the first
 * bad field and says what it expected. `placements` are what a replayed fault may name. For
 * `replayFailure`, `replay` is its second argument, and required.
 */
export function readSettings<T>(
  caller: Caller,
  options: ExploreOptions<T>,
  placements: readonly Placement[],
  replayArgument?: unknown,
): Settings<T> {
  const o =
    caller === "replayFailure"
      ? readOptionObject(options, caller, replayKeys, "{ context, check }", replayOwned)
      : readOptionObject(options, caller, knownKeys);
  const { context, check, seed, runs, runOptions, stallMs } = o;
  const replay = caller === "replayFailure" ? replayArgument : o.replay;
  if (typeof context !== "function") {
    throw fail(
      caller,
      `\`context\` must be a function making a run's context, got ${describeValue(context)}`,
    );
  }
  // The context is needed at once (a promise would be every phase's context); calling a
  // generator function runs none of its body, and a class cannot be called.
  const contextKind = notAnsweringAtOnce(context);
  if (contextKind !== undefined) {
    const hint =
      contextKind === "an async function" ? " (set up what needs awaiting inside the phases)" : "";
    throw fail(
      caller,
      `\`context\` must be a function returning a run's context itself, got ${contextKind}${hint}`,
    );
  }
  if (typeof check !== "function") {
    throw fail(caller, `\`check\` must be a function, got ${describeValue(check)}`);
  }
  const checkGenerator = generatorKind(check);
  if (checkGenerator !== undefined || isClass(check)) {
    const kind = checkGenerator === undefined ? "a class" : `${checkGenerator} function`;
    throw fail(caller, `\`check\` must be a function (or an async one), got ${kind}`);
  }
  if (
    seed !== undefined &&
    !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 0xffffffff)
  ) {
    throw fail(
      caller,
      `\`seed\` must be an integer from 0 to ${0xffffffff}, got ${describeValue(seed)}`,
    );
  }
  if (runs !== undefined && !(Number.isSafeInteger(runs) && (runs as number) >= 1)) {
    throw fail(caller, `\`runs\` must be an integer >= 1, got ${describeValue(runs)}`);
  }
  if (
    stallMs !== undefined &&
    !(typeof stallMs === "number" && stallMs >= 0 && stallMs <= MAX_TIMER_MS)
  ) {
    throw fail(
      caller,
      `\`stallMs\` must be a number of ms from 0 to ${MAX_TIMER_MS}, got ${describeValue(stallMs)}`,
    );
  }
  return {
    context: context as Settings<T>["context"],
    check: check as Settings<T>["check"],
    seed: (seed as number | undefined) ?? Math.floor(Math.random() * 0x100000000),
    runs: (runs as number | undefined) ?? 1000,
    // A replay that is missing would explore every case: a regression test pasted from a
    // result with no violation (`violations[0]?.replay`) must fail instead.
    replay:
      replay === undefined && caller === "exploreFailures"
        ? undefined
        : readReplay(caller, replay, placements),
    runOptions: readExplorerRunOptions(caller, runOptions),
    stallMs: (stallMs as number | undefined) ?? 1000,
  };
}

function readExplorerRunOptions(caller: Caller, value: unknown): RunOptions {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    throw fail(caller, `\`runOptions\` must be a plain object, got ${describeValue(value)}`);
  }
  const copy = readAll(caller, value, "`runOptions`");
  for (const [key, why] of Object.entries(explorerOwned)) {
    if (copy[key] !== undefined) throw fail(caller, `\`runOptions.${key}\` cannot be set: ${why}`);
  }
  try {
    readRunOptions(copy);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw fail(caller, `\`runOptions\`: ${message.replace(/^run options: /, "")}`);
  }
  return copy as RunOptions;
}

/** Checks a replay against the workflow: every fault names a phase the explorer can fault. */
export function readReplay(
  caller: Caller,
  value: unknown,
  placements: readonly Placement[],
): Replay {
  const given =
    typeof value === "object" && value !== null ? readAll(caller, value, "`replay`") : {};
  const list = readList(caller, given.faults, "`replay.faults`");
  if (list === undefined) {
    throw fail(
      caller,
      `\`replay\` must be an object like { faults: [...] } (a violation's \`replay\`), got ${describeValue(value)}`,
    );
  }
  const violation = "replay" in given ? " (pass a violation's `replay`, not the violation)" : "";
  refuseOtherKeys(caller, given, ["faults"], "`replay`", violation);
  const eligible = new Set(placements.map((p) => placementKey(p.task, p.phase)));
  const seen = new Set<string>();
  const faults = list.map((f, i): Fault => {
    const at = `\`replay.faults[${i}]\``;
    if (typeof f !== "object" || f === null) {
      throw fail(
        caller,
        `${at} must be an object like { task, phase, kind }, got ${describeValue(f)}`,
      );
    }
    const fault = readAll(caller, f, at);
    refuseOtherKeys(caller, fault, ["task", "phase", "kind"], at, "");
    const { task, phase, kind } = fault;
    if (typeof task !== "string") {
      throw fail(caller, `${at}.task must be a string, got ${describeValue(task)}`);
    }
    if (phase !== "preExecute" && phase !== "execute") {
      throw fail(
        caller,
        `${at}.phase must be "preExecute" or "execute", got ${describeValue(phase)}`,
      );
    }
    if (!FAULT_KINDS.includes(kind as FaultKind)) {
      throw fail(
        caller,
        `${at}.kind must be one of ${FAULT_KINDS.map((k) => `"${k}"`).join(", ")}, got ${describeValue(kind)}`,
      );
    }
    const key = placementKey(task, phase);
    if (!eligible.has(key)) {
      throw fail(
        caller,
        `${at}: the workflow has no task ${quoted(task)} with ${phase === "execute" ? "an" : "a"} ${phase}`,
      );
    }
    if (seen.has(key)) throw fail(caller, `${at}: a second fault on ${phase} of ${quoted(task)}`);
    seen.add(key);
    return { task, phase, kind: kind as FaultKind };
  });
  return { faults };
}

/** A `TypeError` for a field of `fields` not in `known`. */
function refuseOtherKeys(
  caller: Caller,
  fields: Record<string, unknown>,
  known: readonly string[],
  what: string,
  hint: string,
): void {
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) {
      throw fail(
        caller,
        `${what} has an unknown field \`${escapedText(key)}\`; its fields are ${known.join(", ")}${hint}`,
      );
    }
  }
}

/**
 * The own enumerable fields of a caller's object, each read once (a copy), or a `TypeError`
 * when reading throws (a getter that throws, a revoked `Proxy`), its `cause` what was thrown.
 */
function readAll(caller: Caller, value: object, what: string): Record<string, unknown> {
  try {
    return ownOptions(value); // a value a polluted Object.prototype gives is no option
  } catch (cause) {
    throw new TypeError(`${caller}: ${what} could not be read`, { cause });
  }
}

/** A copy of an array of the caller's, or `undefined` for anything else; never a raw throw. */
function readList(caller: Caller, value: unknown, what: string): unknown[] | undefined {
  try {
    return Array.isArray(value) ? [...(value as unknown[])] : undefined;
  } catch (cause) {
    throw new TypeError(`${caller}: ${what} could not be read`, { cause });
  }
}
