/**
 * A function that never touches its scope runs in a light attempt (src/functions/light-scope.ts)
 * until something other than its promise fulfilling happens to it; then a full attempt takes
 * over. The difference must never show: each case here runs one workflow twice, once with
 * functions that never touch their scope and once with the same functions reading
 * `scope.signal` first (a full attempt from the start), and expects the same events, times
 * included, and the same outcome, besides what the case itself checks against the spec.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTaskProcessor,
  type Clock,
  checkTrace,
  type LifecycleEvent,
  type TaskFn,
  type TaskFunctionOptions,
  type TaskScope,
  TaskTimeoutError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  attemptEvents,
  type Ctx,
  deferred,
  errorOf,
  type Outcome,
  oneLevel,
  reportOf,
  runOn,
  wrapClock,
} from "./helpers.js";

/** A phase function, told whether to read `scope.signal` before anything else. */
type Body = (touch: boolean) => TaskFn<Ctx>;

function phase(body: Body, touch: boolean, options?: TaskFunctionOptions) {
  const fn = body(touch);
  const touching: TaskFn<Ctx> = touch
    ? (ctx, scope) => {
        void scope.signal;
        return fn(ctx, scope);
      }
    : fn;
  return options === undefined ? touching : taskFunc(touching, options);
}

interface Scenario {
  readonly processor: AsyncTaskProcessor<Ctx>;
  /** Drives the run after it started (settles the functions' gates, advances the clock). */
  readonly drive?: (virtual: VirtualClock) => Promise<void>;
}

/** Runs `make(touch)` both ways; returns the light run's events and outcome after checking both agree. */
async function bothWays(
  make: (touch: boolean) => Scenario,
  clockFor: (virtual: VirtualClock) => Clock = (virtual) => virtual,
): Promise<{ events: LifecycleEvent[]; outcome: Outcome; virtual: VirtualClock }> {
  const runs = [];
  for (const touch of [false, true]) {
    const virtual = new VirtualClock();
    const { processor, drive } = make(touch);
    const h = runOn(processor, { clock: virtual, runClock: clockFor(virtual) });
    await drive?.(virtual);
    const outcome = await h.finish();
    expect(checkTrace(h.events, processor)).toEqual([]);
    runs.push({ events: h.events, outcome, virtual });
  }
  const [light, full] = runs;
  expect(light!.events).toEqual(full!.events);
  expect(light!.outcome).toEqual(full!.outcome);
  return light!;
}

/**
 * Task "held": its execute is cancelled when its sibling "failing" fails with `boom`, is let go
 * at 10 (abandonAfterMs), and settles late at `lateAt`, while held's postExecute (with
 * `postOptions`) runs; that postExecute settles `postRunsFor` ms later.
 */
function settlesLateBesidePost(
  boom: Error,
  lateAt: number,
  postRunsFor: number,
  postOptions?: TaskFunctionOptions,
): (touch: boolean) => Scenario {
  return (touch) => {
    const late = deferred<void>();
    const cleanup = deferred<void>();
    return {
      processor: oneLevel(
        task<Ctx>("held", {
          execute: phase(() => () => late.promise, touch, { abandonAfterMs: 10 }),
          postExecute: phase(() => () => cleanup.promise, touch, postOptions),
        }),
        task<Ctx>("failing", {
          execute: phase(
            () => async () => {
              throw boom;
            },
            touch,
          ),
        }),
      ),
      drive: async (virtual) => {
        await virtual.advance(lateAt);
        late.resolve();
        await late.promise;
        await virtual.advance(postRunsFor);
        cleanup.resolve();
      },
    };
  };
}

const transitions = (events: readonly LifecycleEvent[], phaseName?: string) =>
  attemptEvents(events)
    .filter((e) => phaseName === undefined || e.phase === phaseName)
    .map((e) => `${e.task}.${e.phase}#${e.attempt} ${e.from}-${e.event}-${e.to}`);

