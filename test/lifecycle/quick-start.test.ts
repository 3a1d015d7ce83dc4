import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  SdaxExecutionError,
  VirtualClock,
} from "../../src/index.js";
import { Recorder } from "../helpers/recorder.js";

/** The Python sdax README's Quick Start, in TypeScript, on a virtual clock (no real sleeping). */
interface TaskContext {
  userId: number | null;
  featureFlags: Record<string, boolean> | null;
  userData: string | null;
  connectionOpen: boolean;
}

function newContext(): TaskContext {
  return { userId: null, featureFlags: null, userData: null, connectionOpen: false };
}

function quickStart(clock: VirtualClock, rec: Recorder<TaskContext>, authSucceeds: boolean) {
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  return AsyncTaskProcessor.builder<TaskContext>()
    .addTask(
      rec.task("Authentication", {
        pre: async (ctx) => {
          ctx.connectionOpen = true;
          await sleep(100);
          if (authSucceeds) ctx.userId = 123;
        },
        post: async (ctx) => {
          await sleep(50);
          ctx.connectionOpen = false;
        },
      }),
      1,
    )
    .addTask(
      rec.task("FeatureFlags", {
        pre: async (ctx) => {
          await sleep(200);
          ctx.featureFlags = { new_api: true };
        },
      }),
      1,
    )
    .addTask(
      rec.task("UserData", {
        exec: async (ctx) => {
          if (!ctx.userId) throw new TypeError("Auth failed, cannot fetch user data.");
          await sleep(100);
          ctx.userData = `user ${ctx.userId}`;
        },
      }),
      2,
    )
    .build();
}

describe("Quick Start (the Python sdax README's)", () => {
  it("INV-2 INV-5 INV-7 INV-10 INV-14: levels 1 and 2 run in order and the context holds the results", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder<TaskContext>();
    const ctx = newContext();
    const run = quickStart(clock, rec, true).processTasks(ctx, { clock });
    await clock.runAll();
    const report = await run;
    expect(rec.log).toEqual([
      "Authentication.pre>",
      "FeatureFlags.pre>",
      "Authentication.pre<",
      "FeatureFlags.pre<",
      "UserData.exec>",
      "UserData.exec<",
      "Authentication.post>",
      "Authentication.post<",
    ]);
    expect(ctx).toEqual({
      userId: 123,
      featureFlags: { new_api: true },
      userData: "user 123",
      connectionOpen: false,
    });
    expect(report).toEqual({ tasks: 3, durationMs: 350, retried: [], abandoned: [] });
  });

  it("INV-5 INV-7 INV-14: when UserData's execute fails, Authentication's postExecute still runs and the run rejects with that one failure", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder<TaskContext>();
    const ctx = newContext();
    const run = quickStart(clock, rec, false).processTasks(ctx, { clock });
    const outcome = run.then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.runAll();
    const error = await outcome;
    expect(error).toBeInstanceOf(SdaxExecutionError);
    expect(isSdaxExecutionError(error)).toBe(true);
    const failures = (error as SdaxExecutionError).failures;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      task: "UserData",
      phase: "execute",
      attempts: 1,
      afterCancel: false,
    });
    expect(failures[0]!.error).toBeInstanceOf(TypeError);
    expect((error as SdaxExecutionError).message).toContain("Auth failed, cannot fetch user data.");
    expect(rec.log).toEqual([
      "Authentication.pre>",
      "FeatureFlags.pre>",
      "Authentication.pre<",
      "FeatureFlags.pre<",
      "UserData.exec>",
      "UserData.exec!",
      "Authentication.post>",
      "Authentication.post<",
    ]);
    expect(ctx.connectionOpen).toBe(false);
  });
});
