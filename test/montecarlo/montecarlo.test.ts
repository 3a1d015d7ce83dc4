/**
 * The Monte Carlo runner's own machinery (montecarlo/): seeded generation, the CLI, the direct
 * checks (they must catch a broken trace), the shrinker, and a tiny run end to end.
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkRun } from "../../montecarlo/checks/index.js";
import { HELP, parseArgs, UsageError } from "../../montecarlo/cli-args.js";
import { caseOf, type DriveConfig, drive } from "../../montecarlo/driver.js";
import type { RunRecord } from "../../montecarlo/execute-run.js";
import {
  ALL_FAULT_KINDS,
  type GenConfig,
  generateRun,
  generateWorkflow,
  isHostileReason,
} from "../../montecarlo/generator.js";
import { hostileValue, show } from "../../montecarlo/hostile.js";
import {
  type Behaviour,
  type Case,
  type FnSpec,
  HOSTILE_KINDS,
  type PhaseScript,
  type RunSpec,
  type WorkflowSpec,
} from "../../montecarlo/model.js";
import { deriveSeed, Prng } from "../../montecarlo/prng.js";
import { ClockFault, fromClock, QuirkClock } from "../../montecarlo/quirk-clock.js";
import { loadCase, saveCase, workflowCommand } from "../../montecarlo/replay.js";
import { runCase } from "../../montecarlo/run-case.js";
import { BEGIN, keyOf, slotOfKey } from "../../montecarlo/run-context.js";
import { shrink } from "../../montecarlo/shrinker.js";
import {
  isSdaxExecutionError,
  SdaxExecutionError,
  type TaskFailure,
  VirtualClock,
} from "../../src/index.js";

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

describe("the command line's output", () => {
  it("with --json, stdout is the one JSON line and the rest goes to stderr; the header names the task limits", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "montecarlo/main.ts", "--seed", "7", "--lifecycles", "2000", "--json"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!) as { violations: number; seed: number };
    expect(summary).toMatchObject({ violations: 0, seed: 7 });
    expect(r.stderr).toContain("max-tasks 10 per level, 200 per graph");
    expect(r.stderr).not.toContain("max-tasks default");
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

describe("the fault kinds of the new semantics are generated", () => {
  /** Labels of every phase script, and the run-level kinds, over many generated runs. */
  function census(cfg: GenConfig, workflows: number): Map<string, number> {
    const seen = new Map<string, number>();
    const add = (k: string): void => {
      seen.set(k, (seen.get(k) ?? 0) + 1);
    };
    for (let w = 0; w < workflows; w++) {
      const workflow = generateWorkflow(77, w, cfg);
      for (let r = 0; r < 16; r++) {
        const run = generateRun(77, w, r, workflow, cfg);
        for (const phases of Object.values(run.scripts)) {
          for (const s of Object.values(phases)) if (s !== undefined) add(s.label);
        }
        if (run.abort !== undefined)
          add(isHostileReason(run.abort.reason) ? "hostileAbortReason" : "externalAbort");
        if (run.clock !== undefined) add(`${run.clock}Clock`);
      }
    }
    return seen;
  }

  it("by default: same-turn groups, cancelled own errors, hostile values and reasons, quirky clocks", () => {
    const seen = census({ ...gen, timers: "mixed" }, 60);
    const added = [
      "sameTurn",
      "cancelledOwnError",
      "hostileThrow",
      "hostileAbortReason",
      "noHandleClock",
      "syncZeroClock",
      "throwingClock",
    ];
    for (const kind of added) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
    expect(ALL_FAULT_KINDS).toEqual(expect.arrayContaining(added));
  });

  it("same-turn groups reject at once, sometimes from an async function, sometimes retryable", () => {
    const behaviours: Behaviour[] = [];
    let groups = 0;
    for (let w = 0; w < 60; w++) {
      const workflow = generateWorkflow(5, w, gen);
      for (let r = 0; r < 16; r++) {
        const members = new Map<number, number>();
        for (const phases of Object.values(generateRun(5, w, r, workflow, gen).scripts)) {
          for (const s of Object.values(phases)) {
            if (s?.group === undefined) continue;
            expect(s.label).toBe("sameTurn");
            members.set(s.group, (members.get(s.group) ?? 0) + 1);
            behaviours.push(s.attempts[0]!);
          }
        }
        for (const n of members.values()) expect(n).toBeGreaterThanOrEqual(2);
        groups += members.size;
      }
    }
    expect(groups).toBeGreaterThan(10);
    expect(behaviours.some((b) => b.k === "throw" && !b.async)).toBe(true);
    expect(behaviours.some((b) => b.k === "throw" && b.async && b.asyncFn === true)).toBe(true);
    expect(behaviours.some((b) => b.k === "throw" && b.async && b.asyncFn !== true)).toBe(true);
    expect(behaviours.some((b) => b.k === "retryable")).toBe(true);
  });

  it("--faults selects kinds and --skip-faults removes them; nothing else is injected", () => {
    const only = census({ ...gen, faults: new Set(["hostileThrow", "syncZeroClock"]) }, 40);
    expect(
      [...only.keys()]
        .filter((k) => k !== "benign" && k !== "retryRecovers" && k !== "childFailure")
        .sort(),
    ).toEqual(["hostileThrow", "syncZeroClock"]);
    const none = census({ ...gen, faults: new Set() }, 20);
    expect([...none.keys()]).toEqual(["benign"]);
    const skipped = census(
      {
        ...gen,
        faults: new Set(ALL_FAULT_KINDS.filter((k) => k !== "sameTurn" && k !== "externalAbort")),
      },
      40,
    );
    expect(skipped.has("sameTurn")).toBe(false);
    expect(skipped.has("externalAbort")).toBe(false);
    expect(skipped.get("hostileAbortReason") ?? 0).toBeGreaterThan(0);
  });

  it("parses --faults and --skip-faults, refuses unknown kinds, and replays with them", () => {
    const parse = (...argv: string[]) => parseArgs(argv, () => 7);
    expect(parse().faults).toBeUndefined();
    expect([...parse("--faults", "sameTurn,hostileThrow").faults!]).toEqual([
      "sameTurn",
      "hostileThrow",
    ]);
    expect(parse("--skip-faults", "sameTurn").faults!.has("sameTurn")).toBe(false);
    expect(parse("--skip-faults", "sameTurn").faults!.size).toBe(ALL_FAULT_KINDS.length - 1);
    expect(parse("--faults", "none").faults!.size).toBe(0);
    expect(() => parse("--faults", "sameturn")).toThrow(
      /unknown fault kind "sameturn" \(did you mean sameTurn\?\)/,
    );
    expect(() => parse("--skip-faults", "bogus")).toThrow(
      /unknown fault kind "bogus"; the kinds: syncThrow/,
    );
    const opts = parse("--seed", "5", "--faults", "hostileThrow,sameTurn");
    expect(workflowCommand(opts, 1)).toContain("--faults sameTurn,hostileThrow");
    expect(HELP).toContain("cancelledOwnError");
    for (const kind of ALL_FAULT_KINDS) expect(HELP).toContain(kind);
  });
});

