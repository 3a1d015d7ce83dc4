/**
 * Command-line flags: parsing, validation and help. A bad flag is a {@link UsageError}; `main`
 * prints it and exits with code 2.
 */
import { ALL_FAULT_KINDS } from "./generator.js";
import type { AnyFaultKind, WorkflowMode } from "./model.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CliOptions {
  readonly help: boolean;
  readonly seed: number;
  /** Whether `--seed` was given (otherwise a random one was drawn). */
  readonly seedGiven: boolean;
  readonly runs: number | undefined;
  readonly lifecycles: number | undefined;
  readonly timeBudgetS: number | undefined;
  readonly concurrency: number;
  readonly maxLevels: number;
  readonly maxTasks: number | undefined;
  readonly failRate: number;
  readonly mode: WorkflowMode | "mixed";
  readonly realTimers: boolean;
  readonly listenerAborts: boolean;
  /** The fault kinds injected (`--faults`, `--skip-faults`); undefined: every kind. */
  readonly faults: ReadonlySet<AnyFaultKind> | undefined;
  readonly quick: boolean;
  readonly json: boolean;
  readonly shrink: boolean;
  readonly onlyWorkflow: number | undefined;
  readonly onlyRun: number | undefined;
  readonly replay: string | undefined;
}

export const DEFAULTS = {
  lifecycles: 1_000_000,
  timeBudgetS: 50,
  quickLifecycles: 250_000,
  quickTimeBudgetS: 12,
  concurrency: 16,
  maxLevels: 50,
  failRate: 0.02,
} as const;

/** What each fault kind does, for --help (docs/montecarlo.md has the full table). */
export const FAULT_DESCRIPTIONS: Readonly<Record<AnyFaultKind, string>> = {
  syncThrow: "throws an Error synchronously",
  asyncReject: "returns a rejected promise",
  nonErrorThrow: "throws or rejects a string, undefined or a plain object",
  retryRecovers: "fails K times (retryable or timeout), then succeeds",
  retryExhausts: "fails with retryable errors on every attempt",
  timeout: "exceeds its timeoutMs, K times",
  hangUntilCancelled: "never settles until its signal aborts",
  signalIgnoring: "ignores its signal, settles late (may be abandoned)",
  childFailure: "spawns children, one of which rejects",
  sameTurn: "2-4 functions of one step reject at once; all reported",
  cancelledOwnError: "on cancellation rejects with its own error",
  hostileThrow: "throws a revoked Proxy, throwing getters, Symbol message...",
  externalAbort: "the run's signal aborts (before, at a time, in a call, on an event)",
  hostileAbortReason: "the run's signal aborts with a hostile reason",
  noHandleClock: "the run's clock returns no timer handle: clears do nothing",
  syncZeroClock: "the run's clock fires 0 ms timers inside setTimeout",
  throwingClock: "the run's clock throws in every Nth setTimeout and clearTimeout",
  concurrencyLimit: "a maxConcurrency of 1-4 for the processor or 1-8 for the run",
  runDeadline: "the run's timeoutMs: a deadline that aborts it",
};

const FAULT_HELP = ALL_FAULT_KINDS.map((k) => `  ${k.padEnd(19)} ${FAULT_DESCRIPTIONS[k]}`).join(
  "\n",
);

