import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, join, task } from "../../src/index.js";
import { exploreFailures, type Fault } from "../../src/testing/index.js";

const noop = () => {};

/** Every case an exploration tried, as the `context` saw them. */
async function casesOf(processor: AsyncTaskProcessor<object>, runs?: number) {
  const tried: (readonly Fault[])[] = [];
  const result = await exploreFailures(processor, {
    context: ({ faults }) => {
      tried.push(faults);
      return {};
    },
    check: noop,
    seed: 9,
    runs,
  });
  return { tried, result };
}

describe("exhaustive counts: 1 no-fault run + 3 kinds x E phases + 9 x E(E-1)/2 pairs", () => {
  it("only preExecute and execute are eligible: postExecute-only tasks and joins add none", async () => {
    const processor = AsyncTaskProcessor.graphBuilder<object>()
      .addTask(task("a", { preExecute: noop, execute: noop, postExecute: noop }))
      .addTask(task("b", { postExecute: noop }), ["a"])
      .addTask(join("sync"), ["a", "b"])
      .addTask(task("d", { execute: noop }), ["sync"])
      .build();
    const { tried, result } = await casesOf(processor);
    const E = 3;
    expect(result).toMatchObject({ runs: 1 + 3 * E + (9 * E * (E - 1)) / 2, exhaustive: true });
    const placements = new Set(tried.flat().map((f) => `${f.task}.${f.phase}`));
    expect([...placements].sort()).toEqual(["a.execute", "a.preExecute", "d.execute"]);
    // every pair is on two different phases, and no case repeats
    expect(
      tried.every((f) => f.length < 2 || f[0]!.task + f[0]!.phase !== f[1]!.task + f[1]!.phase),
    ).toBe(true);
    expect(new Set(tried.map((f) => JSON.stringify(f))).size).toBe(tried.length);
  });

  it("a workflow with nothing to fault runs once", async () => {
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(task("cleanup", { postExecute: noop }), 1)
      .build();
    const { tried, result } = await casesOf(processor);
    expect(tried).toEqual([[]]);
    expect(result).toMatchObject({ runs: 1, exhaustive: true, violations: [] });
  });

  it.each([
    [1, 1 + 3],
    [2, 1 + 6 + 9],
    [4, 1 + 12 + 54],
  ])("%i one-phase siblings: %i runs", async (n, expected) => {
    let builder = AsyncTaskProcessor.builder<object>();
    for (let i = 0; i < n; i++) builder = builder.addTask(task(`t${i}`, { preExecute: noop }), 1);
    const { result } = await casesOf(builder.build());
    expect(result).toMatchObject({ runs: expected, exhaustive: true });
  });

  it("a budget exactly the size of the space is exhaustive; one less is not", async () => {
    let builder = AsyncTaskProcessor.builder<object>();
    for (let i = 0; i < 3; i++) builder = builder.addTask(task(`t${i}`, { execute: noop }), 1);
    const processor = builder.build();
    expect((await casesOf(processor, 37)).result).toMatchObject({ runs: 37, exhaustive: true });
    expect((await casesOf(processor, 36)).result).toMatchObject({ runs: 36, exhaustive: false });
  });
});