describe("a function that never touches its scope runs exactly as one that does", () => {
  it("INV-26 INV-36: a timeout set and cleared as the function succeeds leaves no timer; a timeout that passes fails the phase with a TaskTimeoutError and aborts nothing the function holds", async () => {
    const { events, outcome, virtual } = await bothWays((touch) => {
      const gate = deferred<void>();
      return {
        processor: oneLevel(
          task<Ctx>("quick", {
            execute: phase(() => () => gate.promise, touch, { timeoutMs: 50 }),
          }),
          task<Ctx>("slow", {
            execute: phase(() => () => new Promise(() => {}), touch, {
              timeoutMs: 100,
              abandonAfterMs: 5,
            }),
          }),
        ),
        drive: async (virtual) => {
          await virtual.advance(10);
          gate.resolve();
        },
      };
    });
    const error = errorOf(outcome);
    expect(error.failures.map((f) => f.task)).toEqual(["slow"]);
    expect(error.failures[0]!.error).toBeInstanceOf(TaskTimeoutError);
    expect(transitions(events)).toEqual([
      "quick.execute#1 idle-start-running",
      "slow.execute#1 idle-start-running",
      "quick.execute#1 running-succeed-ended",
      "slow.execute#1 running-timeout-settling",
      "slow.execute#1 settling-abandon-abandoned",
    ]);
    expect(virtual.pendingTimers).toBe(0);
  });

  it("INV-33 §5.2: setTimeout throwing as the timeout is set fails the attempt with the clock's error", async () => {
    const clockError = new Error("setTimeout broke");
    const { events, outcome } = await bothWays(
      (touch) => {
        const gate = deferred<void>();
        return {
          processor: oneLevel(
            task<Ctx>("t", { execute: phase(() => () => gate.promise, touch, { timeoutMs: 50 }) }),
          ),
          drive: async () => gate.resolve(),
        };
      },
      (virtual) =>
        wrapClock(virtual, {
          setTimeout: () => {
            throw clockError;
          },
        }),
    );
    expect(errorOf(outcome).failures).toEqual([
      { task: "t", phase: "execute", error: clockError, attempts: 1, afterCancel: false },
    ]);
    expect(transitions(events)).toEqual([
      "t.execute#1 idle-start-running",
      "t.execute#1 running-fail-settling",
      "t.execute#1 settling-settle-ended",
    ]);
  });

  it("INV-33 §5.2: clearTimeout throwing as the function succeeds fails the attempt with the clock's error", async () => {
    const clockError = new Error("clearTimeout broke");
    const { outcome, events } = await bothWays(
      (touch) => ({
        processor: oneLevel(
          task<Ctx>("t", {
            execute: phase(() => async () => {}, touch, { timeoutMs: 50 }),
          }),
        ),
      }),
      (virtual) =>
        wrapClock(virtual, {
          clearTimeout: () => {
            throw clockError;
          },
        }),
    );
    expect(errorOf(outcome).failures[0]!.error).toBe(clockError);
    expect(transitions(events)).toEqual([
      "t.execute#1 idle-start-running",
      "t.execute#1 running-fail-settling",
      "t.execute#1 settling-settle-ended",
    ]);
  });

  it("INV-26 INV-36 §5.2: a 0 ms timeout fired from inside the clock's setTimeout times the attempt out once its step is whole", async () => {
    const { outcome, events } = await bothWays(
      (touch) => ({
        processor: oneLevel(
          task<Ctx>("t", {
            execute: phase(() => () => new Promise(() => {}), touch, {
              timeoutMs: 0,
              abandonAfterMs: 1,
            }),
          }),
        ),
      }),
      (virtual) =>
        wrapClock(virtual, {
          setTimeout: (callback, ms) => {
            if (ms !== 0) return virtual.setTimeout(callback, ms);
            callback();
            return undefined;
          },
        }),
    );
    expect(errorOf(outcome).failures[0]!.error).toBeInstanceOf(TaskTimeoutError);
    expect(transitions(events)).toEqual([
      "t.execute#1 idle-start-running",
      "t.execute#1 running-timeout-settling",
      "t.execute#1 settling-abandon-abandoned",
    ]);
  });

  it("INV-36: a clock that never clears a timer: the timeout of an attempt that succeeded fires while the run goes on, and changes nothing", async () => {
    const { outcome, events } = await bothWays(
      (touch) => {
        const gate = deferred<void>();
        return {
          processor: oneLevel(
            task<Ctx>("t", {
              preExecute: phase(() => async () => {}, touch, { timeoutMs: 20 }),
              execute: phase(() => () => gate.promise, touch),
            }),
          ),
          drive: async (virtual) => {
            await virtual.advance(30); // the preExecute's timer fires at 20
            gate.resolve();
          },
        };
      },
      (virtual) => wrapClock(virtual, { clearTimeout: () => {} }),
    );
    reportOf(outcome);
    const late = events.filter((e) => e.at > 0);
    expect(late.map((e) => `${e.at} ${e.type} ${"to" in e ? e.to : ""}`)).toEqual([
      "30 attempt ended",
      "30 task executed",
      "30 run executed",
      "30 run cleaningUp",
      "30 task done",
      "30 run settled",
    ]);
  });

  it("INV-4 INV-27 INV-13: a function cancelled by a sibling's failure is waited for, abandoned after abandonAfterMs, and its late settlement is reported; its postExecute runs after it was let go, and the late settlement is never taken for that postExecute running light", async () => {
    const boom = new Error("boom");
    const { outcome, events } = await bothWays(settlesLateBesidePost(boom, 20, 5));
    expect(errorOf(outcome).failures.map((f) => [f.task, f.error])).toEqual([["failing", boom]]);
    expect(transitions(events, "execute")).toEqual([
      "held.execute#1 idle-start-running",
      "failing.execute#1 idle-start-running",
      "failing.execute#1 running-fail-settling",
      "failing.execute#1 settling-settle-ended",
      "held.execute#1 running-cancel-cancelling",
      "held.execute#1 cancelling-abandon-abandoned",
      "held.execute#1 abandoned-lateSettle-lateSettled",
    ]);
    const at = (description: string) =>
      events.findIndex(
        (e) =>
          e.type === "attempt" &&
          `${e.task}.${e.phase}#${e.attempt} ${e.from}-${e.event}-${e.to}` === description,
      );
    expect(at("held.postExecute#1 idle-start-running")).toBeGreaterThan(
      at("held.execute#1 cancelling-abandon-abandoned"),
    );
    expect(transitions(events).filter((t) => t.startsWith("held."))).toEqual([
      "held.execute#1 idle-start-running",
      "held.execute#1 running-cancel-cancelling",
      "held.execute#1 cancelling-abandon-abandoned",
      "held.postExecute#1 idle-start-running",
      "held.execute#1 abandoned-lateSettle-lateSettled",
      "held.postExecute#1 running-succeed-ended",
    ]);
    const ended = events.find(
      (e) => e.type === "attempt" && e.phase === "postExecute" && e.to === "ended",
    );
    expect(ended?.at).toBe(25);
  });

  it("INV-26 INV-13: the late settlement of an abandoned execute leaves the timeout of the postExecute running light after it alone: that postExecute still times out", async () => {
    const boom = new Error("boom");
    // The postExecute starts at 10 and is due to time out at 20; the execute settles at 15.
    const { outcome, events } = await bothWays(
      settlesLateBesidePost(boom, 15, 10, { timeoutMs: 10, abandonAfterMs: 1 }),
    );
    const failures = errorOf(outcome).failures;
    expect(failures.map((f) => [f.task, f.phase])).toEqual([
      ["failing", "execute"],
      ["held", "postExecute"],
    ]);
    expect(failures[1]!.error).toBeInstanceOf(TaskTimeoutError);
    expect(transitions(events).filter((t) => t.startsWith("held."))).toEqual([
      "held.execute#1 idle-start-running",
      "held.execute#1 running-cancel-cancelling",
      "held.execute#1 cancelling-abandon-abandoned",
      "held.postExecute#1 idle-start-running",
      "held.execute#1 abandoned-lateSettle-lateSettled",
      "held.postExecute#1 running-timeout-settling",
      "held.postExecute#1 settling-abandon-abandoned",
      "held.postExecute#1 abandoned-lateSettle-lateSettled",
    ]);
  });

  it("INV-36 INV-29 §5.2: a clock whose clearTimeout fires the timer it clears, or reads the attempt's scope, as the function succeeds: the attempt succeeds and ends", async () => {
    const scopes: TaskScope[] = []; // this run's scope, read by the clock
    let lightScope: TaskScope | undefined; // the scope of the run that does not touch it
    const scenario = (touch: boolean): Scenario => {
      scopes.length = 0;
      const gate = deferred<void>();
      const keep = (): TaskFn<Ctx> => (_ctx, scope) => {
        scopes.push(scope);
        if (!touch) lightScope = scope;
        return gate.promise;
      };
      return {
        processor: oneLevel(task<Ctx>("t", { execute: phase(keep, touch, { timeoutMs: 50 }) })),
        drive: async () => gate.resolve(),
      };
    };
    const firing = (virtual: VirtualClock): Clock => {
      const callbacks = new Map<unknown, () => void>();
      return wrapClock(virtual, {
        setTimeout: (callback, ms) => {
          const handle = virtual.setTimeout(callback, ms);
          callbacks.set(handle, callback);
          return handle;
        },
        clearTimeout: (handle) => {
          callbacks.get(handle)?.();
          virtual.clearTimeout(handle);
        },
      });
    };
    const reading = (virtual: VirtualClock): Clock =>
      wrapClock(virtual, {
        clearTimeout: (handle) => {
          void scopes[0]?.signal;
          virtual.clearTimeout(handle);
        },
      });
    for (const clockFor of [firing, reading]) {
      lightScope = undefined;
      const { events, outcome } = await bothWays(scenario, clockFor);
      reportOf(outcome);
      expect(transitions(events)).toEqual([
        "t.execute#1 idle-start-running",
        "t.execute#1 running-succeed-ended",
      ]);
      expect(() => lightScope!.spawn(async () => {})).toThrow(
        'task "t" execute attempt 1: scope.spawn() was called after the attempt ended',
      );
    }
  });

  it("INV-1: results that are not native promises (a value, a thenable, a synchronous throw) are taken as they always are", async () => {
    const thrown = new Error("sync");
    const { outcome } = await bothWays((touch) => ({
      processor: oneLevel(
        task<Ctx>("value", { execute: phase(() => () => 42, touch) }),
        task<Ctx>("thenable", {
          execute: phase(
            // biome-ignore lint/suspicious/noThenProperty: a thenable is what this case is about
            () => () => ({ then: (resolve: (v: unknown) => void) => resolve(1) }),
            touch,
          ),
        }),
        task<Ctx>("throws", {
          execute: phase(
            () => () => {
              throw thrown;
            },
            touch,
          ),
        }),
      ),
    }));
    expect(errorOf(outcome).failures.map((f) => [f.task, f.error])).toEqual([["throws", thrown]]);
  });
});