export const HELP = `npm run montecarlo -- [flags]

Seeded, replayable Monte Carlo stress runner for sdax. Generates random level workflows and
dependency graphs with injected failures, timeouts, retries, cancellations, signal-ignoring
functions and external aborts; runs each workflow many times at once on one processor; checks
every run's trace with checkTrace() and the runner's own checks. Exit code 0: no violation;
1: a violation (printed with a shrunk case and the command that replays it); 2: bad flags.

Stopping (the run stops at whichever given limit comes first; default: ${DEFAULTS.lifecycles.toLocaleString("en-US")} task
lifecycles or ${DEFAULTS.timeBudgetS} s; --quick: ${DEFAULTS.quickLifecycles.toLocaleString("en-US")} lifecycles or ${DEFAULTS.quickTimeBudgetS} s):
  --runs N             stop after N workflows (each run --concurrency times)
  --lifecycles N       stop after N task lifecycles (one task in one run)
  --time-budget S      stop starting workflows after S seconds
  --quick              the CI preset (a limit flag given as well overrides it)

Generation (part of a replay command):
  --seed S             32-bit seed (default: random, printed); same seed, same workflows
  --mode M             levels | graph | mixed (default mixed)
  --max-levels N       levels per workflow, 1..N (default ${DEFAULTS.maxLevels})
  --max-tasks N        tasks per level (levels mode, default 10) and per graph (graph
                       mode, default 200)
  --fail-rate P        probability that a phase gets a fault, 0..1 (default ${DEFAULTS.failRate}); scaled per
                       run between 0 and 2x, and a fifth of runs get none
  --concurrency N      runs of each workflow at once on its processor (default ${DEFAULTS.concurrency})
  --real-timers        every workflow on real timers and real sleeps (default: about 4%)
  --no-listener-abort  never abort a run synchronously from inside its onEvent listener
  --faults K,K,...     inject only these kinds of fault (default: every kind; none: no fault)
  --skip-faults K,...  inject every kind but these (combines with --faults)

Fault kinds (each phase of a run: one at --fail-rate; each run: its signal and clock):
${FAULT_HELP}

Replay and output:
  --only-workflow N    run workflow N of --seed only (with the same generation flags)
  --only-run N         with --only-workflow: only run N of it
  --replay FILE        run a case saved by a failing run (JSON) and check it again
  --no-shrink          report a violation without shrinking it
  --json               print the summary as one JSON object on the last line
  --help, -h           this text`;

type Kind = "bool" | "int" | "number" | "string";

const FLAGS: Readonly<Record<string, Kind>> = {
  "--help": "bool",
  "-h": "bool",
  "--seed": "string",
  "--runs": "int",
  "--lifecycles": "int",
  "--time-budget": "number",
  "--concurrency": "int",
  "--max-levels": "int",
  "--max-tasks": "int",
  "--fail-rate": "number",
  "--mode": "string",
  "--real-timers": "bool",
  "--no-listener-abort": "bool",
  "--faults": "string",
  "--skip-faults": "string",
  "--quick": "bool",
  "--json": "bool",
  "--no-shrink": "bool",
  "--only-workflow": "int",
  "--only-run": "int",
  "--replay": "string",
};

