/**
 * spec/task-functions.md section 7.1 and spec/lifecycle.md INV-33: `retryOn` and `random` must
 * answer at once; an `onEvent` listener may be async. A promise where an answer was wanted
 * fails only the judgement of its phase, and no rejection goes unhandled.
 */
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  RetryableError,
  SdaxBuildError,
  task,
  taskFunc,
} from "../../src/index.js";
import { captureUncaught, errorOf, flush, retryEvents, runOn, single } from "./helpers.js";

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

/** Lets the event loop turn, so that a rejection nobody handles is reported. */
async function settleRejections(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await flush();
}

const failOnce = (_ctx: unknown, scope: { readonly attempt: number }) => {
  if (scope.attempt === 1) throw new RetryableError("flaky");
  return "ok";
};

/**
 * The judge's own error, after checking what both judgements that fail look like: no retry,
 * and the phase failed with an AggregateError of the attempt's error and the judge's.
 */
async function judgeFailure(h: ReturnType<typeof runOn>, answered: string): Promise<TypeError> {
  const error = errorOf(await h.finish());
  await settleRejections();
  const failure = error.failures[0]!;
  expect(failure.attempts).toBe(1);
  expect(retryEvents(h.events)).toEqual([]);
  expect((failure.error as Error).message).toBe(
    `task "t" execute: retryOn ${answered} while judging attempt 1's error`,
  );
  const [original, judge] = (failure.error as AggregateError).errors as [Error, TypeError];
  expect(original.message).toBe("flaky");
  expect(judge).toBeInstanceOf(TypeError);
  return judge;
}