describe("a result that is user code", () => {
  /**
   * A task whose execute returns a Proxy with `getPrototypeOf` (and which has a postExecute),
   * for {@link bothWays}; `asked` gets, per run, how often the Proxy was asked for its prototype.
   */
  function proxyResult(getPrototypeOf: (scope: TaskScope) => object, asked: number[]) {
    return (touch: boolean): Scenario => {
      const at = asked.push(0) - 1;
      const result = (scope: TaskScope) =>
        new Proxy(
          {},
          {
            getPrototypeOf() {
              asked[at] = (asked[at] ?? 0) + 1;
              return getPrototypeOf(scope);
            },
          },
        );
      return {
        processor: oneLevel(
          task<Ctx>("t", {
            execute: phase(() => (_ctx, scope) => result(scope), touch),
            postExecute: phase(() => async () => {}, touch),
          }),
        ),
      };
    };
  }

  it("INV-33: a result whose prototype cannot be read (a Proxy whose getPrototypeOf throws) fails the phase with that error, and the run cleans up", async () => {
    const thrown = new Error("no prototype");
    const asked: number[] = [];
    const { outcome, events } = await bothWays(
      proxyResult(() => {
        throw thrown;
      }, asked),
    );
    expect(errorOf(outcome).failures.map((f) => [f.task, f.phase, f.error])).toEqual([
      ["t", "execute", thrown],
    ]);
    expect(events.at(-1)).toMatchObject({ type: "run", to: "settled" });
    expect(asked).toEqual([1, 1]); // asked once, light or not
  });

  it("INV-1: a Proxy result that is not a promise is asked for its prototype once, light or not, and taken as a value", async () => {
    const asked: number[] = [];
    const { outcome } = await bothWays(proxyResult(() => Object.prototype, asked));
    reportOf(outcome);
    expect(asked).toEqual([1, 1]);
  });

  it("INV-1: a Proxy result whose getPrototypeOf reads the scope (which needs a full attempt) is asked once too, and taken as a value", async () => {
    const asked: number[] = [];
    const signals: boolean[] = [];
    const { outcome } = await bothWays(
      proxyResult((scope) => {
        signals.push(scope.signal.aborted);
        return Object.prototype;
      }, asked),
    );
    reportOf(outcome);
    expect(asked).toEqual([1, 1]);
    expect(signals).toEqual([false, false]);
  });
});

