/**
 * The Monte Carlo runner's own machinery (montecarlo/): seeded generation, the CLI, the direct
 * checks (they must catch a broken trace), the shrinker, and a tiny run end to end.
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkRun } from "../../montecarlo/checks/index.js";
import { parseArgs, UsageError } from "../../montecarlo/cli-args.js";
import { caseOf, type DriveConfig, drive } from "../../montecarlo/driver.js";
import type { RunRecord } from "../../montecarlo/execute-run.js";
import { type GenConfig, generateRun, generateWorkflow } from "../../montecarlo/generator.js";
import type { Case, RunSpec, WorkflowSpec } from "../../montecarlo/model.js";
import { deriveSeed, Prng } from "../../montecarlo/prng.js";
import { loadCase, saveCase, workflowCommand } from "../../montecarlo/replay.js";
import { runCase } from "../../montecarlo/run-case.js";
import { BEGIN, keyOf } from "../../montecarlo/run-context.js";
import { shrink } from "../../montecarlo/shrinker.js";

const gen: GenConfig = {
  mode: "mixed",
  maxLevels: 8,
  maxTasks: 6,
  failRate: 0.05,
  timers: "virtual",
  listenerAborts: true,
};

const driveConfig = (seed: number, workflows: number): DriveConfig => ({
  seed,
  gen,
  concurrency: 4,
  limits: { workflows },
  inFlight: 2,
});

describe("seeded generation", () => {
  it("the PRNG repeats its sequence for a seed and differs between seeds", () => {
    const draw = (seed: number): number[] => {
      const rng = new Prng(seed);
      return Array.from({ length: 20 }, () => rng.next32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(deriveSeed(1, 2, 0)).not.toBe(deriveSeed(1, 3, 0));
    expect(deriveSeed(1, 2, 0)).not.toBe(deriveSeed(1, 2, 1));
  });

  it("a workflow and its runs are a pure function of (seed, index): replayable alone", () => {
    for (const index of [0, 5, 17]) {
      const a = generateWorkflow(99, index, gen);
      const b = generateWorkflow(99, index, gen);
      expect(b).toEqual(a);
      expect(generateRun(99, index, 3, b, gen)).toEqual(generateRun(99, index, 3, a, gen));
    }
    // Workflow 7 is the same whether or not workflows 0..6 were generated first.
    const later = caseOf(driveConfig(5, 10), 7);
    for (let i = 0; i < 7; i++) caseOf(driveConfig(5, 10), i);
    expect(caseOf(driveConfig(5, 10), 7)).toEqual(later);
    // --only-run N gives run N of the full case.
    expect(caseOf(driveConfig(5, 10), 7, 2).runs).toEqual([later.runs[2]]);
    expect(generateWorkflow(100, 7, gen)).not.toEqual(generateWorkflow(99, 7, gen));
  });

  it("respects --mode, --max-levels and --max-tasks", () => {
    for (let i = 0; i < 30; i++) {
      const levels = generateWorkflow(3, i, { ...gen, mode: "levels" });
      expect(levels.mode).toBe("levels");
      const byLevel = new Map<number, number>();
      for (const t of levels.tasks) byLevel.set(t.level!, (byLevel.get(t.level!) ?? 0) + 1);
      expect(byLevel.size).toBeLessThanOrEqual(gen.maxLevels);
      expect(Math.max(...byLevel.values())).toBeLessThanOrEqual(gen.maxTasks!);
      const graph = generateWorkflow(3, i, { ...gen, mode: "graph" });
      expect(graph.mode).toBe("graph");
      expect(graph.tasks.length).toBeLessThanOrEqual(gen.maxTasks!);
    }
  });
});

describe("command line", () => {
  const parse = (...argv: string[]) => parseArgs(argv, () => 7);

  it("parses every flag, in both --flag value and --flag=value forms", () => {
    const o = parse(
      "--runs",
      "3",
      "--time-budget=2.5",
      "--seed",
      "0x10",
      "--concurrency",
      "2",
      "--max-levels",
      "4",
      "--max-tasks=9",
      "--fail-rate",
      "0.1",
      "--mode",
      "graph",
      "--real-timers",
      "--quick",
      "--json",
    );
    expect(o).toMatchObject({
      runs: 3,
      timeBudgetS: 2.5,
      seed: 16,
      seedGiven: true,
      concurrency: 2,
      maxLevels: 4,
      maxTasks: 9,
      failRate: 0.1,
      mode: "graph",
      realTimers: true,
      quick: true,
      json: true,
    });
    expect(parse().seed).toBe(7);
    expect(parse().seedGiven).toBe(false);
  });

  it.each([
    [["--bogus"], /unknown flag --bogus/],
    [["--runs", "0"], /--runs must be a whole number/],
    [["--runs", "many"], /--runs must be a whole number/],
    [["--runs"], /--runs needs a value/],
    [["--runs", "--json"], /--runs needs a value/],
    [["--fail-rate", "1.5"], /--fail-rate must be a number/],
    [["--time-budget", "0"], /--time-budget must be a number above 0/],
    [["--mode", "tree"], /--mode must be levels, graph or mixed/],
    [["--seed", "-1"], /--seed must be a whole number/],
    [["--seed", "4294967296"], /--seed must be a whole number/],
    [["--only-run", "1"], /--only-run needs --only-workflow/],
    [["--json=yes"], /--json takes no value/],
    [["--quick", "--quick"], /--quick given twice/],
    [["quick"], /unexpected argument/],
  ])("rejects %j", (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });

  it("npm run montecarlo exits with code 2 and a clear message on a bad flag", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "montecarlo/main.ts", "--max-level", "3"],
      {
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown flag --max-level (did you mean --max-levels?)");
  });
});

/** A small level workflow: t0, t1 on level 1, t2 on level 2; every function returns at once. */
const small: WorkflowSpec = {
  mode: "levels",
  realTimers: false,
  tasks: [
    { name: "t0", level: 1, phases: { preExecute: {}, execute: {}, postExecute: {} } },
    { name: "t1", level: 1, phases: { preExecute: {}, postExecute: {} } },
    { name: "t2", level: 2, phases: { preExecute: {}, execute: {}, postExecute: {} } },
  ],
};
const quiet: RunSpec = { random: 1, scripts: {} };

