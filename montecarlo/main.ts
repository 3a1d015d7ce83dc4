/**
 * `npm run montecarlo`: the seeded, replayable stress runner. See docs/montecarlo.md.
 * Exit code 0: no violation; 1: a violation; 2: bad flags.
 */
import { randomInt } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { type CliOptions, DEFAULTS, faultsFlag, HELP, parseArgs, UsageError } from "./cli-args.js";
import { type DriveConfig, type DriveResult, drive, type Limits } from "./driver.js";
import { DEFAULT_MAX_TASKS_PER_GRAPH, DEFAULT_MAX_TASKS_PER_LEVEL } from "./generator.js";
import type { Case } from "./model.js";
import { makeProgress } from "./progress.js";
import { loadCase, replayCommand, saveCase, workflowCommand } from "./replay.js";
import { caseText, summaryJson, summaryText, violationText } from "./report.js";
import { runCase } from "./run-case.js";
import { shrink, violationOf } from "./shrinker.js";
import { Stats } from "./stats.js";
import { captureUncaught, takeUnattributed } from "./uncaught.js";

// Every run builds thousands of short-lived event objects: a larger young generation spends
// much less time in the garbage collector (measured: about a fifth of the run otherwise).
setFlagsFromString("--max-semi-space-size=32");

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, () => randomInt(0, 2 ** 32));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`montecarlo: ${error.message}\nRun with --help for the flags.\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const release = captureUncaught();
  try {
    return opts.replay === undefined ? await explore(opts) : await replayFile(opts, opts.replay);
  } finally {
    release();
  }
}

function limitsOf(opts: CliOptions): Limits {
  if (opts.onlyWorkflow !== undefined) return {};
  const timeBudgetMs = opts.timeBudgetS === undefined ? undefined : opts.timeBudgetS * 1000;
  if (opts.runs !== undefined || opts.lifecycles !== undefined || timeBudgetMs !== undefined) {
    return { workflows: opts.runs, lifecycles: opts.lifecycles, timeBudgetMs };
  }
  return opts.quick
    ? { lifecycles: DEFAULTS.quickLifecycles, timeBudgetMs: DEFAULTS.quickTimeBudgetS * 1000 }
    : { lifecycles: DEFAULTS.lifecycles, timeBudgetMs: DEFAULTS.timeBudgetS * 1000 };
}

function settingsOf(opts: CliOptions): Record<string, string | number | boolean> {
  const s: Record<string, string | number | boolean> = {
    seed: opts.seed,
    mode: opts.mode,
    "max-levels": opts.maxLevels,
    "max-tasks":
      opts.maxTasks ??
      `${DEFAULT_MAX_TASKS_PER_LEVEL} per level, ${DEFAULT_MAX_TASKS_PER_GRAPH} per graph`,
    "fail-rate": opts.failRate,
    concurrency: opts.concurrency,
  };
  if (opts.realTimers) s["real-timers"] = true;
  if (!opts.listenerAborts) s["listener-abort"] = false;
  if (opts.faults !== undefined) s.faults = faultsFlag(opts.faults) || "none";
  if (opts.onlyWorkflow !== undefined) s["only-workflow"] = opts.onlyWorkflow;
  if (opts.onlyRun !== undefined) s["only-run"] = opts.onlyRun;
  return s;
}

async function explore(opts: CliOptions): Promise<number> {
  const limits = limitsOf(opts);
  const cfg: DriveConfig = {
    seed: opts.seed,
    gen: {
      mode: opts.mode,
      maxLevels: opts.maxLevels,
      maxTasks: opts.maxTasks,
      failRate: opts.failRate,
      timers: opts.realTimers ? "real" : "mixed",
      listenerAborts: opts.listenerAborts,
      faults: opts.faults,
    },
    concurrency: opts.concurrency,
    limits,
    onlyWorkflow: opts.onlyWorkflow,
    onlyRun: opts.onlyRun,
    inFlight: opts.realTimers ? 16 : 4,
  };
  // With --json, stdout carries only the JSON line; everything else goes to stderr.
  const log = (text: string): void => {
    (opts.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  if (!opts.json) {
    log(
      `sdax Monte Carlo: seed ${opts.seed}${opts.seedGiven ? "" : " (random; pass --seed to repeat)"}`,
    );
  }
  const progress = makeProgress(process.stderr, opts.onlyWorkflow === undefined);
  const result: DriveResult = await drive(cfg, (stats, fraction, ms) =>
    progress.update(stats, fraction, ms),
  );
  progress.done();
  const extra: Record<string, unknown> = {};
  let code = 0;
  if (result.failure !== undefined) {
    code = 1;
    const f = result.failure;
    const command = workflowCommand(opts, f.workflow, opts.onlyRun);
    log("");
    log(
      violationText(
        f.found.violation,
        `workflow ${f.workflow}, run ${opts.onlyRun ?? f.found.run} (${f.count} violation(s) in that workflow's runs)`,
      ),
    );
    log(`  replay the workflow: ${command}`);
    extra.violation = {
      ...f.found.violation,
      workflow: f.workflow,
      run: opts.onlyRun ?? f.found.run,
      replay: command,
    };
    if (opts.shrink)
      extra.shrunk = await reportShrunk(opts, f.case, f.found.violation.invariant, f.workflow, log);
  }
  for (const stray of result.strays) {
    code = 1;
    log(
      `\nVIOLATION UNCAUGHT (runner) while workflows [${stray.workflows.join(", ")}] ran:\n  ${stray.message}`,
    );
    for (const w of stray.workflows.slice(0, 3)) log(`  replay: ${workflowCommand(opts, w)}`);
  }
  const note =
    !result.completed &&
    limits.lifecycles !== undefined &&
    result.stats.lifecycles < limits.lifecycles
      ? `the time budget ran out after ${result.stats.lifecycles.toLocaleString("en-US")} of ${limits.lifecycles.toLocaleString("en-US")} lifecycles`
      : undefined;
  const summary = {
    stats: result.stats,
    seed: opts.seed,
    elapsedMs: result.elapsedMs,
    settings: settingsOf(opts),
    note,
  };
  log("");
  log(summaryText(summary));
  if (opts.json) process.stdout.write(`${summaryJson(summary, extra)}\n`);
  return code;
}

