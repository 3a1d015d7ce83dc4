import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  type LifecycleEvent,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { type ExploreOptions, exploreFailures, replayFailure } from "../../src/testing/index.js";
import { captureUncaught } from "../functions/helpers.js";
import { checkReleased, poolContext, poolWorkflow } from "./workflows.js";

const processor = poolWorkflow(true);
const base: ExploreOptions<ReturnType<typeof poolContext>> = {
  context: poolContext,
  check: checkReleased,
};
const explore = (options: Record<string, unknown>) =>
  exploreFailures(processor, { ...base, ...options } as ExploreOptions<
    ReturnType<typeof poolContext>
  >);

describe("options are checked, with errors naming the field", () => {
  it.each([
    [{ runs: 0 }, "exploreFailures: `runs` must be an integer >= 1, got 0 (number)"],
    [{ runs: 1.5 }, "exploreFailures: `runs` must be an integer >= 1, got 1.5 (number)"],
    [
      { seed: -1 },
      "exploreFailures: `seed` must be an integer from 0 to 4294967295, got -1 (number)",
    ],
    [
      { seed: "1" },
      'exploreFailures: `seed` must be an integer from 0 to 4294967295, got "1" (string)',
    ],
    [
      { context: 1 },
      "exploreFailures: `context` must be a function making a run's context, got 1 (number)",
    ],
    [{ check: undefined }, "exploreFailures: `check` must be a function, got undefined"],
    [
      { stallMs: Number.NaN },
      "exploreFailures: `stallMs` must be a number of ms from 0 to 2147483647, got NaN (number)",
    ],
    [
      { run: 3 },
      "exploreFailures: unknown option `run`; known options: context, check, seed, runs, replay, runOptions, stallMs",
    ],
    [
      { runOptions: { clock: new VirtualClock() } },
      "exploreFailures: `runOptions.clock` cannot be set: each run gets its own VirtualClock (given to `context` as `clock`)",
    ],
    [
      { runOptions: { random: Math.random } },
      "exploreFailures: `runOptions.random` cannot be set: each run's jitter comes from its faults, so that a case replays",
    ],
    [
      { runOptions: { signal: new AbortController().signal } },
      "exploreFailures: `runOptions.signal` cannot be set: the explorer aborts a stalled run through a signal of its own",
    ],
    [
      { runOptions: { abandonAfterMs: -1 } },
      "exploreFailures: `runOptions`: `abandonAfterMs` must be a number of ms from 0 to 2147483647, or null, got -1 (number)",
    ],
    [{ runOptions: { retries: 1 } }, "exploreFailures: `runOptions`: unknown option `retries`"],
    [
      { replay: { faults: "x" } },
      'exploreFailures: `replay` must be an object like { faults: [...] } (a violation\'s `replay`), got {"faults":"x"} (object)',
    ],
    [
      { replay: { faults: [{ task: "nope", phase: "execute", kind: "hang" }] } },
      'exploreFailures: `replay.faults[0]`: the workflow has no task "nope" with an execute',
    ],
    [
      { replay: { faults: [{ task: "db", phase: "postExecute", kind: "hang" }] } },
      'exploreFailures: `replay.faults[0]`.phase must be "preExecute" or "execute", got "postExecute" (string)',
    ],
    [
      { replay: { faults: [{ task: "db", phase: "preExecute", kind: "explode" }] } },
      'exploreFailures: `replay.faults[0]`.kind must be one of "failAtStart", "failAfterBody", "hang", got "explode" (string)',
    ],
    [
      {
        replay: {
          faults: [
            { task: "db", phase: "preExecute", kind: "hang" },
            { task: "db", phase: "preExecute", kind: "failAtStart" },
          ],
        },
      },
      'exploreFailures: `replay.faults[1]`: a second fault on preExecute of "db"',
    ],
  ])("%j is refused", async (options, message) => {
    await expect(explore(options)).rejects.toThrow(message);
    await expect(explore(options)).rejects.toBeInstanceOf(TypeError);
  });

  it("options that cannot be read reject with a TypeError whose cause is what reading threw (INV-33)", async () => {
    const boom = new Error("getter");
    const throwing = {
      get context(): never {
        throw boom;
      },
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    for (const [attempt, message] of [
      [() => exploreFailures(processor, throwing as never), "options could not be read"],
      [
        () => explore({ runOptions: revoked.proxy }),
        "`runOptions` must be a plain object, got an unreadable object",
      ],
      [() => explore({ replay: revoked.proxy }), "`replay` could not be read"],
      [() => explore({ replay: { faults: revoked.proxy } }), "`replay.faults` could not be read"],
      [
        () => explore({ replay: { faults: [revoked.proxy] } }),
        "`replay.faults[0]` could not be read",
      ],
    ] as const) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(`exploreFailures: ${message}`);
    }
    const error = await exploreFailures(processor, throwing as never).catch((e: unknown) => e);
    expect((error as Error).cause).toBe(boom);
  });

  it("a processor that is not one, and options that are not an object, reject (never throw)", async () => {
    const notAProcessor = {} as AsyncTaskProcessor<object>;
    await expect(exploreFailures(notAProcessor, base as never)).rejects.toThrow(
      "exploreFailures: expected an AsyncTaskProcessor made by a builder, got {} (object)",
    );
    await expect(exploreFailures(processor, null as never)).rejects.toThrow(
      "exploreFailures: options must be a plain object, got null",
    );
  });
});