/** Rewrites the position of the log record of (task, phase, attempt 1, BEGIN). */
function moveBegin(record: RunRecord, task: number, phase: number, to: number): RunRecord {
  const log = [...record.ctx.log];
  const key = keyOf(task * 3 + phase, 1);
  for (let i = 0; i < log.length; i += 3) {
    if (log[i + 1] === key && log[i + 2] === BEGIN) log[i] = to;
  }
  return { ...record, ctx: { ...record.ctx, log } };
}

/** Drops every log record of (task, phase). */
function dropPhase(record: RunRecord, task: number, phase: number): RunRecord {
  const slot = task * 3 + phase;
  const log: number[] = [];
  for (let i = 0; i < record.ctx.log.length; i += 3) {
    if (Math.floor(record.ctx.log[i + 1]! / 16) !== slot)
      log.push(...record.ctx.log.slice(i, i + 3));
  }
  return { ...record, ctx: { ...record.ctx, log } };
}

const invariants = (built: Parameters<typeof checkRun>[0], record: RunRecord): string[] =>
  checkRun(built, record).map((v) => v.invariant);

describe("direct checks catch a broken run (they can fail)", () => {
  it("a clean run of the small workflow passes every check", async () => {
    const { built, records } = await runCase({ workflow: small, runs: [quiet] });
    expect(checkRun(built, records[0]!)).toEqual([]);
  });

  it("INV-2 levels go up in order: a level-2 preExecute called first is caught", async () => {
    const { built, records } = await runCase({ workflow: small, runs: [quiet] });
    expect(invariants(built, moveBegin(records[0]!, 2, 0, 0))).toContain("INV-2");
  });

  it("INV-10 levels come down in reverse order: a level-1 postExecute called first is caught", async () => {
    const { built, records } = await runCase({ workflow: small, runs: [quiet] });
    expect(invariants(built, moveBegin(records[0]!, 0, 2, 1))).toContain("INV-10");
  });

  it("INV-7 every started task is cleaned up: a missing postExecute call is caught", async () => {
    const { built, records } = await runCase({ workflow: small, runs: [quiet] });
    expect(invariants(built, dropPhase(records[0]!, 1, 2))).toContain("INV-7");
  });

  it("INV-10 in a graph: a dependency torn down before its dependent is caught", async () => {
    const graph: WorkflowSpec = {
      mode: "graph",
      realTimers: false,
      tasks: [
        { name: "b", deps: ["a"], phases: { preExecute: {}, postExecute: {} } },
        { name: "a", deps: [], phases: { preExecute: {}, postExecute: {} } },
      ],
    };
    const { built, records } = await runCase({ workflow: graph, runs: [quiet] });
    expect(checkRun(built, records[0]!)).toEqual([]);
    expect(invariants(built, moveBegin(records[0]!, 1, 2, 1))).toContain("INV-10");
  });

  it("INV-14 outcome oracle: a run that resolves though a phase must fail is caught", async () => {
    const failing: RunSpec = {
      random: 1,
      scripts: {
        t1: {
          preExecute: {
            label: "syncThrow",
            attempts: [{ k: "throw", value: "error", async: false }],
          },
        },
      },
    };
    const { built, records } = await runCase({ workflow: small, runs: [failing] });
    const record = records[0]!;
    expect(record.outcome.kind).toBe("rejected");
    expect(checkRun(built, record)).toEqual([]);
    const lying: RunRecord = {
      ...record,
      outcome: {
        kind: "resolved",
        report: { tasks: 3, durationMs: 0, retried: [], abandoned: [] },
      },
    };
    expect(invariants(built, lying)).toContain("INV-14");
  });
});