/** Shrinks a failing case, saves it, prints it and the command that replays it. */
async function reportShrunk(
  opts: CliOptions,
  original: Case,
  invariant: string,
  workflow: number,
  log: (text: string) => void,
): Promise<Record<string, unknown>> {
  log(`\nshrinking (same invariant ${invariant}, deterministic re-runs)...`);
  const shrunk = await shrink(original, violationOf(invariant), {
    maxTries: 5_000,
    maxMs: opts.quick ? 15_000 : 40_000,
  });
  takeUnattributed(); // re-runs of a crashing case repeat its stray errors
  const file = saveCase({ seed: opts.seed, workflow, invariant, case: shrunk.case });
  if (shrunk.violation === undefined) {
    log("the violation did not show again on a re-run (real-timer timing?); the case as found:");
  } else {
    log(
      `minimal case after ${shrunk.tries} re-runs (${shrunk.steps} steps${shrunk.exhausted ? "; budget ran out, may shrink further" : ""}):`,
    );
    log(violationText(shrunk.violation, "the shrunk case"));
  }
  log(caseText(shrunk.case).replace(/^/gm, "  "));
  const json = JSON.stringify({
    format: "sdax-montecarlo-case/1",
    seed: opts.seed,
    workflow,
    invariant,
    case: shrunk.case,
  });
  if (json.length <= 4_000) log(`  the case file (save it to replay elsewhere): ${json}`);
  log(`  replay it: ${replayCommand(file)}`);
  return {
    file,
    replay: replayCommand(file),
    tasks: shrunk.case.workflow.tasks.length,
    runs: shrunk.case.runs.length,
    violation: shrunk.violation,
  };
}

async function replayFile(opts: CliOptions, file: string): Promise<number> {
  let saved: ReturnType<typeof loadCase>;
  try {
    saved = loadCase(file);
  } catch (error) {
    process.stderr.write(`montecarlo: ${(error as Error).message}\n`);
    return 2;
  }
  const started = performance.now();
  const result = await runCase(saved.case);
  const stats = new Stats();
  stats.addWorkflow(result.built);
  for (const r of result.records) stats.addRun(result.built, r);
  const strays = takeUnattributed();
  stats.violations = result.violations.length + strays.length;
  // With --json, stdout carries only the JSON line; everything else goes to stderr.
  const log = (text: string): void => {
    (opts.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  log(
    `replaying ${file} (seed ${saved.seed}, workflow ${saved.workflow}, found violating ${saved.invariant}):`,
  );
  log(caseText(saved.case).replace(/^/gm, "  "));
  for (const v of result.violations) log(violationText(v.violation, `run ${v.run}`));
  for (const s of strays) log(`VIOLATION UNCAUGHT (runner): ${s}`);
  const summary = {
    stats,
    seed: saved.seed,
    elapsedMs: performance.now() - started,
    settings: { replay: file },
  };
  log("");
  log(summaryText(summary));
  if (opts.json) {
    const json = summaryJson(summary, {
      violationsFound: result.violations.map((v) => v.violation),
    });
    process.stdout.write(`${json}\n`);
  }
  return stats.violations > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `montecarlo: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 3;
  },
);
