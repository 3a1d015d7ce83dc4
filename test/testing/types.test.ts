import { describe, expectTypeOf, it } from "vitest";
import { type RunReport, VirtualClock } from "../../src/index.js";
import {
  type ExplorationResult,
  type ExploredRun,
  exploreFailures,
  type Fault,
  type Replay,
  type RunSetup,
} from "../../src/testing/index.js";
import { type PoolCtx, poolWorkflow } from "./workflows.js";

describe("types that guide", () => {
  it("the context type comes from the processor: `context` must make it and `check` receives it", () => {
    const processor = poolWorkflow(true);
    expectTypeOf(exploreFailures<PoolCtx>)
      .parameter(1)
      .toHaveProperty("context")
      .toEqualTypeOf<(run: RunSetup) => PoolCtx>();
    // Only typed, never called: nothing runs.
    const explore = () =>
      exploreFailures(processor, { context: () => ({}) as PoolCtx, check: () => {} });
    expectTypeOf(explore).returns.resolves.toEqualTypeOf<ExplorationResult>();
    const wrongContext = () =>
      // @ts-expect-error: a context of another type is refused
      exploreFailures(processor, { context: () => ({ other: 1 }), check: () => {} });
    expectTypeOf(wrongContext).toBeFunction();
  });

  it("a run is resolved with a report or rejected with an error, discriminated by `status`", () => {
    expectTypeOf<
      Extract<ExploredRun, { status: "resolved" }>["report"]
    >().toEqualTypeOf<RunReport>();
    expectTypeOf<Extract<ExploredRun, { status: "rejected" }>["error"]>().toBeUnknown();
  });

  it("a replay is plain data: a fault names a task, a phase that can fail, and a kind", () => {
    expectTypeOf<Replay["faults"]>().toEqualTypeOf<readonly Fault[]>();
    expectTypeOf<Fault["phase"]>().toEqualTypeOf<"preExecute" | "execute">();
    expectTypeOf<Fault["kind"]>().toEqualTypeOf<"failAtStart" | "failAfterBody" | "hang">();
  });

  it("the run options the explorer refuses at run time are refused by the type too", () => {
    const processor = poolWorkflow(true);
    const withClock = () =>
      exploreFailures(processor, {
        context: () => ({}) as PoolCtx,
        check: () => {},
        // @ts-expect-error: each run gets its own VirtualClock
        runOptions: { clock: new VirtualClock() },
      });
    const withEvents = () =>
      exploreFailures(processor, {
        context: () => ({}) as PoolCtx,
        check: () => {},
        runOptions: { onEvent: () => {}, abandonAfterMs: 5 },
      });
    expectTypeOf(withClock).toBeFunction();
    expectTypeOf(withEvents).toBeFunction();
  });
});
