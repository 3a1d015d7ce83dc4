/**
 * The engine keeps the specification, so a real run never breaks it: here `checkTrace` is
 * replaced by one that reports a violation for runs with a fault, to see the explorer report
 * what the trace checker finds.
 */
import { describe, expect, it, vi } from "vitest";
import type { LifecycleEvent, TraceViolation } from "../../src/index.js";
import { exploreFailures } from "../../src/testing/index.js";
import { poolContext, poolWorkflow } from "./workflows.js";

vi.mock("../../src/verify/check-trace.js", () => ({
  checkTrace: (events: readonly LifecycleEvent[]): TraceViolation[] =>
    events.some((e) => e.type === "task" && e.event === "fail")
      ? [{ invariant: "INV-7", message: "a planted violation", events: [] }]
      : [],
}));

describe("a trace that breaks the specification is a violation", () => {
  it("source `trace`, the checker's findings carried, the check still called (INV-7 as planted)", async () => {
    let checks = 0;
    const result = await exploreFailures(poolWorkflow(true), {
      context: poolContext,
      check: () => {
        checks++;
      },
      replay: { faults: [{ task: "db", phase: "preExecute", kind: "failAtStart" }] },
    });
    expect(checks).toBe(1);
    expect(result.violations).toMatchObject([
      {
        source: "trace",
        trace: [{ invariant: "INV-7", message: "a planted violation" }],
        message:
          'with preExecute of "db" failing at its start: the run broke the specification: INV-7: a planted violation',
      },
    ]);
  });

  it("when the check also throws, the violation is the check's, with the trace's findings beside it", async () => {
    const result = await exploreFailures(poolWorkflow(true), {
      context: poolContext,
      check: () => {
        throw new Error("mine");
      },
      replay: { faults: [{ task: "db", phase: "preExecute", kind: "failAtStart" }] },
    });
    expect(result.violations).toMatchObject([
      { source: "check", error: new Error("mine"), trace: [{ invariant: "INV-7" }] },
    ]);
  });
});