describe("the scope of a light attempt", () => {
  it("INV-36: read after the attempt succeeded, it still names the attempt; its signal is not aborted and spawn says the attempt ended", async () => {
    const scopes: TaskScope[] = [];
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: (_ctx, scope) => {
          scopes.push(scope);
          return Promise.resolve();
        },
      }),
    );
    const h = runOn(processor);
    reportOf(await h.finish());
    const scope = scopes[0]!;
    expect([scope.task, scope.phase, scope.attempt]).toEqual(["t", "execute", 1]);
    expect(scope.signal.aborted).toBe(false);
    expect(scope.signal).toBe(scope.signal);
    expect(() => scope.spawn(async () => {})).toThrow(
      'task "t" execute attempt 1: scope.spawn() was called after the attempt ended',
    );
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("INV-30: its signal read during the attempt is the one it gives after the attempt succeeded", async () => {
    const seen: { scope: TaskScope; signal: AbortSignal }[] = [];
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: (_ctx, scope) => {
          seen.push({ scope, signal: scope.signal });
          return Promise.resolve();
        },
      }),
    );
    reportOf(await runOn(processor).finish());
    const { scope, signal } = seen[0]!;
    expect(scope.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
  });

  it("INV-4: its signal, first read after the function returned, aborts when the attempt is cancelled", async () => {
    const boom = new Error("boom");
    let read: (() => AbortSignal) | undefined;
    const gate = deferred<void>();
    const processor = oneLevel(
      task<Ctx>("held", {
        execute: taskFunc(
          (_ctx, scope) => {
            read = () => scope.signal;
            return new Promise(() => {});
          },
          { abandonAfterMs: 1 },
        ),
      }),
      task<Ctx>("failing", {
        execute: async () => {
          await gate.promise;
          throw boom;
        },
      }),
    );
    const h = runOn(processor);
    await Promise.resolve();
    const signal = read!(); // the attempt runs, light until now
    expect(signal.aborted).toBe(false);
    gate.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.task)).toEqual(["failing"]);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe("AbortError");
    expect(checkTrace(h.events, processor)).toEqual([]);
  });
  it("INV-30 INV-36: kept past its phase, it still leads to its own attempt: a retried preExecute's first scope, read during execute, has the signal its failure aborted, and the execute running light is left as it is", async () => {
    const first = new Error("first try");
    const reads: [boolean, unknown][] = [];
    let lightPre: TaskScope[] = [];
    const { events, outcome } = await bothWays((touch) => {
      const pre: TaskScope[] = [];
      if (!touch) lightPre = pre;
      const gate = deferred<void>();
      return {
        processor: oneLevel(
          task<Ctx>("t", {
            preExecute: phase(
              () => (_ctx, scope) => {
                pre.push(scope);
                return pre.length === 1 ? Promise.reject(first) : Promise.resolve();
              },
              touch,
              { retries: 1, initialDelayMs: 0, retryOn: () => true },
            ),
            execute: phase(
              () => () => {
                // The light run's reads (the other run reads full attempts' signals).
                if (!touch)
                  for (const scope of pre) reads.push([scope.signal.aborted, scope.signal.reason]);
                return gate.promise;
              },
              touch,
            ),
          }),
        ),
        drive: async (virtual) => {
          await virtual.advance(0); // the retry's delay
          gate.resolve();
        },
      };
    });
    reportOf(outcome);
    expect(reads.map(([aborted]) => aborted)).toEqual([true, false]);
    expect(reads[0]![1]).toMatchObject({
      name: "AbortError",
      message: 'task "t" preExecute attempt 1 failed',
    });
    expect(() => lightPre[0]!.spawn(async () => {})).toThrow(
      'task "t" preExecute attempt 1: scope.spawn() was called after the attempt ended',
    );
    expect(transitions(events, "execute")).toEqual([
      "t.execute#1 idle-start-running",
      "t.execute#1 running-succeed-ended",
    ]);
  });
});