describe("INV-22 INV-33: retryOn and random answer at once", () => {
  it("INV-33: an async, generator or class retryOn is refused when the function is made", () => {
    const cases: [unknown, string][] = [
      [async () => true, "an async function"],
      [function* () {}, "a generator function"],
      [class Judge {}, "a class"],
    ];
    for (const [retryOn, kind] of cases) {
      const build = () => taskFunc(failOnce, { retries: 1, retryOn: retryOn as never });
      expect(build).toThrow(SdaxBuildError);
      expect(build).toThrow(
        `taskFunc: option \`retryOn\` must be a function (error) => boolean that answers at once, got ${kind}`,
      );
    }
  });

  it("INV-33: an error class as retryOn (TypeError, Error, or one of yours) is refused, saying how to retry on it", () => {
    const cases: [unknown, string][] = [
      [TypeError, "an error class"],
      [Error, "an error class"],
      [DOMException, "a class"], // written with `class` in Node
      [class Busy extends Error {}, "a class"],
    ];
    for (const [retryOn, kind] of cases) {
      const build = () => taskFunc(failOnce, { retries: 3, retryOn: retryOn as never });
      expect(build).toThrow(SdaxBuildError);
      expect(build).toThrow(
        `taskFunc: option \`retryOn\` must be a function (error) => boolean that answers at once, got ${kind}; to retry on an error class, give (error) => error instanceof TheClass`,
      );
    }
  });

  // Another realm's error classes passed the check, and were never retried: called as a
  // function, a class answers with an error, which is not `true`.
  it("INV-33: another realm's error class as retryOn is refused as this realm's is", () => {
    for (const name of ["TypeError", "Error", "RangeError"]) {
      const build = () =>
        taskFunc(failOnce, { retries: 3, retryOn: runInNewContext(name) as never });
      expect(build).toThrow(
        "got an error class; to retry on an error class, give (error) => error instanceof TheClass",
      );
    }
    expect(() => taskFunc(failOnce, { retryOn: runInNewContext("(e) => true") })).not.toThrow();
  });

  // A bound `Error` has no `prototype` to tell it by: it answered with an error, and the
  // phase failed as if no retry was wanted, saying nothing.
  it("INV-22 INV-33: a retryOn answering with an error: no retry, an AggregateError naming the mistake", async () => {
    const boundError = Error.bind(null) as unknown as (error: unknown) => boolean;
    const fn = taskFunc(failOnce, { retries: 2, initialDelayMs: 1, retryOn: boundError });
    const judge = await judgeFailure(runOn(single({ execute: fn })), "answered with an error");
    expect(judge.message).toBe(
      "retryOn must answer true or false, not with an error: an error class given as retryOn? Give (error) => error instanceof TheClass",
    );
    expect(judge.cause).toBeInstanceOf(Error);
    // An answer that is not true, and not an error, is a plain "no".
    const no = runOn(
      single({ execute: taskFunc(failOnce, { retries: 2, retryOn: () => "yes" as never }) }),
    );
    // An error is told by its prototype chain (a DOMException is one), not by the tag any
    // object can claim.
    const dom = runOn(
      single({
        execute: taskFunc(failOnce, {
          retries: 2,
          retryOn: () => new DOMException("no", "AbortError") as never,
        }),
      }),
    );
    expect((errorOf(await dom.finish()).failures[0]!.error as Error).message).toContain(
      "retryOn answered with an error",
    );
    const tagged = runOn(
      single({
        execute: taskFunc(failOnce, {
          retries: 2,
          retryOn: () => ({ [Symbol.toStringTag]: "Error" }) as never,
        }),
      }),
    );
    expect((errorOf(await tagged.finish()).failures[0]!.error as Error).message).toBe("flaky");
    const plain = errorOf(await no.finish()).failures[0]!.error;
    expect(plain).not.toBeInstanceOf(AggregateError);
    expect((plain as Error).message).toBe("flaky");
  });

  it("INV-22 INV-33: a retryOn answering with a rejected promise: no retry, an AggregateError holding the promise, nothing unhandled", async () => {
    const rejection = new Error("lookup failed");
    let promise: Promise<boolean> | undefined;
    const fn = taskFunc(failOnce, {
      retries: 2,
      initialDelayMs: 1,
      retryOn: () => {
        promise = Promise.reject(rejection);
        return promise as unknown as boolean;
      },
    });
    const judge = await judgeFailure(runOn(single({ execute: fn })), "answered with a promise");
    expect(judge.message).toBe("retryOn must answer at once, not with a promise");
    expect(judge.cause).toBe(promise);
    await expect(judge.cause).rejects.toBe(rejection);
    expect(unhandled).toEqual([]);
  });

  it("INV-22 INV-33: a promise of another realm is a promise too: no retry, nothing unhandled", async () => {
    const foreign = () => runInNewContext('Promise.reject(new Error("elsewhere"))') as boolean;
    const fn = taskFunc(failOnce, { retries: 2, initialDelayMs: 1, retryOn: foreign });
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    await settleRejections();
    expect(error.failures[0]!.attempts).toBe(1);
    expect((error.failures[0]!.error as Error).message).toContain(
      "retryOn answered with a promise",
    );
    const random = () => runInNewContext('Promise.reject(new Error("elsewhere"))') as number;
    const again = runOn(
      single({ execute: taskFunc(failOnce, { retries: 2, initialDelayMs: 1 }) }),
      {
        random,
      },
    );
    expect(errorOf(await again.finish()).failures[0]!.attempts).toBe(1);
    await settleRejections();
    expect(unhandled).toEqual([]);
  });

  it("INV-22 INV-33: a random answering with a rejected promise: no retry, nothing unhandled", async () => {
    const fn = taskFunc(failOnce, { retries: 2, initialDelayMs: 1 });
    const random = () => Promise.reject(new Error("entropy down")) as unknown as number;
    const h = runOn(single({ execute: fn }), { random });
    const error = errorOf(await h.finish());
    await settleRejections();
    expect(error.failures[0]!.attempts).toBe(1);
    expect((error.failures[0]!.error as Error).message).toContain(
      "random answered with a promise while judging attempt 1's error",
    );
    expect(retryEvents(h.events)).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it("INV-33: an async random is refused when the run starts, before anything runs", async () => {
    let ran = false;
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("t", {
          execute: () => {
            ran = true;
          },
        }),
        0,
      )
      .build();
    await expect(
      processor.processTasks(undefined, { random: async () => 0.5 } as never),
    ).rejects.toThrow(
      "run options: `random` must be a function returning a number at once, got an async function",
    );
    expect(ran).toBe(false);
  });
});

describe("INV-33: an async onEvent listener", () => {
  it("INV-33: its rejection is an uncaught exception, as an EventTarget listener's, and the run goes on", async () => {
    const listenerError = new Error("event sink down");
    let rejections = 0;
    const uncaught = await captureUncaught(async () => {
      const report = await single({ execute: async () => {} }).processTasks(
        {},
        {
          onEvent: async (e) => {
            if (e.type === "run" && e.event === "start") {
              rejections++;
              throw listenerError;
            }
          },
        },
      );
      expect(report.tasks).toBe(1);
      await settleRejections();
    });
    expect(rejections).toBe(1);
    expect(uncaught).toEqual([listenerError]);
    expect(unhandled).toEqual([]);
  });

  it("INV-33: is called with no `this`, as an EventTarget's listener is not handed the engine", async () => {
    const receivers: unknown[] = [];
    await single({ execute: async () => {} }).processTasks(
      {},
      {
        onEvent(this: unknown) {
          receivers.push(this);
        },
      },
    );
    expect(receivers.length).toBeGreaterThan(0);
    expect(receivers.every((r) => r === undefined)).toBe(true);
  });
});