describe("replayFailure checks what it is given", () => {
  // Without a replay it explored every case: a regression test pasted from a result with no
  // violation (`violations[0]?.replay`) passed for the wrong reason.
  it("a missing replay, options that are not a plain object or cannot be read, and fields a replay decides itself reject with a TypeError (never throw)", async () => {
    const replay = { faults: [] };
    const throwing = {
      get context(): never {
        throw new Error("getter");
      },
    };
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => replayFailure(processor, undefined as never, base),
        "replayFailure: `replay` must be an object like { faults: [...] } (a violation's `replay`), got undefined",
      ],
      [
        () => replayFailure(processor, replay, null as never),
        "replayFailure: options must be a plain object like { context, check }, got null",
      ],
      [
        () => replayFailure(processor, replay, throwing as never),
        "replayFailure: options could not be read",
      ],
      [
        () => replayFailure(processor, replay, { ...base, runs: 5 } as never),
        "replayFailure: option `runs` cannot be set: a replay runs the one case its replay describes",
      ],
    ];
    for (const [call, message] of cases) {
      let returned: Promise<unknown> | undefined;
      expect(() => {
        returned = call();
      }).not.toThrow();
      const error = await returned!.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(message);
    }
  });

  it("a replay or a fault with a field it does not have is refused, naming it (a whole violation gets a hint)", async () => {
    const found = await exploreFailures(poolWorkflow(false), { ...base, seed: 1 });
    const violation = found.violations[0]!;
    const cases: [unknown, string][] = [
      [
        violation,
        "replayFailure: `replay` has an unknown field `foundWith`; its fields are faults (pass a violation's `replay`, not the violation)",
      ],
      [
        { faults: [], seed: 3 },
        "replayFailure: `replay` has an unknown field `seed`; its fields are faults",
      ],
      [
        { faults: [{ task: "db", phase: "preExecute", knd: "hang" }] },
        "replayFailure: `replay.faults[0]` has an unknown field `knd`; its fields are task, phase, kind",
      ],
    ];
    for (const [replay, message] of cases) {
      const error = await replayFailure(processor, replay as never, base).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(message);
    }
    await expect(
      replayFailure(processor, violation.replay, base).then((r) => r.runs),
    ).resolves.toBe(1);
    // A field a replay decides itself, left undefined, is no option set.
    const unset = { ...base, runs: undefined, seed: undefined };
    await expect(
      replayFailure(processor, violation.replay, unset).then((r) => r.runs),
    ).resolves.toBe(1);
    // An unknown option lists only what replayFailure takes.
    const misspelt = await replayFailure(processor, violation.replay, {
      ...base,
      stalMs: 5,
    } as never).catch((e: unknown) => e);
    expect((misspelt as Error).message).toBe(
      "replayFailure: unknown option `stalMs`; known options: context, check, runOptions, stallMs",
    );
  });
});

