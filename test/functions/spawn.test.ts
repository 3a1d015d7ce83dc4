/**
 * spec/task-functions.md section 8: child work started with scope.spawn belongs to its attempt
 * (contract 3.7).
 */
import { describe, expect, it } from "vitest";
import { type TaskScope, taskFunc, VirtualClock } from "../../src/index.js";
import {
  attemptEvents,
  deferred,
  errorOf,
  reportOf,
  runOn,
  single,
  taskEvents,
  untilAborted,
  watchUnhandled,
  wrapClock,
} from "./helpers.js";

describe("§8 child work: scope.spawn", () => {
  it("INV-29 the attempt ends only when the function and every child have settled", async () => {
    const first = deferred<number>();
    const second = deferred<string>();
    const results: unknown[] = [];
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          void scope.spawn(() => first.promise).then((v) => results.push(v));
          void scope.spawn(() => second.promise).then((v) => results.push(v));
          return "function returned at once";
        },
      }),
    );
    await h.clock.advance(10);
    expect(attemptEvents(h.events, { event: "succeed" })).toEqual([]);
    first.resolve(1);
    await h.clock.advance(10);
    expect(attemptEvents(h.events, { event: "succeed" })).toEqual([]);
    second.resolve("two");
    await h.clock.advance(10);
    expect(onlyAttemptAt(h.events, "succeed")).toBe(20);
    reportOf(await h.finish());
    expect(results).toEqual([1, "two"]);
  });

  it("INV-29 spawn calls the child at once with the attempt's signal and returns its result", async () => {
    const order: string[] = [];
    let childSignal: AbortSignal | undefined;
    let scopeSignal: AbortSignal | undefined;
    let value: number | undefined;
    const h = runOn(
      single({
        execute: async (_ctx, scope) => {
          order.push("before");
          const p = scope.spawn((signal) => {
            order.push("child");
            childSignal = signal;
            return 41 + 1;
          });
          order.push("after");
          scopeSignal = scope.signal;
          value = await p;
        },
      }),
    );
    reportOf(await h.finish());
    expect(order).toEqual(["before", "child", "after"]);
    expect(childSignal).toBe(scopeSignal);
    expect(value).toBe(42);
  });

  it("INV-29 a child failure fails the attempt with its error and aborts the siblings' signal", async () => {
    const childError = new Error("child failed");
    const failNow = deferred();
    let siblingReason: unknown;
    let functionSignal: AbortSignal | undefined;
    const h = runOn(
      single({
        execute: async (_ctx, scope) => {
          functionSignal = scope.signal;
          void scope.spawn((signal) =>
            untilAborted(signal).catch((reason: unknown) => {
              siblingReason = reason;
            }),
          );
          void scope.spawn(async () => {
            await failNow.promise;
            throw childError;
          });
          await untilAborted(scope.signal).catch(() => {});
        },
      }),
    );
    await h.clock.advance(5);
    failNow.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures).toEqual([
      { task: "t", phase: "execute", error: childError, attempts: 1, afterCancel: false },
    ]);
    expect(siblingReason).toBeInstanceOf(DOMException);
    expect((siblingReason as DOMException).name).toBe("AbortError");
    expect((siblingReason as DOMException).message).toBe('task "t" execute attempt 1 failed');
    expect(functionSignal?.aborted).toBe(true);
    expect(attemptEvents(h.events).map((e) => e.event)).toEqual(["start", "fail", "settle"]);
  });

  it("INV-29 after a child failed, the attempt still waits for the other children to settle", async () => {
    const stubborn = deferred();
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          void scope.spawn(() => stubborn.promise); // ignores its signal
          void scope.spawn(() => Promise.reject(new Error("child")));
        },
        postExecute: () => {},
      }),
    );
    await h.clock.advance(100);
    expect(taskEvents(h.events, "t", "fail")).toHaveLength(1);
    expect(taskEvents(h.events, "t", "settle")).toEqual([]);
    expect(taskEvents(h.events, "t", "startPost")).toEqual([]);
    stubborn.resolve();
    errorOf(await h.finish());
    expect(taskEvents(h.events, "t", "settle")[0]?.at).toBe(100);
  });

  it("INV-29 the first rejection wins: a later child failure does not replace the error", async () => {
    const first = new Error("first");
    const second = deferred();
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          void scope.spawn(() => Promise.reject(first));
          void scope.spawn(async () => {
            await second.promise;
            throw new Error("second");
          });
        },
      }),
    );
    await h.clock.advance(1);
    second.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.error)).toEqual([first]);
  });

  it("INV-29 a rejected spawn promise the function never awaits causes no unhandled rejection", async () => {
    const childError = new Error("nobody awaits me");
    let outcomeError: unknown;
    const unhandled = await watchUnhandled(async () => {
      const h = runOn(
        single({
          execute: (_ctx, scope) => {
            scope.spawn(() => Promise.reject(childError)); // not awaited, not caught
          },
        }),
      );
      outcomeError = errorOf(await h.finish()).failures[0]?.error;
    });
    expect(unhandled).toEqual([]);
    expect(outcomeError).toBe(childError);
  });

  it("INV-29 a child that throws synchronously is a rejection of its spawn promise and fails the attempt", async () => {
    const thrown = new Error("sync child");
    let caught: unknown;
    const h = runOn(
      single({
        execute: async (_ctx, scope) => {
          await scope
            .spawn(() => {
              throw thrown;
            })
            .catch((e: unknown) => {
              caught = e;
            });
        },
      }),
    );
    const error = errorOf(await h.finish());
    expect(caught).toBe(thrown);
    expect(error.failures[0]?.error).toBe(thrown);
  });

  it("INV-29 spawn after the attempt ended throws, naming the task, phase and attempt, and starts nothing", async () => {
    let kept: TaskScope | undefined;
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          kept = scope;
        },
      }),
    );
    reportOf(await h.finish());
    let started = false;
    expect(() =>
      kept!.spawn(() => {
        started = true;
      }),
    ).toThrow('task "t" execute attempt 1: scope.spawn() was called after the attempt ended');
    expect(started).toBe(false);
  });

  it("INV-29 spawn after the function returned but while a child runs is allowed (nested children)", async () => {
    const gate = deferred();
    const order: string[] = [];
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          void scope.spawn(async () => {
            await gate.promise;
            await scope.spawn(async () => {
              order.push("grandchild");
            });
            order.push("child");
          });
        },
      }),
    );
    await h.clock.advance(3);
    gate.resolve();
    reportOf(await h.finish());
    expect(order).toEqual(["grandchild", "child"]);
  });

  it("INV-29 a child spawned while the attempt is settling gets the already aborted signal", async () => {
    const gate = deferred();
    let lateSignal: AbortSignal | undefined;
    const h = runOn(
      single({
        execute: async (_ctx, scope) => {
          void scope.spawn(() => Promise.reject(new Error("fail first")));
          await gate.promise;
          await scope.spawn((signal) => {
            lateSignal = signal;
          });
        },
      }),
    );
    await h.clock.advance(1);
    gate.resolve();
    errorOf(await h.finish());
    expect(lateSignal?.aborted).toBe(true);
  });

  // A child started from inside the clock's clearTimeout, as an attempt's function succeeds, used
  // to be left out of its end (a full attempt succeeded with the child running, and the run
  // settled before it), or kept a light one running with its timeout cleared.
  for (const reads of [false, true]) {
    const kind = reads ? "a full attempt" : "a light one";
    it(`INV-29 spawn from inside the clock's clearTimeout as the function succeeds throws, starting nothing: ${kind}`, async () => {
      const clock = new VirtualClock();
      let kept: TaskScope | undefined;
      let started = 0;
      const runClock = wrapClock(clock, {
        clearTimeout(handle) {
          const scope = kept;
          kept = undefined;
          clock.clearTimeout(handle);
          scope?.spawn(() => {
            started++;
          });
        },
      });
      const h = runOn(
        single({
          execute: taskFunc(
            (_ctx, scope) => {
              if (reads) void scope.signal;
              kept = scope;
              return new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 1));
            },
            { timeoutMs: 100 },
          ),
        }),
        { clock, runClock },
      );
      const error = errorOf(await h.finish());
      expect(started).toBe(0);
      expect(String(error.failures[0]?.error)).toContain(
        `task "t" execute attempt 1: scope.spawn() was called from inside the clock's clearTimeout`,
      );
      expect(attemptEvents(h.events).map((e) => `${e.event}@${e.at}`)).toEqual([
        "start@0",
        "fail@1",
        "settle@1",
      ]);
      expect(h.timersAtSettle()).toBe(0);
    });
  }

  it("INV-29 a clock that catches the refusal clears its timer and the attempt succeeds", async () => {
    const clock = new VirtualClock();
    let kept: TaskScope | undefined;
    const refusals: unknown[] = [];
    const runClock = wrapClock(clock, {
      clearTimeout(handle) {
        clock.clearTimeout(handle);
        try {
          kept?.spawn(() => {});
        } catch (error) {
          refusals.push(error);
        }
      },
    });
    const h = runOn(
      single({
        execute: taskFunc(
          (_ctx, scope) => {
            kept = scope;
            return new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 1));
          },
          { timeoutMs: 100 },
        ),
      }),
      { clock, runClock },
    );
    reportOf(await h.finish());
    expect(refusals).toHaveLength(1);
    expect(onlyAttemptAt(h.events, "succeed")).toBe(1);
  });

  it("INV-29 spawn from inside the clock's clearTimeout as a cancelled attempt settles fails it after its cancellation", async () => {
    const clock = new VirtualClock();
    let kept: TaskScope | undefined;
    let started = 0;
    const controller = new AbortController();
    const runClock = wrapClock(clock, {
      clearTimeout(handle) {
        clock.clearTimeout(handle);
        kept?.spawn(() => {
          started++;
        });
      },
    });
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          kept = scope;
          return new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 5)); // ignores its signal
        },
      }),
      { clock, runClock, signal: controller.signal, abandonAfterMs: 1000 },
    );
    await h.clock.advance(1);
    controller.abort();
    const error = errorOf(await h.finish());
    expect(started).toBe(0);
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]?.afterCancel).toBe(true);
    expect(String(error.failures[0]?.error)).toContain("from inside the clock's clearTimeout");
    expect(attemptEvents(h.events).map((e) => `${e.event}@${e.at}`)).toEqual([
      "start@0",
      "cancel@1",
      "fail@5",
      "settle@5",
    ]);
  });

  // Found while writing these tests: `spawn` was a class method needing `this`, so the
  // destructured form threw a TypeError. The engine now exposes it as a bound function.
  it("INV-29 spawn works when destructured from the scope", async () => {
    const h = runOn(
      single({
        execute: async (ctx, { spawn }) => {
          ctx.value = await spawn(async () => 1);
        },
      }),
    );
    reportOf(await h.finish());
    expect(h.ctx.value).toBe(1);
  });
  it("INV-29 a child promise subclass that cannot be observed fails the attempt, which still settles", async () => {
    const broken = new Error("species");
    class Odd<T> extends Promise<T> {
      static override get [Symbol.species](): never {
        throw broken;
      }
    }
    const h = runOn(
      single({
        execute: (_ctx, scope: TaskScope) => {
          void scope.spawn(() => Odd.resolve(1)).catch(() => {});
        },
      }),
    );
    const error = errorOf(await h.finish());
    expect(error.failures[0]?.error).toBe(broken);
  });
});

function onlyAttemptAt(
  events: Parameters<typeof attemptEvents>[0],
  event: "succeed" | "fail" | "settle",
): number {
  const found = attemptEvents(events, { event });
  expect(found).toHaveLength(1);
  return found[0]!.at;
}
