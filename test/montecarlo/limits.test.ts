/**
 * The Monte Carlo runner under a concurrency limit and a run deadline (spec/lifecycle.md
 * section 8): generated for some workflows and runs (and not with --skip-faults), checked by
 * the runner's own count of functions in flight (INV-37) and its deadline checks (INV-40),
 * each of which can fail.
 */
import { describe, expect, it } from "vitest";
import { checkRun } from "../../montecarlo/checks/index.js";
import type { RunRecord } from "../../montecarlo/execute-run.js";
import { type GenConfig, generateRun, generateWorkflow } from "../../montecarlo/generator.js";
import type { PhaseScript, RunSpec, WorkflowSpec } from "../../montecarlo/model.js";
import { runCase } from "../../montecarlo/run-case.js";
import { BEGIN, keyOf } from "../../montecarlo/run-context.js";
import { SdaxExecutionError } from "../../src/index.js";

const gen: GenConfig = {
  mode: "mixed",
  maxLevels: 8,
  maxTasks: 6,
  failRate: 0.05,
  timers: "virtual",
  listenerAborts: true,
};

/** Three roots, each phase sleeping 5 ms of virtual time; built with a limit of 1. */
const slow: PhaseScript = { label: "benign", attempts: [{ k: "slow", ms: 5 }] };
const limited: WorkflowSpec = {
  mode: "graph",
  realTimers: false,
  maxConcurrency: 1,
  tasks: ["a", "b", "c"].map((name) => ({
    name,
    deps: [],
    phases: { preExecute: {}, postExecute: {} },
  })),
};
const sleepy: RunSpec = {
  random: 1,
  scripts: Object.fromEntries(
    ["a", "b", "c"].map((t) => [t, { preExecute: slow, postExecute: slow }]),
  ),
};

const findings = (built: Parameters<typeof checkRun>[0], record: RunRecord) =>
  checkRun(built, record).map((v) => `${v.invariant} (${v.source}): ${v.message}`);

describe("limits and deadlines are generated", () => {
  function census(cfg: GenConfig) {
    let workflowLimits = 0;
    let runLimits = 0;
    let deadlines = 0;
    for (let w = 0; w < 60; w++) {
      const workflow = generateWorkflow(5, w, cfg);
      if (workflow.maxConcurrency !== undefined) workflowLimits++;
      for (let r = 0; r < 16; r++) {
        const run = generateRun(5, w, r, workflow, cfg);
        if (run.maxConcurrency !== undefined) runLimits++;
        if (run.timeoutMs !== undefined) deadlines++;
      }
    }
    return { workflowLimits, runLimits, deadlines };
  }

  it("INV-37 INV-40: some workflows get a limit, some runs a limit and a deadline; --skip-faults removes them", () => {
    const on = census(gen);
    expect(on.workflowLimits).toBeGreaterThan(0);
    expect(on.runLimits).toBeGreaterThan(0);
    expect(on.deadlines).toBeGreaterThan(0);
    const off = census({
      ...gen,
      faults: new Set(["syncThrow", "asyncReject", "externalAbort"]),
    });
    expect(off).toEqual({ workflowLimits: 0, runLimits: 0, deadlines: 0 });
  });
});

describe("the runner's own limit checks (they can fail)", () => {
  it("INV-37: a limited run passes; the log showing two functions running at once under a limit of 1 is caught", async () => {
    const { built, records } = await runCase({ workflow: limited, runs: [sleepy] });
    const record = records[0]!;
    expect(findings(built, record)).toEqual([]);
    expect(record.ctx.events.some((e) => e.type === "task" && e.event === "queuePre")).toBe(true);
    // Move b's preExecute call to just after a's: both running at once, by the log.
    const log = record.ctx.log;
    const triples: number[][] = [];
    for (let i = 0; i < log.length; i += 3) triples.push(log.slice(i, i + 3));
    const isBegin = (task: number) => (t: number[]) =>
      t[1] === keyOf(task * 3, 1) && t[2] === BEGIN;
    const b = triples.findIndex(isBegin(1));
    const moved = triples.splice(b, 1)[0]!;
    triples.splice(triples.findIndex(isBegin(0)) + 1, 0, moved);
    const doctored = { ...record, ctx: { ...record.ctx, log: triples.flat() } };
    expect(findings(built, doctored).join("\n")).toMatch(
      /INV-37 \(direct\): 2 functions were running at once .*maxConcurrency is 1/,
    );
  });

  it("INV-37: a run's own limit replaces its workflow's", async () => {
    const { built, records } = await runCase({
      workflow: limited,
      runs: [{ ...sleepy, maxConcurrency: 3 }],
    });
    const record = records[0]!;
    expect(record.ctx.events[0]).toMatchObject({ maxConcurrency: 3 });
    expect(record.ctx.events.some((e) => e.type === "task" && e.event.startsWith("queue"))).toBe(
      false,
    );
    expect(findings(built, record)).toEqual([]);
  });

  it("INV-40: a deadline run passes; a run still going after its deadline, or a wrong cause, is caught", async () => {
    const { built, records } = await runCase({
      workflow: limited,
      runs: [{ ...sleepy, timeoutMs: 7 }],
    });
    const record = records[0]!;
    expect(findings(built, record)).toEqual([]);
    const abort = record.ctx.events.find((e) => e.type === "run" && e.event === "abort");
    expect(abort).toMatchObject({ at: 7, reason: { name: "TimeoutError" } });

    const undeadlined = await runCase({ workflow: limited, runs: [sleepy] });
    const late = { ...undeadlined.records[0]!, spec: { ...sleepy, timeoutMs: 7 } };
    expect(findings(undeadlined.built, late).join("\n")).toMatch(
      /INV-40 \(direct\): event seq \d+ came at 10 ms, after the run's deadline \(7 ms\)/,
    );

    const wrongCause = {
      ...record,
      outcome: {
        kind: "rejected" as const,
        error: new SdaxExecutionError([], { reason: new Error("not the deadline") }),
      },
    };
    expect(findings(built, wrongCause).join("\n")).toMatch(
      /INV-40 \(oracle\): after the run's deadline \(7 ms\) aborted it, the error's cause is/,
    );
  });
});
