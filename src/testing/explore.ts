import { thrownText } from "../errors/describe-error.js";
import { handleIfPromise } from "../functions/native-then.js";
import { type AsyncTaskProcessor, planOf } from "../processor.js";
import { VirtualClock } from "../time/virtual-clock.js";
import { checkTrace, type TraceViolation } from "../verify/check-trace.js";
import { placementsOf, planCases } from "./cases.js";
import { driveRun } from "./drive.js";
import { describeFaults, type Fault, faultsKey } from "./fault.js";
import { seededRandom } from "./random.js";
import type { ExplorationResult, ExploreOptions, Replay, Violation } from "./types.js";
import { type Caller, readSettings, type Settings } from "./validate.js";
import type { RunningAttempt } from "./watch.js";

/** What went wrong in one run, before it is tied to a minimal fault set. */
interface Finding {
  readonly source: Violation["source"];
  readonly error: unknown;
  readonly trace: readonly TraceViolation[];
}

/**
 * Runs your workflow many times, injecting faults into its preExecute and execute functions,
 * and reports every way your cleanup fails to cope. Each run gets a fresh context from
 * `context`; after it settles, `check(ctx, run)` says whether the context is as it should be
 * (throw to report), and `checkTrace` checks the run's events against the specification.
 *
 * A fault fails a function at its start (the body never runs), fails it after its body
 * resolved (what the body acquired is there), or hangs it until it is cancelled; it fires on
 * every attempt, with a non-retryable error. postExecute always runs as written. Every single
 * fault and every pair on two different phases are tried while they fit in `runs` (with the
 * no-fault run first); beyond, as many as fit, chosen at random from `seed`. Each violation is
 * reduced to its smallest fault set and carries a `replay` for {@link replayFailure}.
 *
 * Each run has its own virtual clock: timeouts, retry delays and `abandonAfterMs` take no real
 * time; time moves whenever the run is waiting. A run in which only injected hangs are left
 * is aborted, as a caller giving up would (`run.stalled`).
 *
 * Rejects with a `TypeError` naming the field for bad options, and with an `Error` naming the
 * run when `context` throws.
 *
 * @example
 * const result = await exploreFailures(processor, {
 *   context: ({ clock }) => ({ pool: new FakePool(clock) }), // fakes wait on the run's clock
 *   check: (ctx) => {
 *     if (ctx.pool.open > 0) throw new Error(`${ctx.pool.open} connection(s) never released`);
 *   },
 *   seed: 1,
 * });
 * expect(result.violations.map((v) => v.message)).toEqual([]);
 */
export function exploreFailures<T>(
  processor: AsyncTaskProcessor<T>,
  options: ExploreOptions<T>,
): Promise<ExplorationResult> {
  return explore("exploreFailures", processor, options);
}

/** {@link exploreFailures} and {@link replayFailure}: every message names the one called. */
async function explore<T>(
  caller: Caller,
  processor: AsyncTaskProcessor<T>,
  options: ExploreOptions<T>,
  replay?: unknown,
): Promise<ExplorationResult> {
  planOf(processor, caller);
  const placements = placementsOf(processor);
  const settings = readSettings(caller, options, placements, replay);
  const explorer = new Explorer(processor, settings, caller);
  if (settings.replay !== undefined) {
    const finding = await explorer.run(settings.replay.faults);
    const violations =
      finding === undefined
        ? []
        : [violation(settings.replay.faults, settings.replay.faults, finding)];
    return { runs: explorer.runs, exhaustive: false, seed: settings.seed, violations };
  }
  const plan = planCases(placements, settings.runs, seededRandom(settings.seed));
  const violations = new Map<string, Violation>();
  for (const faults of plan.cases) {
    const finding = await explorer.run(faults);
    if (finding === undefined) continue;
    const minimal = await explorer.minimise(faults);
    const key = faultsKey(minimal.faults);
    if (!violations.has(key))
      violations.set(key, violation(minimal.faults, faults, minimal.finding));
  }
  return {
    runs: explorer.runs,
    exhaustive: plan.exhaustive,
    seed: settings.seed,
    violations: [...violations.values()],
  };
}

/**
 * Runs one case again, as a violation's `replay` describes it: the same faults, the same
 * jitter, a fresh context; no minimisation. Resolves like {@link exploreFailures}, with
 * `runs: 1`.
 *
 * @example
 * // pasted from a violation: JSON.stringify(result.violations[0].replay)
 * const replay = { faults: [{ task: "db", phase: "preExecute", kind: "failAfterBody" }] } as const;
 * const again = await replayFailure(processor, replay, { context, check });
 * expect(again.violations).toEqual([]);
 */
export function replayFailure<T>(
  processor: AsyncTaskProcessor<T>,
  replay: Replay,
  options: Omit<ExploreOptions<T>, "replay" | "runs" | "seed">,
): Promise<ExplorationResult> {
  return explore("replayFailure", processor, options as ExploreOptions<T>, replay);
}

/** Runs cases, remembering what each found, so minimisation re-runs nothing it has seen. */
class Explorer<T> {
  readonly #processor: AsyncTaskProcessor<T>;
  readonly #settings: Settings<T>;
  readonly #caller: Caller;
  readonly #seen = new Map<string, Finding | undefined>();
  runs = 0;