describe("clocks with quirks and hostile values", () => {
  it("QuirkClock: no handle, synchronous 0 ms timers, throwing every Nth call", () => {
    const inner = new VirtualClock();
    const noHandle = new QuirkClock(inner, "noHandle");
    let fired = 0;
    expect(noHandle.setTimeout(() => fired++, 5)).toBeUndefined();
    noHandle.clearTimeout(undefined);
    expect(noHandle.uncleared).toBe(1);
    expect(inner.pendingTimers).toBe(1); // not cleared: it fires later
    const syncZero = new QuirkClock(inner, "syncZero");
    const calls: string[] = [];
    syncZero.setTimeout(() => calls.push("zero"), 0);
    calls.push("after setTimeout");
    expect(calls).toEqual(["zero", "after setTimeout"]);
    expect(syncZero.synchronous).toBe(1);
    const throwing = new QuirkClock(inner, "throwing", 2);
    const h = throwing.setTimeout(() => {}, 1);
    expect(() => throwing.setTimeout(() => {}, 1)).toThrow(ClockFault);
    throwing.clearTimeout(h);
    expect(() => throwing.clearTimeout(h)).toThrow(ClockFault);
    expect(throwing.thrown).toHaveLength(2);
    expect(fromClock(new AggregateError([new Error("own"), throwing.thrown[0]]), throwing)).toBe(
      true,
    );
    expect(fromClock(new Error("own"), throwing)).toBe(false);
  });

  it("show() names every hostile value without throwing", () => {
    for (const kind of HOSTILE_KINDS) {
      const value = hostileValue(kind, `label ${kind}`);
      expect(typeof show(value)).toBe("string");
    }
    expect(show(hostileValue("symbolMessage", "x"))).toBe("Error: Symbol(x)");
    expect(show(hostileValue("throwingName", "x"))).toBe("<name getter throws>: x");
  });
});

/** A graph workflow of tasks without dependencies, with the phases given. */
function flat(
  tasks: Record<string, Partial<Record<"preExecute" | "execute" | "postExecute", FnSpec>>>,
): WorkflowSpec {
  return {
    mode: "graph",
    realTimers: false,
    tasks: Object.entries(tasks).map(([name, phases]) => ({ name, deps: [], phases })),
  };
}

