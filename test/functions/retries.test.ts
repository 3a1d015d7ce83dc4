/**
 * spec/task-functions.md section 7: when a retry happens, the delay (backoff, jitter, cap),
 * retryOn, and what is retryable by default. All on a VirtualClock with a fixed `random`.
 */
import { describe, expect, it } from "vitest";
import {
  checkTrace,
  isRetryable,
  MAX_TIMER_MS,
  RetryableError,
  TaskTimeoutError,
  task,
  taskFunc,
} from "../../src/index.js";
import {
  attemptEvents,
  attemptProblems,
  type Ctx,
  deferred,
  errorOf,
  oneLevel,
  reportOf,
  retryEvents,
  runOn,
  single,
  taskEvents,
  untilAborted,
} from "./helpers.js";

/** A function that fails attempts 1..failures with `error()` and then succeeds. */
function failing(failures: number, error: () => unknown = () => new RetryableError("flaky")) {
  return (_ctx: Ctx, scope: { readonly attempt: number }) => {
    if (scope.attempt <= failures) throw error();
    return "ok";
  };
}

/** `random` returning the given values in turn (then the last one again). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe("§7.1 when a retry happens", () => {
  it("INV-21 INV-22 a RetryableError is retried while attempts remain, then the phase fails with attempts = retries + 1", async () => {
    const fn = taskFunc(failing(10), { retries: 3, initialDelayMs: 10 });
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect(attemptEvents(h.events, { event: "start" })).toHaveLength(4);
    expect(retryEvents(h.events).map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(error.failures[0]?.attempts).toBe(4);
    expect(error.failures[0]?.error).toBeInstanceOf(RetryableError);
    expect(attemptProblems(h.events)).toEqual([]);
  });

  it("INV-21 a phase that succeeds on attempt 3 is in RunReport.retried with attempts: 3", async () => {
    const fn = taskFunc(failing(2), { retries: 5, initialDelayMs: 10 });
    const h = runOn(single({ preExecute: fn, execute: () => {} }));
    const report = reportOf(await h.finish());
    expect(report.retried).toEqual([{ task: "t", phase: "preExecute", attempts: 3 }]);
    expect(taskEvents(h.events, "t", "succeed")[0]?.attempts).toBe(3);
  });

  it("INV-21 a phase that succeeds at once is not in RunReport.retried", async () => {
    const report = reportOf(
      await runOn(single({ execute: taskFunc(failing(0), { retries: 3 }) })).finish(),
    );
    expect(report.retried).toEqual([]);
  });

  it("INV-22 a plain Error is not retried by default: one attempt, no retry event", async () => {
    const boom = new Error("not transient");
    const fn = taskFunc(
      failing(5, () => boom),
      { retries: 5, initialDelayMs: 1 },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect(error.failures).toEqual([
      { task: "t", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(retryEvents(h.events)).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("INV-22 retryOn decides: it receives the attempt's error, once per failed attempt", async () => {
    const errors = [new Error("e1"), new Error("e2"), new Error("e3")];
    const judged: unknown[] = [];
    const fn = taskFunc(
      (_ctx, scope) => {
        throw errors[scope.attempt - 1];
      },
      {
        retries: 5,
        initialDelayMs: 1,
        retryOn: (error) => {
          judged.push(error);
          return error !== errors[2];
        },
      },
    );
    const error = errorOf(await runOn(single({ execute: fn })).finish());
    expect(judged).toEqual(errors);
    expect(error.failures[0]).toMatchObject({ error: errors[2], attempts: 3, afterCancel: false });
  });

  it("INV-22 retryOn is not called when no attempt remains", async () => {
    let calls = 0;
    const fn = taskFunc(failing(10), {
      retries: 2,
      initialDelayMs: 1,
      retryOn: () => {
        calls++;
        return true;
      },
    });
    errorOf(await runOn(single({ execute: fn })).finish());
    expect(calls).toBe(2);
  });

  it("INV-22 only `true` from retryOn retries: a truthy non-boolean does not", async () => {
    const fn = taskFunc(failing(10), {
      retries: 3,
      initialDelayMs: 1,
      retryOn: (() => 1) as unknown as (error: unknown) => boolean,
    });
    const h = runOn(single({ execute: fn }));
    expect(errorOf(await h.finish()).failures[0]?.attempts).toBe(1);
  });

  it("INV-22 a retryOn that throws: no retry, the phase fails with an AggregateError of both errors", async () => {
    const original = new RetryableError("original");
    const judgeError = new Error("retryOn broke");
    const fn = taskFunc(
      failing(10, () => original),
      {
        retries: 3,
        retryOn: () => {
          throw judgeError;
        },
      },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    const failure = error.failures[0]!;
    expect(failure.attempts).toBe(1);
    expect(failure.error).toBeInstanceOf(AggregateError);
    expect((failure.error as AggregateError).errors).toEqual([original, judgeError]);
    expect((failure.error as Error).message).toContain("retryOn threw");
    expect(error.leafErrors()).toEqual([original, judgeError]);
    expect(retryEvents(h.events)).toEqual([]);
  });

  it("INV-22 retryOn is called with no `this`, as task functions are (spec 1)", async () => {
    const receivers: unknown[] = [];
    const fn = taskFunc(failing(1), {
      retries: 1,
      initialDelayMs: 1,
      retryOn(this: unknown) {
        receivers.push(this);
        return true;
      },
    });
    reportOf(await runOn(single({ execute: fn })).finish());
    expect(receivers).toEqual([undefined]);
  });

  it("INV-22 a timeout is retried by the default retryOn", async () => {
    const fn = taskFunc(
      (_ctx, scope) => (scope.attempt === 1 ? untilAborted(scope.signal) : "ok"),
      { timeoutMs: 100, retries: 1, initialDelayMs: 10 },
    );
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    const report = reportOf(await h.finish());
    expect(report.retried).toEqual([{ task: "t", phase: "execute", attempts: 2 }]);
    expect(retryEvents(h.events)[0]?.error.name).toBe("TimeoutError");
  });

  it("INV-22 a postExecute is retried too", async () => {
    const fn = taskFunc(failing(1), { retries: 1, initialDelayMs: 10 });
    const report = reportOf(await runOn(single({ postExecute: fn })).finish());
    expect(report.retried).toEqual([{ task: "t", phase: "postExecute", attempts: 2 }]);
  });

  it("INV-25 the retry waits for the failed attempt to settle: children still running delay it", async () => {
    const child = deferred();
    const fn = taskFunc(
      (_ctx, scope) => {
        if (scope.attempt > 1) return "ok";
        void scope.spawn(() => child.promise); // ignores the abort
        throw new RetryableError("failed with a child running");
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    await h.clock.advance(1000);
    expect(attemptEvents(h.events, { attempt: 2 })).toEqual([]);
    expect(retryEvents(h.events)).toEqual([]);
    child.resolve();
    await h.clock.advance(0);
    const [retry] = retryEvents(h.events);
    expect(retry?.at).toBe(1000);
    reportOf(await h.finish());
    expect(attemptEvents(h.events, { attempt: 2, event: "start" })[0]?.at).toBe(1005);
  });
});

describe("§7.2 the delay", () => {
  it("INV-24 random() = 0 gives exactly half the base: initialDelayMs * backoffFactor^(n-1) / 2", async () => {
    const fn = taskFunc(failing(10), { retries: 4, initialDelayMs: 100, backoffFactor: 3 });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    errorOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([50, 150, 450, 1350]);
    expect(attemptEvents(h.events, { event: "start" }).map((e) => e.at)).toEqual([
      0, 50, 200, 650, 2000,
    ]);
  });

  it("INV-24 random() just below 1 gives almost the whole base", async () => {
    const u = 1 - Number.EPSILON;
    const fn = taskFunc(failing(10), { retries: 3, initialDelayMs: 1000, backoffFactor: 2 });
    const h = runOn(single({ execute: fn }), { random: () => u });
    errorOf(await h.finish());
    const delays = retryEvents(h.events).map((e) => e.delayMs);
    expect(delays).toEqual([1, 2, 3].map((n) => 1000 * 2 ** (n - 1) * (0.5 + 0.5 * u)));
    for (const [i, d] of delays.entries()) {
      expect(d).toBeLessThan(1000 * 2 ** i);
      expect(d).toBeGreaterThan(1000 * 2 ** i * 0.9999);
    }
  });

  it("INV-24 each retry draws one random value, in order: delay = base * (0.5 + 0.5 * u)", async () => {
    const us = [0.25, 0.75, 0.5];
    const fn = taskFunc(failing(3), { retries: 3, initialDelayMs: 200, backoffFactor: 1.5 });
    const h = runOn(single({ execute: fn }), { random: sequence(...us) });
    reportOf(await h.finish());
    const expected = us.map((u, i) => 200 * 1.5 ** i * (0.5 + 0.5 * u));
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual(expected);
    const retries = retryEvents(h.events);
    const starts = attemptEvents(h.events, { event: "start" }).slice(1);
    for (const [i, s] of starts.entries()) expect(s.at).toBe(retries[i]!.at + retries[i]!.delayMs);
  });

  it("INV-24 a 30-second backoff takes no real time and the delays are exact", async () => {
    const fn = taskFunc(failing(3), { retries: 3, initialDelayMs: 30_000, backoffFactor: 2 });
    const h = runOn(single({ execute: fn }), { random: () => 0.5 });
    reportOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([22_500, 45_000, 90_000]);
    expect(h.clock.now()).toBe(157_500);
  });

  it("INV-24 random() values outside [0, 1] are clamped: above 1 counts as 1, negative or NaN as 0", async () => {
    const fn = taskFunc(failing(3), { retries: 3, initialDelayMs: 100, backoffFactor: 1 });
    const h = runOn(single({ execute: fn }), { random: sequence(7, -3, Number.NaN) });
    reportOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([100, 50, 50]);
  });

  // An object's valueOf was called at each comparison, and could give another value each time:
  // a delay of NaN, or outside its bounds.
  it("INV-24 a random() value that is not a number counts as 0, never converted", async () => {
    let conversions = 0;
    const shifty = {
      valueOf() {
        conversions++;
        return conversions === 1 ? 0.5 : 1_000;
      },
    };
    const fn = taskFunc(failing(3), { retries: 3, initialDelayMs: 100, backoffFactor: 1 });
    const h = runOn(single({ execute: fn }), {
      random: sequence(
        shifty as unknown as number,
        10n as unknown as number,
        "1" as unknown as number,
      ),
    });
    reportOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([50, 50, 50]);
    expect(conversions).toBe(0);
    expect(checkTrace(h.events, single({ execute: fn }))).toEqual([]);
  });

  it("INV-24 maxDelayMs caps each delay", async () => {
    const fn = taskFunc(failing(5), {
      retries: 5,
      initialDelayMs: 100,
      backoffFactor: 10,
      maxDelayMs: 2_000,
    });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    reportOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([50, 500, 2000, 2000, 2000]);
  });

  it("INV-24 a huge retries and backoffFactor never give an Infinity or NaN delay: capped at MAX_TIMER_MS", async () => {
    const fn = taskFunc(failing(400), {
      retries: 400,
      initialDelayMs: 1000,
      backoffFactor: 1000,
    });
    const h = runOn(single({ execute: fn }), { random: () => 0.999 });
    reportOf(await h.finish());
    const delays = retryEvents(h.events).map((e) => e.delayMs);
    expect(delays).toHaveLength(400);
    for (const d of delays) {
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeLessThanOrEqual(MAX_TIMER_MS);
    }
    expect(delays.at(-1)).toBe(MAX_TIMER_MS);
    expect(1000 * 1000 ** 399).toBe(Number.POSITIVE_INFINITY); // the base did overflow
  });

  it("INV-24 initialDelayMs: 0 gives 0 delays even when the factor overflows", async () => {
    const fn = taskFunc(failing(300), { retries: 300, initialDelayMs: 0, backoffFactor: 1e10 });
    const h = runOn(single({ execute: fn }), { random: () => 0.3 });
    reportOf(await h.finish());
    const delays = retryEvents(h.events).map((e) => e.delayMs);
    expect(delays).toHaveLength(300);
    expect(new Set(delays)).toEqual(new Set([0]));
    expect(h.clock.now()).toBe(0);
  });

  it("INV-24 a backoffFactor below 1 shrinks the delays", async () => {
    const fn = taskFunc(failing(3), { retries: 3, initialDelayMs: 800, backoffFactor: 0.5 });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    reportOf(await h.finish());
    expect(retryEvents(h.events).map((e) => e.delayMs)).toEqual([400, 200, 100]);
  });

  // Regression guard for an engine bug found by this suite.
  it("INV-7 INV-22 a random() that throws fails the phase like a throwing retryOn; cleanup still runs", async () => {
    const original = new RetryableError("flaky");
    const broken = new Error("rng broke");
    let postRan = false;
    const fn = taskFunc(
      failing(10, () => original),
      { retries: 2, initialDelayMs: 10 },
    );
    const h = runOn(
      single({
        execute: fn,
        postExecute: () => {
          postRan = true;
        },
      }),
      {
        random: () => {
          throw broken;
        },
      },
    );
    const error = errorOf(await h.finish());
    expect(postRan).toBe(true);
    expect(error.leafErrors()).toEqual([original, broken]);
  });

  it("INV-24 random is called once per retry and never otherwise", async () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0;
    };
    const fn = taskFunc(failing(2), { retries: 9, initialDelayMs: 1 });
    reportOf(
      await runOn(
        oneLevel(task<Ctx>("a", { execute: fn }), task<Ctx>("b", { execute: () => {} })),
        {
          random,
        },
      ).finish(),
    );
    expect(calls).toBe(2);
  });
});

describe("§7.3 what is retryable by default", () => {
  class Busy extends RetryableError {}
  const codes = [
    "ECONNRESET",
    "ECONNREFUSED",
    "ECONNABORTED",
    "ETIMEDOUT",
    "EPIPE",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "ENETUNREACH",
  ];

  it("isRetryable: RetryableError and subclasses, TaskTimeoutError, Node connection codes", () => {
    expect(isRetryable(new RetryableError("x"))).toBe(true);
    expect(isRetryable(new Busy("busy"))).toBe(true);
    expect(new Busy("busy").name).toBe("Busy");
    expect(isRetryable(new TaskTimeoutError("t", "execute", 1, 10))).toBe(true);
    for (const code of codes) {
      expect(isRetryable(Object.assign(new Error(code), { code }))).toBe(true);
      expect(isRetryable({ code })).toBe(true);
    }
  });

  it("isRetryable: false for plain errors, other codes, AbortErrors and non-objects", () => {
    expect(isRetryable(new Error("plain"))).toBe(false);
    expect(isRetryable(new TypeError("type"))).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isRetryable({ code: 104 })).toBe(false);
    expect(isRetryable(new DOMException("stop", "AbortError"))).toBe(false);
    expect(isRetryable(new DOMException("late", "TimeoutError"))).toBe(false);
    for (const value of [undefined, null, "ECONNRESET", 0, true]) {
      expect(isRetryable(value)).toBe(false);
    }
  });

  it("isRetryable follows `cause` for connection codes (fetch's `TypeError: fetch failed`)", () => {
    const fetchFailed = new TypeError("fetch failed", {
      cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
    });
    expect(isRetryable(fetchFailed)).toBe(true);
    expect(isRetryable(new Error("wrapped", { cause: new Error("plain") }))).toBe(false);
    // a cyclic cause chain ends
    const cyclic: { code: string; cause?: unknown } = { code: "ENOENT" };
    cyclic.cause = cyclic;
    expect(isRetryable(cyclic)).toBe(false);
  });

  it("isRetryable recognises errors branded by another copy of the package", () => {
    const foreign = new Error("from another copy");
    Object.defineProperty(foreign, Symbol.for("sdax.RetryableError"), { value: true });
    expect(isRetryable(foreign)).toBe(true);
  });

  it.each(codes)("INV-22 a rejection with code %s is retried by default", async (code) => {
    const fn = taskFunc(
      failing(1, () => Object.assign(new Error(code), { code })),
      {
        retries: 1,
        initialDelayMs: 1,
      },
    );
    const report = reportOf(await runOn(single({ execute: fn })).finish());
    expect(report.retried).toEqual([{ task: "t", phase: "execute", attempts: 2 }]);
  });
});