/** Parses `argv` (without node and script); `randomSeed` supplies the seed when none is given. */
export function parseArgs(argv: readonly string[], randomSeed: () => number): CliOptions {
  const values = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const kind = FLAGS[flag];
    if (kind === undefined) {
      throw new UsageError(
        arg.startsWith("-")
          ? `unknown flag ${flag}${suggest(flag)}`
          : `unexpected argument ${JSON.stringify(arg)}`,
      );
    }
    if (values.has(flag)) throw new UsageError(`${flag} given twice`);
    if (kind === "bool") {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
      values.set(flag, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) {
      throw new UsageError(`${flag} needs a value`);
    }
    values.set(flag, value);
  }
  const str = (flag: string): string | undefined => {
    const v = values.get(flag);
    return typeof v === "string" ? v : undefined;
  };
  const int = (flag: string, min: number, max: number): number | undefined => {
    const v = str(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UsageError(
        `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return Number(v);
  };
  const num = (flag: string, min: number, max: number, minOpen: boolean): number | undefined => {
    const v = str(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n > max || n < min || (minOpen && n === min)) {
      throw new UsageError(
        `${flag} must be a number ${minOpen ? "above" : "from"} ${min}${minOpen ? " and at most" : " to"} ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
  const mode = str("--mode") ?? "mixed";
  if (mode !== "levels" && mode !== "graph" && mode !== "mixed") {
    throw new UsageError(`--mode must be levels, graph or mixed, got ${JSON.stringify(mode)}`);
  }
  const seedText = str("--seed");
  const seed = seedText === undefined ? randomSeed() >>> 0 : parseSeed(seedText);
  const onlyWorkflow = int("--only-workflow", 0, 2 ** 31);
  const onlyRun = int("--only-run", 0, 100_000);
  if (onlyRun !== undefined && onlyWorkflow === undefined) {
    throw new UsageError("--only-run needs --only-workflow");
  }
  const concurrency = int("--concurrency", 1, 10_000) ?? DEFAULTS.concurrency;
  if (onlyRun !== undefined && onlyRun >= concurrency) {
    throw new UsageError(`--only-run must be below --concurrency (${concurrency}), got ${onlyRun}`);
  }
  const faults = faultKinds(str("--faults"), str("--skip-faults"));
  const replay = str("--replay");
  if (replay !== undefined && onlyWorkflow !== undefined) {
    throw new UsageError("--replay and --only-workflow cannot be combined");
  }
  return {
    help: values.has("--help") || values.has("-h"),
    seed,
    seedGiven: seedText !== undefined,
    runs: int("--runs", 1, 1e9),
    lifecycles: int("--lifecycles", 1, 1e12),
    timeBudgetS: num("--time-budget", 0, 86_400, true),
    concurrency,
    maxLevels: int("--max-levels", 1, 100_000) ?? DEFAULTS.maxLevels,
    maxTasks: int("--max-tasks", 1, 1_000_000),
    failRate: num("--fail-rate", 0, 1, false) ?? DEFAULTS.failRate,
    mode,
    realTimers: values.has("--real-timers"),
    listenerAborts: !values.has("--no-listener-abort"),
    faults,
    quick: values.has("--quick"),
    json: values.has("--json"),
    shrink: !values.has("--no-shrink"),
    onlyWorkflow,
    onlyRun,
    replay,
  };
}

/** The kinds `--faults` selects minus those `--skip-faults` names; undefined: every kind. */
function faultKinds(
  only: string | undefined,
  skip: string | undefined,
): ReadonlySet<AnyFaultKind> | undefined {
  if (only === undefined && skip === undefined) return undefined;
  const chosen = new Set(
    only === undefined ? ALL_FAULT_KINDS : only === "none" ? [] : kindList("--faults", only),
  );
  if (skip !== undefined) for (const k of kindList("--skip-faults", skip)) chosen.delete(k);
  return chosen.size === ALL_FAULT_KINDS.length ? undefined : chosen;
}

function kindList(flag: string, text: string): AnyFaultKind[] {
  const names = text.split(",").map((k) => k.trim());
  return names.map((name) => {
    const kind = ALL_FAULT_KINDS.find((k) => k === name);
    if (kind !== undefined) return kind;
    const guess = ALL_FAULT_KINDS.find((k) => k.toLowerCase() === name.toLowerCase());
    throw new UsageError(
      `${flag}: unknown fault kind ${JSON.stringify(name)}${guess === undefined ? `; the kinds: ${ALL_FAULT_KINDS.join(", ")}` : ` (did you mean ${guess}?)`}`,
    );
  });
}

/** The `--faults` value that selects exactly `kinds` (in the summary's order). */
export function faultsFlag(kinds: ReadonlySet<AnyFaultKind>): string {
  return ALL_FAULT_KINDS.filter((k) => kinds.has(k)).join(",");
}

function parseSeed(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError(
      `--seed must be a whole number from 0 to 4294967295 (or hex 0x...), got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

function suggest(flag: string): string {
  const bare = flag.replace(/^-+/, "");
  const match = Object.keys(FLAGS).find(
    (f) => f.length > 2 && (f.includes(bare) || bare.includes(f.slice(2))),
  );
  return match === undefined ? " (see --help)" : ` (did you mean ${match}?)`;
}