describe("user functions that throw or misbehave never break the explorer", () => {
  it("a `context` that throws rejects the exploration, naming the run's faults", async () => {
    let calls = 0;
    const failure = await explore({
      context: (run: Parameters<typeof poolContext>[0]) => {
        if (++calls === 3) throw new RangeError("no pool");
        return poolContext(run);
      },
      seed: 1,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'exploreFailures: `context` threw for the run with preExecute of "auth" failing after its body: RangeError: no pool',
    );
    expect((failure as Error).cause).toBeInstanceOf(RangeError);
  });

  // An async `context` was taken as it was: every phase was handed a promise as its context.
  it("a `context` that returns a promise rejects the exploration, saying it must return the context; an async one is refused before any run", async () => {
    const failure = await explore({
      context: (run: Parameters<typeof poolContext>[0]) => Promise.resolve(poolContext(run)),
      seed: 1,
    }).catch((e: unknown) => e);
    expect((failure as Error).message).toBe(
      "exploreFailures: `context` returned a promise for the run with no fault; it must return the context itself (set up what needs awaiting inside the phases)",
    );
    let runs = 0;
    const refused = await explore({
      context: async (run: Parameters<typeof poolContext>[0]) => {
        runs++;
        return poolContext(run);
      },
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as Error).message).toBe(
      "exploreFailures: `context` must be a function returning a run's context itself, got an async function (set up what needs awaiting inside the phases)",
    );
    expect(runs).toBe(0);
  });

  // A generator `check` passed every run: calling it runs none of its body.
  it("a generator or class `check`, and a generator or class `context`, are refused, naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          // biome-ignore lint/correctness/useYield: a check that throws, written as a generator
          *check() {
            throw new Error("never runs");
          },
        },
        "`check` must be a function (or an async one), got a generator function",
      ],
      [
        { check: async function* () {} },
        "`check` must be a function (or an async one), got an async generator function",
      ],
      [{ check: class {} }, "`check` must be a function (or an async one), got a class"],
      [
        { context: async function* () {} },
        "`context` must be a function returning a run's context itself, got an async generator function",
      ],
      [
        { context: class {} },
        "`context` must be a function returning a run's context itself, got a class",
      ],
    ];
    for (const [options, message] of cases) {
      const error = await explore(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(`exploreFailures: ${message}`);
    }
  });

  // `ctx instanceof Promise` asked the context's prototype: a Proxy's trap threw out of the
  // explorer, though a run takes such a context as it is.
  it("a context whose getPrototypeOf trap throws is a context like any other", async () => {
    const processor = AsyncTaskProcessor.builder<{ done?: boolean }>()
      .addTask(
        task("a", {
          execute: (ctx) => {
            ctx.done = true;
          },
        }),
        1,
      )
      .build();
    const trapped = () =>
      new Proxy<{ done?: boolean }>(
        {},
        {
          getPrototypeOf() {
            throw new Error("trap");
          },
        },
      );
    let done = 0;
    const result = await replayFailure(
      processor,
      { faults: [] },
      {
        context: trapped,
        check: (ctx) => {
          if (ctx.done === true) done++;
        },
      },
    );
    expect(result.violations).toEqual([]);
    expect(done).toBe(1);
  });

  it("a `check` that throws a non-Error, or rejects, is a violation carrying what it threw", async () => {
    const thrown = await replayFailure(
      processor,
      { faults: [] },
      {
        context: poolContext,
        check: () => {
          throw "not an error";
        },
      },
    );
    expect(thrown.violations).toMatchObject([
      {
        source: "check",
        error: "not an error",
        message: "with no fault: check failed: not an error (thrown string)",
      },
    ]);
    const rejected = await replayFailure(
      processor,
      { faults: [] },
      {
        context: poolContext,
        check: () => Promise.reject(new Error("async check")),
      },
    );
    expect(rejected.violations.map((v) => v.message)).toEqual([
      "with no fault: check failed: Error: async check",
    ]);
  });

  it("a function that never settles after its cancellation is an `unsettled` violation, not a hung explorer (INV-13)", async () => {
    const stubborn = AsyncTaskProcessor.builder<object>()
      .addTask(task("stubborn", { preExecute: () => new Promise(() => {}) }), 1)
      .build();
    const result = await replayFailure(
      stubborn,
      { faults: [] },
      {
        context: () => ({}),
        check: () => {},
        stallMs: 0,
      },
    );
    expect(result.violations).toMatchObject([
      {
        source: "unsettled",
        faults: [],
        message:
          'with no fault: the run never settled: preExecute of "stubborn" still running after the run was aborted; a function that ignores its signal needs abandonAfterMs',
      },
    ]);
  });

  // The advice was the one for a preExecute or execute, which abandonAfterMs cannot help.
  it("a postExecute that never settles is an `unsettled` violation advising its own timeoutMs and abandonAfterMs (INV-7, INV-13)", async () => {
    const stubborn = AsyncTaskProcessor.builder<object>()
      .addTask(task("stubborn", { postExecute: () => new Promise(() => {}) }), 1)
      .build();
    const result = await replayFailure(
      stubborn,
      { faults: [] },
      { context: () => ({}), check: () => {}, stallMs: 0, runOptions: { abandonAfterMs: 10 } },
    );
    expect(result.violations.map((v) => v.message)).toEqual([
      'with no fault: the run never settled: postExecute of "stubborn" still running after the run was aborted; a postExecute is never cancelled: give it a timeoutMs and an abandonAfterMs; a preExecute or execute that ignores its signal needs abandonAfterMs',
    ]);
  });

  it("abandonAfterMs, for the run or the function, bounds that wait on the virtual clock (INV-27)", async () => {
    const forever = () => new Promise(() => {});
    const check = (_ctx: object, run: { status: string; events: readonly LifecycleEvent[] }) => {
      expect(run.status).toBe("rejected");
      expect(run.events.some((e) => e.type === "attempt" && e.event === "abandon")).toBe(true);
    };
    const byRun = AsyncTaskProcessor.builder<object>()
      .addTask(task("stubborn", { preExecute: forever }), 1)
      .build();
    const run = await replayFailure(
      byRun,
      { faults: [] },
      {
        context: () => ({}),
        check,
        stallMs: 0,
        runOptions: { abandonAfterMs: 60_000 },
      },
    );
    expect(run.violations).toEqual([]);
    const byFunction = AsyncTaskProcessor.builder<object>()
      .addTask(task("stubborn", { preExecute: taskFunc(forever, { abandonAfterMs: 10 }) }), 1)
      .build();
    const fn = await replayFailure(
      byFunction,
      { faults: [] },
      {
        context: () => ({}),
        check,
        stallMs: 0,
      },
    );
    expect(fn.violations).toEqual([]);
  });

  // The explorer stopped firing timers once it aborted a timer loop, so the abandonment's timer
  // never fired and the run was reported unsettled.
  it("a timer loop that ignores its signal is aborted, then abandoned after its abandonAfterMs (INV-27)", async () => {
    interface Clocked {
      readonly clock: VirtualClock;
    }
    const poll = taskFunc(
      async (ctx: Clocked) => {
        for (;;) await new Promise<void>((resolve) => ctx.clock.setTimeout(() => resolve(), 1));
      },
      { abandonAfterMs: 10 },
    );
    const poller = AsyncTaskProcessor.builder<Clocked>()
      .addTask(task("poller", { execute: poll }), 1)
      .build();
    let abandonedAt: number | undefined;
    const result = await replayFailure(
      poller,
      { faults: [] },
      {
        context: ({ clock }) => ({ clock }),
        check: (_ctx, run) => {
          expect(run.status).toBe("rejected");
          const abort = run.events.find((e) => e.type === "run" && e.event === "abort");
          const abandon = run.events.find((e) => e.type === "attempt" && e.event === "abandon");
          expect(abandon?.at).toBe((abort?.at ?? Number.NaN) + 10);
          abandonedAt = abandon?.at;
        },
        stallMs: 0,
      },
    );
    expect(result.violations).toEqual([]);
    expect(abandonedAt).toBeGreaterThan(100_000);
  });

  // A delay of 0 kept `VirtualClock.advance` firing inside one call: the explorer never counted
  // a timer, and ran for ever.
  it("a timer loop with a delay of 0 that ignores its signal is counted timer by timer: aborted, then given up as unsettled (INV-13)", async () => {
    interface Clocked {
      readonly clock: VirtualClock;
    }
    let ticks = 0;
    const poller = AsyncTaskProcessor.builder<Clocked>()
      .addTask(
        task("poller", {
          execute: async (ctx) => {
            for (;;) {
              await new Promise<void>((resolve) => ctx.clock.setTimeout(() => resolve(), 0));
              ticks++;
            }
          },
        }),
        1,
      )
      .build();
    const result = await replayFailure(
      poller,
      { faults: [] },
      { context: ({ clock }) => ({ clock }), check: () => {}, stallMs: 0 },
    );
    expect(result.violations.map((v) => v.source)).toEqual(["unsettled"]);
    // 100,000 timers before the abort, as many after it: then the run is given up.
    expect(ticks).toBeGreaterThanOrEqual(199_998);
    expect(ticks).toBeLessThanOrEqual(200_000);
  });

  it("replayFailure names itself when `context` throws or returns a promise", async () => {
    const replay = { faults: [] };
    const threw = await replayFailure(processor, replay, {
      ...base,
      context: () => {
        throw new RangeError("no pool");
      },
    }).catch((e: unknown) => e);
    expect((threw as Error).message).toBe(
      "replayFailure: `context` threw for the run with no fault: RangeError: no pool",
    );
    const promised = await replayFailure(processor, replay, {
      ...base,
      context: (run) => Promise.resolve(poolContext(run)) as never,
    }).catch((e: unknown) => e);
    expect((promised as Error).message).toMatch(/^replayFailure: `context` returned a promise /);
  });

  it("INV-33: an async `runOptions.onEvent` that rejects surfaces as uncaught, as in a run of its own, never as an unhandled rejection", async () => {
    const rejected = new Error("listener rejected");
    let calls = 0;
    const onEvent = async () => {
      if (++calls === 1) throw rejected;
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const uncaught = await captureUncaught(async () => {
        await explore({ runOptions: { onEvent }, runs: 1, seed: 1 });
      });
      expect(uncaught).toEqual([rejected]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it("`runOptions.onEvent` hears every event of every run, beside the explorer's own recording", async () => {
    const heard: LifecycleEvent[] = [];
    let recorded = 0;
    await explore({
      runOptions: { onEvent: (e: LifecycleEvent) => heard.push(e) },
      check: (_ctx: unknown, run: { events: readonly LifecycleEvent[] }) => {
        recorded += run.events.length;
      },
      runs: 5,
      seed: 2,
    });
    expect(heard.length).toBe(recorded);
    expect(heard.filter((e) => e.type === "run" && e.to === "settled")).toHaveLength(5);
  });

  it("leaves no timer behind, the real wait for a stalled run included (INV-28)", async () => {
    const timers = () =>
      process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    const before = timers();
    const slow = AsyncTaskProcessor.builder<object>()
      .addTask(
        task("slow", {
          preExecute: (_ctx, { signal }) =>
            new Promise((_r, reject) => {
              signal.addEventListener("abort", () => reject(signal.reason));
            }),
        }),
        1,
      )
      .build();
    const result = await replayFailure(
      slow,
      { faults: [] },
      {
        context: () => ({}),
        check: (_ctx, run) => {
          expect(run.stalled).toBe(true);
        },
        stallMs: 0,
      },
    );
    expect(result.violations).toEqual([]);
    // a function that waits a few real ms: the explorer waits for it, then clears its timer
    const real = AsyncTaskProcessor.builder<object>()
      .addTask(task("real", { preExecute: () => new Promise((r) => setTimeout(r, 5)) }), 1)
      .build();
    const waited = await replayFailure(
      real,
      { faults: [] },
      {
        context: () => ({}),
        check: (_ctx, run) => {
          expect(run).toMatchObject({ status: "resolved", stalled: false });
        },
      },
    );
    expect(waited.violations).toEqual([]);
    await explore({ seed: 4 });
    expect(timers()).toBeLessThanOrEqual(before); // the runner's own timers may come and go
  });
});
