import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  type AttemptTransitionEvent,
  isSdaxExecutionError,
  isTaskTimeoutError,
  type SdaxExecutionError,
  type TaskFunctionOptions,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  type ExploredRun,
  type Fault,
  isInjectedFaultError,
  replayFailure,
  StalledRunError,
} from "../../src/testing/index.js";

interface Ctx {
  clock: VirtualClock;
  calls: string[];
}

/** Runs one case and returns what the check saw. */
async function runCase(
  processor: AsyncTaskProcessor<Ctx>,
  faults: Fault[],
): Promise<{ ctx: Ctx; run: ExploredRun }> {
  let seen: { ctx: Ctx; run: ExploredRun } | undefined;
  const result = await replayFailure(
    processor,
    { faults },
    {
      context: ({ clock }) => ({ clock, calls: [] }),
      check: (ctx, run) => {
        seen = { ctx, run };
      },
    },
  );
  expect(result.violations).toEqual([]);
  return seen!;
}

function failuresOf(run: ExploredRun): SdaxExecutionError["failures"] {
  if (run.status !== "rejected" || !isSdaxExecutionError(run.error)) {
    throw new Error(`expected a rejection with an SdaxExecutionError, got ${run.status}`);
  }
  return run.error.failures;
}

/** One task "t": a preExecute that records its call, and a postExecute. */
function oneTask(options?: TaskFunctionOptions): AsyncTaskProcessor<Ctx> {
  return AsyncTaskProcessor.builder<Ctx>()
    .addTask(
      task("t", {
        preExecute: taskFunc((ctx: Ctx) => {
          ctx.calls.push("t.pre");
        }, options),
        postExecute: (ctx) => {
          ctx.calls.push("t.post");
        },
      }),
      1,
    )
    .build();
}

const at = (kind: Fault["kind"], task = "t", phase: Fault["phase"] = "preExecute"): Fault => ({
  task,
  phase,
  kind,
});

describe("fault kinds", () => {
  it("failAtStart: the body never runs, the phase fails with an InjectedFaultError, postExecute still runs (INV-7)", async () => {
    const { ctx, run } = await runCase(oneTask(), [at("failAtStart")]);
    expect(ctx.calls).toEqual(["t.post"]);
    const [failure] = failuresOf(run);
    expect(failure).toMatchObject({ task: "t", phase: "preExecute", attempts: 1 });
    expect(isInjectedFaultError(failure?.error)).toBe(true);
    expect(failure?.error).toEqual(
      expect.objectContaining({
        name: "InjectedFaultError",
        message: 'injected fault: preExecute of "t" failing at its start',
        fault: at("failAtStart"),
      }),
    );
    expect(run.fired).toEqual([at("failAtStart")]);
  });

  it("failAfterBody: the body runs to its end, then the phase fails", async () => {
    const { ctx, run } = await runCase(oneTask(), [at("failAfterBody")]);
    expect(ctx.calls).toEqual(["t.pre", "t.post"]);
    expect(failuresOf(run).map((f) => isInjectedFaultError(f.error))).toEqual([true]);
  });

  it("hang: a sibling's failure cancels it at once (INV-4) and it settles as cancelled, not failed", async () => {
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(
        task("a", { preExecute: () => {}, postExecute: (ctx) => void ctx.calls.push("a.post") }),
        1,
      )
      .addTask(task("b", { preExecute: () => {} }), 1)
      .build();
    const { ctx, run } = await runCase(processor, [at("hang", "a"), at("failAtStart", "b")]);
    expect(run.stalled).toBe(false);
    expect(failuresOf(run).map((f) => f.task)).toEqual(["b"]);
    const cancelled = run.events.filter(
      (e) => e.type === "task" && e.event === "cancel" && e.task === "a",
    );
    expect(cancelled).toHaveLength(1);
    expect(ctx.calls).toEqual(["a.post"]);
  });

  it("hang that nothing cancels: the explorer aborts the stalled run, as a caller would", async () => {
    const { ctx, run } = await runCase(oneTask(), [at("hang")]);
    expect(run.stalled).toBe(true);
    expect(run.status).toBe("rejected");
    const error = (run as { error: SdaxExecutionError }).error;
    expect(error.failures).toEqual([]); // an external abort adds no task failure
    expect(error.cause).toBeInstanceOf(StalledRunError);
    expect(ctx.calls).toEqual(["t.post"]);
  });

  it("hang on a function with timeoutMs: it times out on the virtual clock, in no real time (INV-26)", async () => {
    const { ctx, run } = await runCase(oneTask({ timeoutMs: 5_000 }), [at("hang")]);
    expect(run.stalled).toBe(false);
    const [failure] = failuresOf(run);
    expect(isTaskTimeoutError(failure?.error)).toBe(true);
    expect(ctx.clock.now()).toBe(5_000);
  });

  it("hang in execute while another execute fails after its body: cancelled mid-flight (INV-6)", async () => {
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(task("a", { execute: () => {} }), 1)
      .addTask(task("b", { execute: (ctx) => void ctx.calls.push("b.execute") }), 1)
      .build();
    const { ctx, run } = await runCase(processor, [
      at("hang", "a", "execute"),
      at("failAfterBody", "b", "execute"),
    ]);
    expect(ctx.calls).toEqual(["b.execute"]);
    expect(run.stalled).toBe(false);
    expect(failuresOf(run).map((f) => `${f.task}.${f.phase}`)).toEqual(["b.execute"]);
  });
});

