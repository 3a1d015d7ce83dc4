import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { readCorpus } from "./corpus.js";
import { fromItf } from "./itf.js";
import { replay } from "./replay.js";
import type { Trace } from "./trace.js";

/**
 * The engine conforms to the model: every trace of spec/lifecycle.qnt, replayed on the engine
 * with deferred promises and a virtual clock, produces the model's lifecycle events one for one
 * (same transitions, same order, same times), the same pending timers after every step, and the
 * same outcome and failures.
 */
const corpus = readCorpus();

async function mismatches(traces: readonly Trace[]): Promise<string[]> {
  const found: string[] = [];
  for (const [i, trace] of traces.entries()) {
    const result = await replay(trace);
    if (result.mismatch !== undefined) found.push(`trace ${i}: ${result.mismatch}`);
  }
  return found;
}

describe("conformance: the engine replays the model's traces", () => {
  it("the corpus holds over 1,000 settled traces that exercise every action and kind of function the model has", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(1000);
    // Simulated traces run until the run settled; the model's unit tests stop where they checked.
    const simulated = corpus.filter((t) => t.steps.at(-1)?.action.name !== "check");
    expect(simulated.length).toBeGreaterThanOrEqual(1000);
    expect(simulated.every((t) => t.final.run === "settled")).toBe(true);
    const events = new Set(
      corpus.flatMap((t) =>
        t.steps.flatMap((s) => s.events.map((e) => e.split(" ").slice(1, 3).join(" "))),
      ),
    );
    const actions = new Set(
      corpus.flatMap((t) => t.steps.map((s) => `${s.action.name} ${s.action.how}`)),
    );
    for (const a of [
      "start ",
      "startAborted ",
      "abort ",
      "settle ok",
      "settle fail",
      "settle retryable",
      "settle abort",
      "lateSettle ok",
      "lateSettle fail",
      "fire timeout",
      "fire abandon",
      "fire delay",
    ]) {
      expect(actions, a).toContain(a);
    }
    expect(
      corpus.some((t) => t.workflow.mode === "levels" && new Set(t.workflow.level).size > 1),
    ).toBe(true);
    expect(
      corpus.some((t) => t.workflow.mode === "graph" && t.workflow.deps.some((d) => d.length > 1)),
    ).toBe(true);
    expect(events.size).toBeGreaterThan(3);
    expect(corpus.some((t) => t.workflow.clockThrows)).toBe(true);
    expect(corpus.some((t) => t.workflow.clockTicks)).toBe(true);
    const syncKinds = new Set(
      corpus.flatMap((t) => t.workflow.phases.flatMap((p) => p.map((c) => c?.sync))),
    );
    expect([...syncKinds].sort()).toEqual(["", "ok", "throw", undefined]);
    // Three failures decided in one step, listed in the order they were decided (INV-14).
    expect(corpus.some((t) => t.final.failures.map((f) => f.task).join() === "2,3,0")).toBe(true);
  });

  it("INV-37, INV-38, INV-39, INV-40: the corpus covers limited runs, deadlines and phase runners, every queueing row and a deadline in every state it can abort", () => {
    const has = (t: Trace, pattern: RegExp) =>
      t.steps.some((s) => s.events.some((e) => pattern.test(e)));
    const count = (pick: (t: Trace) => boolean) => corpus.filter(pick).length;
    // The limit given both ways, of 1 and of 2 slots; deadlines; phase runners.
    expect(count((t) => t.workflow.maxConcurrency === 1)).toBeGreaterThanOrEqual(100);
    expect(count((t) => t.workflow.maxConcurrency === 2)).toBeGreaterThanOrEqual(100);
    expect(
      count((t) => t.workflow.maxConcurrency !== null && t.workflow.limitFrom === "build"),
    ).toBeGreaterThanOrEqual(100);
    expect(count((t) => t.workflow.timeoutMs !== null)).toBeGreaterThanOrEqual(200);
    expect(count((t) => t.workflow.runner)).toBeGreaterThanOrEqual(100);
    // The start event carries both (compared one for one with the engine's).
    expect(count((t) => has(t, /run start .* maxConcurrency=2 timeoutMs=\d+$/))).toBeGreaterThan(0);
    // Every queueing row of the task table, and the queued phases the failing run drops.
    for (const row of [
      /queuePre waiting->preQueued/,
      /startPre preQueued->preRunning/,
      /skip preQueued->skipped/,
      /queueExec ready->execQueued/,
      /startExec execQueued->execRunning/,
      /queuePost .*->postQueued/,
      /startPost postQueued->postRunning/,
      /startPost execQueued->postRunning|queuePost execQueued->postQueued|finish execQueued->done/,
    ]) {
      expect(
        count((t) => has(t, row)),
        String(row),
      ).toBeGreaterThan(0);
    }
    // Two phases queued at once, so the order of grants is seen (INV-38).
    expect(
      count((t) =>
        t.steps.some((s) => s.events.filter((e) => / queue(Pre|Exec|Post) /.test(e)).length >= 2),
      ),
    ).toBeGreaterThanOrEqual(20);
    // The deadline fires in each state it aborts (a phase runner stopped at `entered` too),
    // and after cleanup began it is cleared, never fired.
    const abortedIn = new Set(
      corpus.flatMap((t) =>
        t.steps
          .filter((s) => s.action.name === "fire" && s.action.how === "deadline")
          .flatMap((s) =>
            s.events.filter((e) => / run abort /.test(e)).map((e) => e.split(" ")[3]),
          ),
      ),
    );
    expect([...abortedIn].sort()).toEqual([
      "entered->failing",
      "entering->failing",
      "executed->failing",
      "executing->failing",
    ]);
    expect(
      corpus.some(
        (t) =>
          t.workflow.timeoutMs !== null &&
          t.workflow.clockThrows &&
          t.steps.length > 0 &&
          has(t, /run abort entering->failing/),
      ),
    ).toBe(true);
    expect(
      new Set(
        corpus.flatMap((t) =>
          t.steps.filter((s) => s.action.name === "proceed").map((s) => s.action.how),
        ),
      ),
    ).toEqual(new Set(["next", "close"]));
  });

  it("INV-1, INV-2, INV-3, INV-4, INV-5, INV-10, INV-14: the first half of the corpus conforms, event for event", async () => {
    expect(await mismatches(corpus.slice(0, 509))).toEqual([]);
  });

  it("INV-6, INV-7, INV-12, INV-13, INV-23, INV-25, INV-26, INV-27, INV-32, INV-36, INV-37, INV-38, INV-39, INV-40: the second half of the corpus conforms, event for event", async () => {
    expect(await mismatches(corpus.slice(509))).toEqual([]);
  });

  it("the replay can fail: a trace with one event changed, one dropped, or a wrong timer count is a mismatch", async () => {
    const trace = corpus.find(
      (t) => t.steps.length > 4 && t.steps.some((s) => s.events.length > 1),
    )!;
    const at = trace.steps.findIndex((s) => s.events.length > 1);
    const step = trace.steps[at]!;
    const tampered = (events: readonly string[], timers = step.timers): Trace => ({
      ...trace,
      steps: trace.steps.map((s, i) => (i === at ? { ...s, events, timers } : s)),
    });
    const changed = [...step.events];
    changed[0] = changed[0]!.replace(/@\d+/, "@999");
    expect((await replay(tampered(changed))).mismatch).toMatch(/model @999/);
    expect((await replay(tampered(step.events.slice(1)))).mismatch).toBeDefined();
    expect((await replay(tampered(step.events, step.timers + 1))).mismatch).toMatch(/timers/);
    expect((await replay(trace)).mismatch).toBeUndefined();
  });

  // Quint takes seconds to start: a timeout of its own, whatever the runner's default.
  it("traces simulated now from the model (a fixed seed) conform too, so the corpus is not stale", {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "sdax-conformance-"));
    try {
      const cli = createRequire(import.meta.url).resolve("@informalsystems/quint/dist/src/cli.js");
      const model = fileURLToPath(new URL("../../spec/lifecycle.qnt", import.meta.url));
      execFileSync(
        process.execPath,
        [
          cli,
          "run",
          model,
          "--backend=typescript",
          "--max-samples=20",
          "--n-traces=20",
          "--max-steps=80",
          "--seed=4242",
          "--invariant=allInvariants",
          `--out-itf=${join(dir, "t{seq}.itf.json")}`,
          "--verbosity=0",
        ],
        { stdio: "ignore" },
      );
      const traces = readdirSync(dir).map((f) =>
        fromItf(JSON.parse(readFileSync(join(dir, f), "utf8"))),
      );
      expect(traces.length).toBe(20);
      expect(await mismatches(traces)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