describe("external aborts at every point of a small run", () => {
  // A level workflow with an asynchronous preExecute and a slow execute, so runs take steps.
  const stepped: RunSpec = {
    random: 1,
    scripts: {
      t0: { preExecute: { label: "benign", attempts: [{ k: "async" }] } },
      t2: { execute: { label: "benign", attempts: [{ k: "slow", ms: 5 }] } },
    },
  };

  it("INV-19 INV-4 an abort from inside onEvent (sync or in a microtask) or from inside a function, at every event or call, leaves no violation", async () => {
    const clean = await runCase({ workflow: small, runs: [stepped] });
    const events = clean.records[0]!.ctx.events.length;
    const calls = clean.records[0]!.ctx.calls;
    expect(clean.violations).toEqual([]);
    const runs: RunSpec[] = [];
    for (let n = 1; n <= events + 1; n++) {
      runs.push({ ...stepped, abort: { at: "event", n, sync: true, reason: "error" } });
      runs.push({ ...stepped, abort: { at: "event", n, sync: false, reason: "string" } });
    }
    for (let n = 0; n <= calls; n++)
      runs.push({ ...stepped, abort: { at: "call", n, reason: "default" } });
    const result = await runCase({ workflow: small, runs });
    expect(result.violations).toEqual([]);
    // Some of those aborts took effect, some came too late to matter.
    const aborted = result.records.filter((r) =>
      r.ctx.events.some((e) => e.type === "run" && e.event === "abort"),
    );
    expect(aborted.length).toBeGreaterThan(0);
    expect(aborted.length).toBeLessThan(runs.length);
  });
});

describe("shrinker", () => {
  it("greedily shrinks a large failing case to the one task, phase and fault that matter", async () => {
    const cfg: DriveConfig = { ...driveConfig(21, 1), gen: { ...gen, maxLevels: 10, maxTasks: 8 } };
    // Find a workflow whose runs inject a syncThrow somewhere; the "violation" is seeing it fail.
    let original: Case | undefined;
    let target: { task: string; phase: string } | undefined;
    for (let i = 0; original === undefined && i < 50; i++) {
      const c = caseOf(cfg, i);
      for (const r of c.runs) {
        for (const [task, phases] of Object.entries(r.scripts)) {
          for (const [phase, s] of Object.entries(phases)) {
            if (
              s?.label === "syncThrow" &&
              phase === "preExecute" &&
              c.workflow.tasks.length > 10
            ) {
              original = c;
              target = { task, phase };
            }
          }
        }
      }
    }
    expect(original).toBeDefined();
    const fails = async (c: Case) => {
      const { records } = await runCase(c);
      const hit = records.some(
        (r) =>
          r.outcome.kind === "rejected" &&
          r.ctx.events.some(
            (e) =>
              e.type === "task" &&
              e.event === "fail" &&
              e.task === target!.task &&
              e.phase === target!.phase,
          ),
      );
      return hit
        ? { invariant: "TEST", source: "direct" as const, message: "target failed" }
        : undefined;
    };
    expect(await fails(original!)).toBeDefined();
    const result = await shrink(original!, fails, { maxTries: 2_000, maxMs: 20_000 });
    expect(result.violation?.invariant).toBe("TEST");
    expect(result.steps).toBeGreaterThan(0);
    expect(result.case.runs).toHaveLength(1);
    expect(result.case.workflow.tasks.map((t) => t.name)).toEqual([target!.task]);
    const only = result.case.workflow.tasks[0]!;
    expect(Object.keys(only.phases)).toEqual(["preExecute"]);
    expect(Object.keys(result.case.runs[0]!.scripts)).toEqual([target!.task]);
    expect(await fails(result.case)).toBeDefined();
  });
});

describe("replay", () => {
  it("a saved case loads back equal, and a file that is not a case is refused", () => {
    const c = caseOf(driveConfig(8, 3), 2);
    const file = saveCase({ seed: 8, workflow: 2, invariant: "INV-7", case: c });
    try {
      expect(loadCase(file)).toEqual({
        format: "sdax-montecarlo-case/1",
        seed: 8,
        workflow: 2,
        invariant: "INV-7",
        case: c,
      });
      writeFileSync(file, JSON.stringify({ hello: "world" }));
      expect(() => loadCase(file)).toThrow(/not a montecarlo case file/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("the printed replay command carries every generation flag", () => {
    const opts = parseArgs(
      ["--seed", "5", "--mode", "graph", "--max-tasks", "30", "--no-listener-abort"],
      () => 0,
    );
    expect(workflowCommand(opts, 12, 3)).toBe(
      "npm run montecarlo -- --seed 5 --only-workflow 12 --only-run 3 --mode graph --max-levels 50 --fail-rate 0.02 --concurrency 16 --max-tasks 30 --no-listener-abort",
    );
  });
});

describe("a tiny --quick-like run", () => {
  it("covers workflows with injected faults and reports zero violations", async () => {
    const result = await drive(driveConfig(1234, 12));
    expect(result.failure).toBeUndefined();
    expect(result.strays).toEqual([]);
    expect(result.stats.violations).toBe(0);
    expect(result.stats.workflows).toBe(12);
    expect(result.stats.runs).toBe(48);
    expect(result.stats.lifecycles).toBeGreaterThan(0);
    const injected = Object.values(result.stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(0);
    expect(result.stats.failed).toBeGreaterThan(0);
    expect(result.stats.succeeded).toBeGreaterThan(0);
  });
});
