import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, isSdaxExecutionError, task } from "../../src/index.js";
import { exploreFailures, type Fault } from "../../src/testing/index.js";

/** Three siblings with a preExecute each: 3 placements, 9 singles, 27 pairs. */
const siblings = AsyncTaskProcessor.builder<object>()
  .addTask(task("a", { preExecute: () => {} }), 1)
  .addTask(task("b", { preExecute: () => {} }), 1)
  .addTask(task("c", { preExecute: () => {} }), 1)
  .build();
const everyCase = 1 + 9 + 27;

describe("minimisation", () => {
  it("a pair whose faults each violate alone reduces to each single, reported once", async () => {
    // Violates whenever a fault fired in "a": its three singles; every pair with one reduces.
    const result = await exploreFailures(siblings, {
      context: () => ({}),
      check: (_ctx, run) => {
        if (run.fired.some((f) => f.task === "a")) throw new Error("a misbehaved");
      },
      seed: 3,
    });
    expect(result.runs).toBe(everyCase); // every single was already run: no re-run
    expect(result.violations.map((v) => v.faults)).toEqual([
      [{ task: "a", phase: "preExecute", kind: "failAtStart" }],
      [{ task: "a", phase: "preExecute", kind: "failAfterBody" }],
      [{ task: "a", phase: "preExecute", kind: "hang" }],
    ]);
    expect(result.violations.every((v) => v.foundWith.length === 1)).toBe(true);
  });

  it("a violation only a pair causes stays a pair: two siblings failing in the same step are both reported (INV-14)", async () => {
    const result = await exploreFailures(siblings, {
      context: () => ({}),
      check: (_ctx, run) => {
        if (run.status === "rejected" && isSdaxExecutionError(run.error)) {
          if (run.error.failures.length > 1) throw new Error("two failures");
        }
      },
      seed: 3,
    });
    const kinds = (faults: readonly Fault[]) => faults.map((f) => `${f.task}.${f.kind}`).join("+");
    // The functions are synchronous: failing at the start or after the body is the same turn.
    const failing = ["failAtStart", "failAfterBody"];
    const expected: string[] = [];
    for (const [x, y] of [
      ["a", "b"],
      ["a", "c"],
      ["b", "c"],
    ]) {
      for (const kx of failing) for (const ky of failing) expected.push(`${x}.${kx}+${y}.${ky}`);
    }
    expect(result.violations.map((v) => kinds(v.faults))).toEqual(expected);
    expect(result.violations.every((v) => kinds(v.foundWith) === kinds(v.faults))).toBe(true);
  });

  // The pair was reduced to "a" failing alone, which showed another problem, and its own was
  // never reported.
  it("a pair showing a problem of its own stays a pair, though one of its faults alone shows another", async () => {
    const result = await exploreFailures(siblings, {
      context: () => ({}),
      check: (_ctx, run) => {
        const failsAtStart = (name: string) =>
          run.faults.some((f) => f.task === name && f.kind === "failAtStart");
        if (failsAtStart("a") && failsAtStart("b")) throw new Error("a and b: double release");
        if (failsAtStart("a")) throw new Error("a alone");
      },
      seed: 3,
    });
    expect(result.violations.map((v) => v.message)).toEqual([
      'with preExecute of "a" failing at its start: check failed: Error: a alone',
      'with preExecute of "a" failing at its start and preExecute of "b" failing at its start: check failed: Error: a and b: double release',
    ]);
  });

  it("a problem is the same whatever numbers its message holds: a pair counting two leaks reduces to its singles", async () => {
    const result = await exploreFailures(siblings, {
      context: () => ({}),
      check: (_ctx, run) => {
        const leaks = run.faults.filter((f) => f.kind === "failAtStart").length;
        if (leaks > 0) throw new Error(`${leaks} connection(s) never released`);
      },
      seed: 3,
    });
    expect(result.violations.map((v) => v.faults.length)).toEqual([1, 1, 1]);
    expect(result.violations.map((v) => v.message)).toEqual(
      ["a", "b", "c"].map(
        (name) =>
          `with preExecute of "${name}" failing at its start: check failed: Error: 1 connection(s) never released`,
      ),
    );
  });

  it("a workflow that misbehaves without any fault reduces everything to the no-fault run", async () => {
    const result = await exploreFailures(siblings, {
      context: () => ({}),
      check: () => {
        throw new Error("always");
      },
      seed: 3,
    });
    expect(result.runs).toBe(everyCase);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatchObject({
      faults: [],
      foundWith: [],
      message: "with no fault: check failed: Error: always",
      replay: { faults: [] },
    });
  });
});
