/**
 * The oracle of test/support/oracle.ts can fail: on real runs it has nothing to say, and on runs
 * whose record of function calls was tampered with it names the invariant broken (INV-2,
 * INV-5, INV-7, INV-10, INV-12, INV-14). It never reads lifecycle events, so these checks are
 * independent of checkTrace.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "../support/executor.js";
import type { PhaseShape, RunModel, Scenario, WorkflowShape } from "../support/model.js";
import { judge } from "../support/oracle.js";

const P: PhaseShape = { timeoutMs: null, retries: 0, initialDelayMs: 0 };
/** Levels: t0 on 1; t1, t2 on 2; every task with every phase. */
const shape: WorkflowShape = {
  mode: "levels",
  tasks: [0, 1, 2].map((i) => ({ name: `t${i}`, pre: P, exec: P, post: P })),
  level: [1, 2, 2],
};
const ok = { kind: "ok", ticks: 1 } as const;
const allOk: RunModel = {
  behaviours: [0, 1, 2].map(() => ({ pre: ok, exec: ok, post: ok })),
  abort: { kind: "none" },
};
const t1PreFails: RunModel = {
  behaviours: [
    { pre: ok, exec: ok, post: ok },
    { pre: { kind: "reject", ticks: 1 }, exec: ok, post: ok },
    { pre: ok, exec: ok, post: ok },
  ],
  abort: { kind: "none" },
};

async function run(model: RunModel) {
  const scenario: Scenario = { shape, runs: [model] };
  const { results } = await runScenario(scenario);
  return { scenario, r: results[0]! };
}

const codes = (problems: readonly string[]) => [...new Set(problems.map((p) => p.split(":")[0]))];

describe("the oracle (test/support/oracle.ts)", () => {
  it("INV-14: has nothing to say about real runs", async () => {
    for (const model of [allOk, t1PreFails]) {
      const { scenario, r } = await run(model);
      expect(judge(scenario, r)).toEqual([]);
    }
  });

  it("INV-10: reports postExecutes that did not run in reverse order", async () => {
    const { scenario, r } = await run(allOk);
    const post0 = r.ctx.calls.find((c) => c.task === 0 && c.phase === "post")!;
    const post1 = r.ctx.calls.find((c) => c.task === 1 && c.phase === "post")!;
    (post0 as { seq: number }).seq = post1.seq - 0.5; // t0's post started before t1's ended
    expect(codes(judge(scenario, r))).toContain("INV-10");
  });

  it("INV-2 INV-5: reports an entry before the lower level was ready, and an execute after a failed preExecute", async () => {
    const { scenario, r } = await run(t1PreFails);
    expect(r.ctx.calls.some((c) => c.phase === "exec")).toBe(false);
    r.ctx.calls.push({
      run: 0,
      task: 2,
      phase: "exec",
      attempt: 1,
      seq: 1e9,
      endSeq: 1e9 + 1,
      outcome: "resolved",
    });
    expect(codes(judge(scenario, r))).toContain("INV-5");
    const { scenario: s2, r: r2 } = await run(allOk);
    const pre1 = r2.ctx.calls.find((c) => c.task === 1 && c.phase === "pre")!;
    (pre1 as { seq: number }).seq = -1; // called before t0's preExecute ended
    expect(codes(judge(s2, r2))).toContain("INV-2");
  });

  it("INV-7 INV-12 INV-14: reports a missing postExecute, a cancelled one, and a wrong failure list", async () => {
    const { scenario, r } = await run(t1PreFails);
    const calls = r.ctx.calls;
    const post1 = calls.findIndex((c) => c.task === 1 && c.phase === "post");
    const removed = calls.splice(post1, 1)[0]!;
    expect(codes(judge(scenario, r))).toContain("INV-7");
    calls.push({
      ...removed,
      abortSeq: removed.seq,
      abortReason: { name: "AbortError", message: "sdax run cancelled: test" },
    });
    expect(codes(judge(scenario, r))).toContain("INV-12");
    const b = await run(allOk);
    b.r.error = undefined;
    const pre = b.r.ctx.calls.find((c) => c.task === 0 && c.phase === "pre")!;
    pre.outcome = "rejected"; // the function failed, but the run reported no failure
    expect(codes(judge(b.scenario, b.r))).toContain("INV-14");
  });
});