describe("faults and retries: a fault fires on every attempt", () => {
  it("the injected error is not retryable by default: one attempt, whatever `retries` says (INV-22)", async () => {
    const { ctx, run } = await runCase(oneTask({ retries: 2 }), [at("failAfterBody")]);
    expect(failuresOf(run)[0]?.attempts).toBe(1);
    expect(ctx.calls).toEqual(["t.pre", "t.post"]);
  });

  it("a retryOn that retries everything meets the fault on every attempt (INV-21)", async () => {
    const options = { retries: 2, retryOn: () => true, initialDelayMs: 100 };
    const start = await runCase(oneTask(options), [at("failAtStart")]);
    expect(failuresOf(start.run)[0]?.attempts).toBe(3);
    expect(start.ctx.calls).toEqual(["t.post"]);
    const after = await runCase(oneTask(options), [at("failAfterBody")]);
    expect(failuresOf(after.run)[0]?.attempts).toBe(3);
    expect(after.ctx.calls).toEqual(["t.pre", "t.pre", "t.pre", "t.post"]);
  });

  it("a hang with a timeout and a retry times out on both attempts, the backoff on the virtual clock (INV-24)", async () => {
    const { ctx, run } = await runCase(
      oneTask({ timeoutMs: 1_000, retries: 1, initialDelayMs: 200 }),
      [at("hang")],
    );
    const [failure] = failuresOf(run);
    expect(failure?.attempts).toBe(2);
    expect(isTaskTimeoutError(failure?.error)).toBe(true);
    const retry = run.events.find((e) => e.type === "retry");
    const delay = retry?.type === "retry" ? retry.delayMs : Number.NaN;
    expect(delay).toBeGreaterThanOrEqual(100);
    expect(delay).toBeLessThanOrEqual(200);
    expect(ctx.clock.now()).toBe(1_000 + delay + 1_000);
  });
});

describe("the wrapped workflow is the user's workflow", () => {
  it("the no-fault run emits the very events of the processor run on its own, synchronous functions staying synchronous (INV-31)", async () => {
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(task("sync", { preExecute: (ctx) => void ctx.calls.push("sync") }), 1)
      .addTask(task("sibling", { preExecute: (ctx) => void ctx.calls.push("sibling") }), 1)
      .addTask(
        task("async", {
          preExecute: taskFunc(async (ctx: Ctx) => void ctx.calls.push("async"), {
            timeoutMs: 50,
          }),
          execute: (ctx) => new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 20)),
          postExecute: () => {},
        }),
        2,
      )
      .build();
    const clock = new VirtualClock();
    const direct: unknown[] = [];
    const run = processor.processTasks(
      { clock, calls: [] },
      { clock, onEvent: (e) => direct.push(e) },
    );
    await clock.runAll();
    await run;
    const { run: explored } = await runCase(processor, []);
    expect(explored.status).toBe("resolved");
    expect(explored.events).toEqual(direct);
    // Each synchronous function succeeds in the step it started, before its sibling starts.
    const level1 = explored.events.filter(
      (e): e is AttemptTransitionEvent => e.type === "attempt" && e.phase === "preExecute",
    );
    expect(level1.slice(0, 4).map((e) => `${e.task}.${e.event}`)).toEqual([
      "sync.start",
      "sync.succeed",
      "sibling.start",
      "sibling.succeed",
    ]);
  });
});
