/**
 * spec/lifecycle.md INV-33: user input fails at most its phase. Hostile thrown values and
 * abort reasons are kept as they were and described without throwing; every cleanup still runs
 * before the run settles; run options are read exactly once, and one whose getter throws makes
 * the run reject (and `open` throw) with a TypeError naming it, before anything ran.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTaskProcessor,
  type Clock,
  checkTrace,
  isSdaxExecutionError,
  type LifecycleEvent,
  AsyncTaskProcessor as Processor,
  RetryableError,
  type RunOptions,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { captureUncaught } from "../functions/helpers.js";
import { flush } from "../helpers/async.js";
import { Recorder } from "../helpers/recorder.js";

/** A revoked `Proxy`: every operation on it throws a `TypeError`. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function throwingGetter(error: Error, key: "name" | "message"): Error {
  Object.defineProperty(error, key, {
    get() {
      throw new Error(`no ${key}`);
    },
  });
  return error;
}

function symbolMessage(): Error {
  const error = new Error("placeholder");
  Object.defineProperty(error, "message", { value: Symbol("sym") });
  return error;
}

function cyclicAggregate(): AggregateError {
  const error = new AggregateError([new Error("leaf")], "cyclic");
  error.errors.push(error);
  return error;
}

const hostileValues: readonly [string, () => unknown][] = [
  ["a revoked Proxy", revokedProxy],
  ["an Error whose name getter throws", () => throwingGetter(new Error("m"), "name")],
  ["an Error whose message getter throws", () => throwingGetter(new Error("m"), "message")],
  ["an Error whose message is a Symbol", symbolMessage],
  ["a cyclic AggregateError", cyclicAggregate],
];

/** Waits for the signal, then rejects with its reason. */
function honour(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * Level 1: `sibling` (a pending preExecute that honours its signal), then `thrower`, whose
 * preExecute does `pre`. Both have a recorded postExecute. The log gets `"settled"` when the
 * run's promise settles.
 */
function workflow(pre: () => unknown): { rec: Recorder; processor: AsyncTaskProcessor<unknown> } {
  const rec = new Recorder();
  const processor = Processor.builder<unknown>()
    .addTask(rec.task("sibling", { pre: (_ctx, scope) => honour(scope.signal), post: true }), 1)
    .addTask(rec.task("thrower", { pre, post: true }), 1)
    .build();
  return { rec, processor };
}

/**
 * How `run` settled, logging `"settled"` then. These runs use no timers, so a run still pending
 * after many rounds of the event loop never settles: that is reported as `"pending"` at once,
 * rather than left to the test's timeout.
 */
async function settle(
  rec: Recorder,
  run: Promise<unknown>,
): Promise<{ status: "fulfilled" | "rejected" | "pending"; value: unknown }> {
  let outcome: { status: "fulfilled" | "rejected"; value: unknown } | undefined;
  run.then(
    (value) => {
      rec.log.push("settled");
      outcome = { status: "fulfilled", value };
    },
    (reason: unknown) => {
      rec.log.push("settled");
      outcome = { status: "rejected", value: reason };
    },
  );
  for (let round = 0; round < 100 && outcome === undefined; round++) await flush();
  return outcome ?? { status: "pending", value: undefined };
}

function expectPostsBeforeSettled(rec: Recorder): void {
  const settledAt = rec.log.indexOf("settled");
  expect(settledAt).toBeGreaterThan(-1);
  for (const key of ["sibling.post", "thrower.post"]) {
    expect(rec.log.indexOf(`${key}>`)).toBeGreaterThan(-1);
    expect(rec.log.indexOf(`${key}<`)).toBeLessThan(settledAt);
  }
  expect(rec.log.indexOf("sibling.pre!")).toBeLessThan(rec.log.indexOf("sibling.post>"));
}

function expectDescribed(events: readonly LifecycleEvent[]): void {
  // Plain data: every error is described as strings, and the trace serialises.
  for (const e of events) {
    const error = (e as { error?: { name: unknown; message: unknown } }).error;
    if (error !== undefined) {
      expect(typeof error.name).toBe("string");
      expect(typeof error.message).toBe("string");
    }
  }
  expect(() => JSON.stringify(events)).not.toThrow();
}

describe("INV-33: hostile thrown values fail their phase and nothing else", () => {
  for (const listening of [true, false]) {
    for (const [label, make] of hostileValues) {
      it(`INV-33 INV-7 INV-13 INV-14: ${label} thrown by a preExecute ${listening ? "with" : "without"} onEvent is the failure's error, the sibling is cancelled and both postExecutes run before the run settles`, async () => {
        const value = make();
        const { rec, processor } = workflow(() => {
          throw value;
        });
        const events: LifecycleEvent[] = [];
        const options: RunOptions = listening ? { onEvent: (e) => events.push(e) } : {};
        const outcome = await settle(rec, processor.processTasks(undefined, options));
        expect(outcome.status).toBe("rejected");
        const error = outcome.value;
        expect(isSdaxExecutionError(error)).toBe(true);
        if (!isSdaxExecutionError(error)) return;
        expect(error.failures).toHaveLength(1);
        expect(error.failures[0]!.error).toBe(value);
        expect(error.failures[0]).toMatchObject({
          task: "thrower",
          phase: "preExecute",
          attempts: 1,
          afterCancel: false,
        });
        expect(error.errors[0]).toBe(value);
        expect(typeof error.message).toBe("string");
        expect(error.message).toContain('task "thrower" preExecute failed');
        expect(rec.scope("sibling.pre").signal.aborted).toBe(true);
        expectPostsBeforeSettled(rec);
        if (listening) {
          expectDescribed(events);
          expect(events.at(-1)).toMatchObject({ type: "run", to: "settled", outcome: "failed" });
          expect(checkTrace(events, processor)).toEqual([]);
        } else {
          expect(events).toEqual([]);
        }
      });
    }

    it(`INV-33 INV-14: a hostile value rejected by an async preExecute ${listening ? "with" : "without"} onEvent is kept as thrown too`, async () => {
      const value = revokedProxy();
      const { rec, processor } = workflow(async () => {
        await flush();
        throw value;
      });
      const events: LifecycleEvent[] = [];
      const options: RunOptions = listening ? { onEvent: (e) => events.push(e) } : {};
      const outcome = await settle(rec, processor.processTasks(undefined, options));
      const error = outcome.value;
      if (!isSdaxExecutionError(error)) throw new Error("expected an SdaxExecutionError");
      expect(error.failures[0]!.error).toBe(value);
      expectPostsBeforeSettled(rec);
      if (listening) expect(checkTrace(events, processor)).toEqual([]);
    });

    for (const [label, make] of hostileValues) {
      it(`INV-33 INV-14 INV-19: ${label} as the external abort reason ${listening ? "with" : "without"} onEvent is the error's cause, and both postExecutes run before the run settles`, async () => {
        const reason = make();
        const controller = new AbortController();
        const { rec, processor } = workflow(() => honour(rec.scope("thrower.pre").signal));
        const events: LifecycleEvent[] = [];
        const options: RunOptions = {
          signal: controller.signal,
          ...(listening ? { onEvent: (e: LifecycleEvent) => events.push(e) } : {}),
        };
        const run = settle(rec, processor.processTasks(undefined, options));
        await flush();
        expect(rec.started("sibling.pre") && rec.started("thrower.pre")).toBe(true);
        controller.abort(reason);
        const outcome = await run;
        expect(outcome.status).toBe("rejected");
        const error = outcome.value;
        expect(isSdaxExecutionError(error)).toBe(true);
        if (!isSdaxExecutionError(error)) return;
        expect(error.cause).toBe(reason);
        expect(error.aborted).toBe(true);
        expect(error.failures).toEqual([]);
        expect(typeof error.message).toBe("string");
        expect(error.message).toContain("run aborted");
        expect(rec.scope("sibling.pre").signal.aborted).toBe(true);
        expect(rec.scope("thrower.pre").signal.aborted).toBe(true);
        const settledAt = rec.log.indexOf("settled");
        expect(rec.log.indexOf("sibling.post<")).toBeLessThan(settledAt);
        expect(rec.log.indexOf("thrower.post<")).toBeLessThan(settledAt);
        expect(rec.log.indexOf("sibling.post<")).toBeGreaterThan(-1);
        expect(rec.log.indexOf("thrower.post<")).toBeGreaterThan(-1);
        if (listening) {
          expectDescribed(events);
          const abort = events.find((e) => e.type === "run" && e.event === "abort");
          expect(abort).toBeDefined();
          expect(events.at(-1)).toMatchObject({ type: "run", to: "settled", aborted: true });
          expect(checkTrace(events, processor)).toEqual([]);
        }
      });
    }
  }
});

describe("INV-33: an onEvent listener that throws", () => {
  it("INV-33 spec lifecycle 6: a listener that throws on every event leaves the run unaffected; each error is rethrown as an uncaught exception", async () => {
    const { rec, processor } = workflow(() => {
      throw new Error("thrower failed");
    });
    const events: LifecycleEvent[] = [];
    const thrown: unknown[] = [];
    let outcome: Awaited<ReturnType<typeof settle>> | undefined;
    const uncaught = await captureUncaught(async () => {
      const run = processor.processTasks(undefined, {
        onEvent: (e) => {
          events.push(e);
          const value = e.seq % 2 === 0 ? revokedProxy() : new Error(`listener ${e.seq}`);
          thrown.push(value);
          throw value;
        },
      });
      outcome = await settle(rec, run);
    });
    expect(outcome?.status).toBe("rejected");
    const error = outcome?.value;
    expect(isSdaxExecutionError(error)).toBe(true);
    if (!isSdaxExecutionError(error)) return;
    expect(error.failures.map((f) => [f.task, f.phase, f.afterCancel])).toEqual([
      ["thrower", "preExecute", false],
    ]);
    expect(rec.log).toContain("sibling.post<");
    expect(rec.log).toContain("thrower.post<");
    expect(events.at(-1)).toMatchObject({ type: "run", to: "settled" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(uncaught).toHaveLength(thrown.length);
    for (let i = 0; i < thrown.length; i++) expect(uncaught[i] === thrown[i]).toBe(true);
    expect(checkTrace(events, processor)).toEqual([]);
  });
});

const optionKeys = [
  "signal",
  "onEvent",
  "clock",
  "random",
  "abandonAfterMs",
  "maxConcurrency",
  "timeoutMs",
] as const;

/** A processor whose only phase records that it ran. */
function recording(): { processor: AsyncTaskProcessor<unknown>; ran: string[] } {
  const rec = new Recorder();
  const processor = Processor.builder<unknown>()
    .addTask(rec.task("t", { pre: true, exec: true, post: true }), 1)
    .build();
  return { processor, ran: rec.log };
}

describe("INV-33: run options", () => {
  for (const key of optionKeys) {
    it(`INV-33: an options object whose \`${key}\` getter throws makes processTasks reject, never throw, with a TypeError naming it whose cause is the thrown error; open() throws it; nothing ran`, async () => {
      const inner = new Error(`cannot read ${key}`);
      const options = Object.defineProperty({}, key, {
        enumerable: true,
        get() {
          throw inner;
        },
      }) as RunOptions;
      const { processor, ran } = recording();
      let run: Promise<unknown> | undefined;
      expect(() => {
        run = processor.processTasks(undefined, options);
      }).not.toThrow();
      expect(run).toBeInstanceOf(Promise);
      const rejection = await run!.then(
        () => {
          throw new Error("expected the run to reject");
        },
        (e: unknown) => e,
      );
      expect(rejection).toBeInstanceOf(TypeError);
      expect((rejection as TypeError).message).toContain(`\`${key}\``);
      expect((rejection as TypeError).cause).toBe(inner);

      let thrown: unknown;
      try {
        processor.open(undefined, options);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as TypeError).message).toContain(`\`${key}\``);
      expect((thrown as TypeError).cause).toBe(inner);
      await flush();
      expect(ran).toEqual([]);
    });
  }

  it("INV-33: a clock whose method getter throws makes processTasks reject with a TypeError naming clock.now whose cause is the thrown error", async () => {
    const inner = new Error("no now");
    const clock = new VirtualClock();
    const hostile = {
      get now() {
        throw inner;
      },
      setTimeout: clock.setTimeout.bind(clock),
      clearTimeout: clock.clearTimeout.bind(clock),
    } as unknown as Clock;
    const { processor, ran } = recording();
    const rejection = await processor.processTasks(undefined, { clock: hostile }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejection).toBeInstanceOf(TypeError);
    expect((rejection as TypeError).message).toContain("clock.now");
    expect((rejection as TypeError).cause).toBe(inner);
    expect(ran).toEqual([]);
  });

  it("INV-33: every run option is read exactly once, however long the run and whatever it uses", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const values: Record<(typeof optionKeys)[number], unknown> = {
      signal: controller.signal,
      onEvent: () => {},
      clock,
      random: () => 0.5,
      abandonAfterMs: 5,
      maxConcurrency: 2,
      timeoutMs: 60_000,
    };
    const reads = new Map<string | symbol, number>();
    const options = new Proxy(values, {
      get(target, key, receiver) {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return Reflect.get(target, key, receiver);
      },
    }) as RunOptions;
    let calls = 0;
    const flaky = taskFunc(
      () => {
        calls++;
        if (calls < 3) throw new RetryableError("again");
        return new Promise(() => {}); // then times out, ignores its signal, is abandoned
      },
      { retries: 2, initialDelayMs: 10, timeoutMs: 20 },
    );
    const processor = Processor.builder<unknown>()
      .addTask(task("t", { preExecute: flaky, postExecute: () => {} }), 1)
      .build();
    const run = processor.processTasks(undefined, options).then(
      () => "fulfilled",
      () => "rejected",
    );
    await clock.runAll();
    expect(await run).toBe("rejected");
    expect(calls).toBe(3);
    for (const key of optionKeys) expect(reads.get(key)).toBe(1);
    expect([...reads.keys()].sort()).toEqual([...optionKeys].sort());
  });

  it("INV-33: a clock getter that returns a valid clock first and an invalid one afterwards is read once: the run uses the first", async () => {
    const clock = new VirtualClock();
    let reads = 0;
    const options = {
      get clock() {
        reads++;
        return reads === 1 ? clock : ({ now: 42 } as unknown as Clock);
      },
    } as RunOptions;
    const { processor, ran } = recording();
    const processorWithTimer = Processor.builder<unknown>()
      .addTask(
        new Recorder().task("slow", {
          exec: () => new Promise((resolve) => clock.setTimeout(() => resolve("ok"), 30)),
        }),
        1,
      )
      .build();
    const report = await processor.processTasks(undefined, options);
    expect(reads).toBe(1);
    expect(ran).toEqual(["t.pre>", "t.pre<", "t.exec>", "t.exec<", "t.post>", "t.post<"]);
    expect(report.tasks).toBe(1);
    // The same getter object again: a second run reads it again (once), and gets the bad clock.
    await expect(processorWithTimer.processTasks(undefined, options)).rejects.toBeInstanceOf(
      TypeError,
    );
    expect(reads).toBe(2);
  });

  it("INV-33 spec task-functions 5.2: the clock's three methods are read once, when the run is created", async () => {
    const virtual = new VirtualClock();
    const reads = { now: 0, setTimeout: 0, clearTimeout: 0 };
    const broken = () => {
      throw new Error("read twice");
    };
    const clock = {
      get now() {
        return reads.now++ === 0 ? () => virtual.now() : broken;
      },
      get setTimeout() {
        return reads.setTimeout++ === 0
          ? (callback: () => void, ms: number) => virtual.setTimeout(callback, ms)
          : broken;
      },
      get clearTimeout() {
        return reads.clearTimeout++ === 0
          ? (handle: unknown) => virtual.clearTimeout(handle)
          : broken;
      },
    } as unknown as Clock;
    const events: LifecycleEvent[] = [];
    const processor = Processor.builder<unknown>()
      .addTask(
        task("t", {
          preExecute: taskFunc(
            () => new Promise((resolve) => virtual.setTimeout(() => resolve(undefined), 5)),
            { timeoutMs: 50 },
          ),
          postExecute: () => {},
        }),
        1,
      )
      .build();
    const run = processor.processTasks(undefined, { clock, onEvent: (e) => events.push(e) });
    await virtual.runAll();
    const report = await run;
    expect(report.durationMs).toBe(5);
    expect(reads).toEqual({ now: 1, setTimeout: 1, clearTimeout: 1 });
    expect(events.every((e) => Number.isFinite(e.at))).toBe(true);
  });
});