/** The same record whose error lists other failures (the engine "dropped" or reordered some). */
function withFailures(
  record: RunRecord,
  edit: (f: readonly TaskFailure[]) => TaskFailure[],
): RunRecord {
  const error = record.outcome.kind === "rejected" ? record.outcome.error : undefined;
  if (!isSdaxExecutionError(error))
    throw new Error("the run did not reject with an SdaxExecutionError");
  return {
    ...record,
    outcome: { kind: "rejected", error: new SdaxExecutionError(edit(error.failures)) },
  };
}

const directOf = (built: Parameters<typeof checkRun>[0], record: RunRecord) =>
  checkRun(built, record).filter((v) => v.source === "direct");

describe("own errors are reported: the checks catch an engine that drops or reorders them", () => {
  it("INV-32 a cancelled function that rejects with its own error is a failure after its cancellation", async () => {
    const workflow = flat({ a: { preExecute: {} }, b: { preExecute: {}, postExecute: {} } });
    // a fails after 1 ms (a child rejects); b is rolling back by then and fails on its own.
    const run: RunSpec = {
      random: 1,
      scripts: {
        a: {
          preExecute: {
            label: "childFailure",
            attempts: [{ k: "spawn", ms: [1], failAt: 0 }],
          },
        },
        b: {
          preExecute: { label: "cancelledOwnError", attempts: [{ k: "rollback", ms: 30 }] },
        },
      },
    };
    const c: Case = { workflow, runs: [run] };
    const { built, records } = await runCase(c);
    const record = records[0]!;
    expect(checkRun(built, record)).toEqual([]);
    const failures = (record.outcome as { error: SdaxExecutionError }).error.failures;
    expect(failures.map((f) => [f.task, f.afterCancel])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    expect(record.ctx.own.find((r) => r.afterAbort)?.value).toBe(failures[1]!.error);
    // The engine drops it (the old semantics: a cancelled phase is never a failure).
    const dropped = directOf(
      built,
      withFailures(record, (f) => f.slice(0, 1)),
    );
    expect(dropped.map((v) => v.invariant)).toContain("INV-32");
    expect(dropped.find((v) => v.invariant === "INV-32")?.message).toMatch(
      /task "b" preExecute attempt 1 rejected with its own Error: .*rollback failed after its signal aborted \(a cancellation\), but the run's failures do not list that phase/,
    );
    // Or reports it without afterCancel.
    const plain = directOf(
      built,
      withFailures(record, (f) => f.map((x) => ({ ...x, afterCancel: false }))),
    );
    expect(plain.map((v) => v.message).join("\n")).toMatch(/but its failure has afterCancel false/);
  });

  it("INV-14 functions rejecting in the same step are all reported, in start order", async () => {
    const workflow = flat({ a: { execute: {} }, b: { execute: {} }, c: { execute: {} } });
    const reject = (asyncFn: boolean): PhaseScript => ({
      label: "sameTurn",
      group: 1,
      attempts: [{ k: "throw", value: "error", async: true, asyncFn }],
    });
    const run: RunSpec = {
      random: 1,
      scripts: {
        a: { execute: reject(false) },
        b: { execute: reject(true) },
        c: {
          execute: {
            label: "sameTurn",
            group: 1,
            attempts: [{ k: "throw", value: "object", async: false }],
          },
        },
      },
    };
    const { built, records } = await runCase({ workflow, runs: [run] });
    const record = records[0]!;
    expect(checkRun(built, record)).toEqual([]);
    const failures = (record.outcome as { error: SdaxExecutionError }).error.failures;
    // c threw synchronously: decided in the step; a and b were received after it, cancelled.
    expect(failures.map((f) => [f.task, f.afterCancel])).toEqual([
      ["c", false],
      ["a", true],
      ["b", true],
    ]);
    const lost = directOf(
      built,
      withFailures(record, (f) => f.slice(0, 2)),
    );
    expect(lost.map((v) => v.message).join("\n")).toMatch(
      /task "b" execute attempt 1 rejected with its own .*but the run's failures do not list that phase/,
    );
    const swapped = directOf(
      built,
      withFailures(record, (f) => [f[0]!, f[2]!, f[1]!]),
    );
    expect(swapped.map((v) => v.message).join("\n")).toMatch(
      /listed as "c" execute \(sync\), "b" execute \(rejected\), "a" execute \(rejected\); in start order \(synchronous throws first\) they are "c" execute \(sync\), "a" execute \(rejected\), "b" execute \(rejected\)/,
    );
  });

  it("INV-33 hostile thrown values are kept exactly; hostile abort reasons become the cause", async () => {
    const workflow = flat(
      Object.fromEntries(HOSTILE_KINDS.map((k) => [k, { execute: {}, postExecute: {} }])),
    );
    const runs: RunSpec[] = HOSTILE_KINDS.map((kind, i) => ({
      random: i,
      scripts: {
        [kind]: {
          execute: {
            label: "hostileThrow",
            attempts: [{ k: "throw", value: kind, async: i % 2 === 0 }],
          },
        },
      },
    }));
    const aborted: RunSpec[] = HOSTILE_KINDS.map((reason, i) => ({
      random: i,
      scripts: {
        revokedProxy: { execute: { label: "benign", attempts: [{ k: "slow", ms: 10 }] } },
      },
      abort: { at: "time", ms: 2, reason },
    }));
    const { built, records, violations } = await runCase({ workflow, runs: [...runs, ...aborted] });
    expect(violations).toEqual([]);
    records.forEach((record, i) => {
      expect(record.outcome.kind).toBe("rejected");
      const error = (record.outcome as { error: SdaxExecutionError }).error;
      if (i < runs.length) {
        expect(error.failures).toHaveLength(1);
        expect(error.failures[0]!.error).toBe(record.ctx.own[0]!.value);
      } else {
        expect(error.failures).toHaveLength(0);
        expect(error.cause).toBe(record.abortReason);
      }
      // Every task was entered, so every postExecute was called (before the run settled:
      // checked by checkRun above).
      const posts = new Set<number>();
      const log = record.ctx.log;
      for (let k = 0; k < log.length; k += 3) {
        if (log[k + 2] === BEGIN && slotOfKey(log[k + 1]!) % 3 === 2) posts.add(log[k + 1]!);
      }
      expect(posts.size).toBe(HOSTILE_KINDS.length);
    });
    // A lost hostile value is caught (the oracle compares identities, never strings).
    const doctored = withFailures(records[0]!, (f) =>
      f.map((x) => ({ ...x, error: new Error("something else") })),
    );
    expect(checkRun(built, doctored).map((v) => v.invariant)).toContain("INV-14");
  });

  it("INV-23 INV-36 retries cancelled in their delay or in attempt 2, on clocks with no handle or synchronous 0 ms timers", async () => {
    const workflow = flat({
      r: { execute: { retries: 2, initialDelayMs: 0 }, postExecute: {} },
      s: { execute: { retries: 2, initialDelayMs: 4 }, postExecute: {} },
      x: { execute: {} },
    });
    const retryThenSlow: PhaseScript = {
      label: "retryRecovers",
      attempts: [
        { k: "retryable", async: false },
        { k: "slow", ms: 20 },
      ],
    };
    const scripts = (failAt: number) => ({
      r: { execute: retryThenSlow },
      s: { execute: retryThenSlow },
      x: {
        execute: {
          label: "childFailure" as const,
          attempts: [{ k: "spawn" as const, ms: [failAt], failAt: 0 }],
        },
      },
    });
    const runs: RunSpec[] = [];
    for (const clock of ["noHandle", "syncZero", undefined] as const) {
      for (const failAt of [0, 2, 10]) {
        const run: RunSpec = { random: 3, scripts: scripts(failAt) };
        runs.push(clock === undefined ? run : { ...run, clock });
      }
    }
    const { records, violations } = await runCase({ workflow, runs });
    expect(violations).toEqual([]);
    const events = records.flatMap((r) => r.ctx.events);
    expect(
      events.some((e) => e.type === "attempt" && e.event === "cancel" && e.from === "delayed"),
    ).toBe(true);
    expect(
      events.some(
        (e) =>
          e.type === "attempt" && e.event === "cancel" && e.from === "running" && e.attempt === 2,
      ),
    ).toBe(true);
    expect(records.some((r) => (r.quirk?.synchronous ?? 0) > 0)).toBe(true);
    expect(records.some((r) => (r.quirk?.uncleared ?? 0) > 0)).toBe(true);
  });

  it("INV-4 a cancelled running attempt whose signal never aborts is caught", async () => {
    const workflow = flat({ a: { execute: {} }, b: { execute: {} } });
    const run: RunSpec = {
      random: 1,
      scripts: {
        a: { execute: { label: "childFailure", attempts: [{ k: "spawn", ms: [1], failAt: 0 }] } },
        b: { execute: { label: "benign", attempts: [{ k: "slow", ms: 10 }] } },
      },
    };
    const { built, records } = await runCase({ workflow, runs: [run] });
    const record = records[0]!;
    expect(checkRun(built, record)).toEqual([]);
    const silent: RunRecord = { ...record, ctx: { ...record.ctx, aborts: new Map() } };
    expect(
      directOf(built, silent)
        .map((v) => v.message)
        .join("\n"),
    ).toMatch(
      /task "b" execute attempt 1 was cancelled \(event \d+\) while its function waited on its signal, but the signal never aborted/,
    );
  });
});