  constructor(processor: AsyncTaskProcessor<T>, settings: Settings<T>, caller: Caller) {
    this.#processor = processor;
    this.#settings = settings;
    this.#caller = caller;
  }

  /** What the run with `faults` found (run once; later calls remember). */
  async run(faults: readonly Fault[]): Promise<Finding | undefined> {
    const key = faultsKey(faults);
    if (this.#seen.has(key)) return this.#seen.get(key);
    const finding = await this.#runOnce(faults);
    this.#seen.set(key, finding);
    return finding;
  }

  /**
   * The smallest subset of `faults` that still shows the problem `faults` show: none at all,
   * then each fault alone, then the whole set. A subset showing another problem is no
   * reduction: the set's own problem would be lost behind it.
   */
  async minimise(
    faults: readonly Fault[],
  ): Promise<{ faults: readonly Fault[]; finding: Finding }> {
    const found = (await this.run(faults))!; // known to violate, and remembered
    const candidates: (readonly Fault[])[] = faults.length === 0 ? [] : [[]];
    if (faults.length > 1) candidates.push(...faults.map((f) => [f]));
    for (const candidate of candidates) {
      const finding = await this.run(candidate);
      if (finding !== undefined && problemOf(finding) === problemOf(found)) {
        return { faults: candidate, finding };
      }
    }
    return { faults, finding: found };
  }

  async #runOnce(faults: readonly Fault[]): Promise<Finding | undefined> {
    const { context, check, runOptions, stallMs } = this.#settings;
    this.runs++;
    const clock = new VirtualClock();
    let ctx: T;
    try {
      ctx = context({ faults, clock });
    } catch (cause) {
      throw new Error(
        `${this.#caller}: \`context\` threw for the run with ${describeFaults(faults)}: ${thrownText(cause)}`,
        { cause },
      );
    }
    // Its phases would be handed the promise; a rejection of it must not go unhandled. (Asked
    // by the promise brand, never by the context's prototype, which a Proxy's trap may throw.)
    if (handleIfPromise(ctx, ignore)) {
      throw new Error(
        `${this.#caller}: \`context\` returned a promise for the run with ${describeFaults(faults)}; it must return the context itself (set up what needs awaiting inside the phases)`,
      );
    }
    const driven = await driveRun(this.#processor, faults, ctx, clock, { runOptions, stallMs });
    if (driven.state === "unsettled") {
      return { source: "unsettled", error: new Error(unsettledText(driven.running)), trace: [] };
    }
    const trace = checkTrace(driven.events, this.#processor);
    try {
      await check(ctx, {
        ...driven.outcome,
        faults,
        fired: driven.fired,
        stalled: driven.stalled,
        events: driven.events,
      });
    } catch (error) {
      return { source: "check", error, trace };
    }
    if (trace.length === 0) return undefined;
    const error = new Error(
      `the run broke the specification: ${trace.map((v) => `${v.invariant}: ${v.message}`).join("; ")}`,
    );
    return { source: "trace", error, trace };
  }
}

/**
 * What a finding shows, to tell two problems apart: the check's error as text, up to the
 * numbers in it (`2 connection(s) never released` is the problem `1 connection(s)` is), the
 * invariants the trace broke, or a run that never settled.
 */
function problemOf(finding: Finding): string {
  if (finding.source === "check") return `check: ${thrownText(finding.error).replace(/\d+/g, "#")}`;
  if (finding.source === "trace") {
    return `trace: ${[...new Set(finding.trace.map((v) => v.invariant))].sort().join(", ")}`;
  }
  return finding.source;
}

function violation(
  faults: readonly Fault[],
  foundWith: readonly Fault[],
  finding: Finding,
): Violation {
  // One line: a check's error may run to many (an assertion's diff); all of it is in `error`.
  const what =
    finding.source === "check"
      ? `check failed: ${firstLine(thrownText(finding.error))}`
      : thrownText(finding.error).replace(/^Error: /, "");
  return {
    faults,
    foundWith,
    source: finding.source,
    error: finding.error,
    message: `with ${describeFaults(faults)}: ${what}`,
    trace: finding.trace,
    replay: { faults: faults.map((f) => ({ task: f.task, phase: f.phase, kind: f.kind })) },
  };
}

/**
 * Why a run never settled, and what would help: a preExecute or execute is cancelled, so
 * `abandonAfterMs` lets the run go on without it; a postExecute is never cancelled, so it
 * needs a `timeoutMs` to be given up on, and an `abandonAfterMs` not to be waited for.
 */
function unsettledText(running: readonly RunningAttempt[]): string {
  if (running.length === 0) {
    return "the run never settled after it was aborted, though none of its functions was still running";
  }
  const advice = running.some((attempt) => attempt.phase === "postExecute")
    ? "a postExecute is never cancelled: give it a timeoutMs and an abandonAfterMs; a preExecute or execute that ignores its signal needs abandonAfterMs"
    : "a function that ignores its signal needs abandonAfterMs";
  const labels = running.map((attempt) => attempt.label).join(", ");
  return `the run never settled: ${labels} still running after the run was aborted; ${advice}`;
}

/** The first line of `text`, marked `(...)` if more lines follow. */
function firstLine(text: string): string {
  const end = text.search(/[\r\n\u2028\u2029]/);
  return end < 0 ? text : `${text.slice(0, end).trimEnd()} (...)`;
}

function ignore(): void {}
