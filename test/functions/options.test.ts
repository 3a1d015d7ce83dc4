/**
 * spec/task-functions.md sections 1 and 2: taskFunc, bare-function phases, option defaults,
 * limits, validation messages and the compile-time types.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  isRetryable,
  isSdaxBuildError,
  isTaskFunction,
  MAX_TIMER_MS,
  type PhaseName,
  RetryableError,
  SdaxBuildError,
  type TaskFailure,
  type TaskFunction,
  type TaskFunctionOptions,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { type Ctx, single } from "./helpers.js";

const noop = () => {};

/** Calls `make` and returns the SdaxBuildError it throws (fails the test if none). */
function buildError(make: () => unknown): SdaxBuildError {
  try {
    make();
  } catch (error) {
    expect(isSdaxBuildError(error)).toBe(true);
    expect(error).toBeInstanceOf(SdaxBuildError);
    return error as SdaxBuildError;
  }
  throw new Error("expected an SdaxBuildError, nothing was thrown");
}

describe("§1 task functions", () => {
  it("taskFunc returns a frozen TaskFunction holding the function", () => {
    const fn = (_ctx: Ctx) => 1;
    const tf = taskFunc(fn, { retries: 2 });
    expect(isTaskFunction(tf)).toBe(true);
    expect(Object.isFrozen(tf)).toBe(true);
    expect(tf.fn).toBe(fn);
    expect(tf.retries).toBe(2);
    expect(() => {
      (tf as { retries: number }).retries = 5;
    }).toThrow(TypeError);
    expect(isTaskFunction(fn)).toBe(false);
  });

  it("a bare function phase means taskFunc(fn) with every default", () => {
    const fn = noop;
    const t = task<Ctx>("t", { execute: fn });
    expect(isTaskFunction(t.execute)).toBe(true);
    expect(t.execute?.fn).toBe(fn);
    const defaults = taskFunc(fn);
    const { fn: _a, ...bare } = t.execute!;
    const { fn: _b, ...wrapped } = defaults;
    expect(bare).toEqual(wrapped);
  });

  it("a bare function phase reads as one TaskFunction, the same every time", () => {
    const t = task<Ctx>("t", { preExecute: noop, postExecute: noop });
    const first = t.preExecute;
    expect(t.preExecute).toBe(first);
    expect(t.postExecute).toBe(t.postExecute);
    expect(t.postExecute).not.toBe(first);
    expect(t.execute).toBeUndefined();
  });

  it("every attempt calls the function with no `this`: bare, through taskFunc, and a retry", async () => {
    const seen: string[] = [];
    const record = (label: string) =>
      function (this: unknown) {
        seen.push(`${label} ${this === undefined ? "no this" : "a this"}`);
      };
    let tries = 0;
    const retried = taskFunc(
      function (this: unknown) {
        seen.push(`retried#${++tries} ${this === undefined ? "no this" : "a this"}`);
        if (tries === 1) throw new RetryableError("once more");
      },
      { retries: 1, initialDelayMs: 0 },
    );
    const t = task<Ctx>("t", {
      preExecute: record("bare"),
      execute: taskFunc(record("wrapped")),
      postExecute: retried,
    });
    await AsyncTaskProcessor.builder<Ctx>().addTask(t, 1).build().processTasks({});
    expect(seen).toEqual([
      "bare no this",
      "wrapped no this",
      "retried#1 no this",
      "retried#2 no this",
    ]);
  });

  it("a task made by another copy of sdax runs: its phases are read through its fields", async () => {
    const calls: string[] = [];
    const own = task<Ctx>("own", { execute: () => calls.push("own") });
    const foreign = Object.freeze(
      Object.assign(Object.create({ [Symbol.for("sdax.AsyncTask")]: true }) as object, {
        name: "foreign",
        preExecute: taskFunc(() => calls.push("foreign pre")),
        execute: undefined,
        postExecute: taskFunc(() => calls.push("foreign post")),
      }),
    ) as AsyncTask<Ctx>;
    const report = await AsyncTaskProcessor.builder<Ctx>()
      .addTask(foreign, 1)
      .addTask(own, 2)
      .build()
      .processTasks({});
    expect(calls).toEqual(["foreign pre", "own", "foreign post"]);
    expect(report.tasks).toBe(2);
  });

  it("a TaskFunction given as a phase is used as it is", () => {
    const tf = taskFunc(noop, { timeoutMs: 5 });
    expect(task<Ctx>("t", { execute: tf }).execute).toBe(tf);
  });

  it("INV-33: a TaskFunction of another copy of sdax is read once, at task(), and runs as given", async () => {
    const reads: string[] = [];
    const fields: Record<string, unknown> = {
      fn: (ctx: { ran: string[] }) => {
        ctx.ran.push("foreign");
      },
      timeoutMs: 1000,
      retries: 0,
      initialDelayMs: 10,
      backoffFactor: 2,
      maxDelayMs: MAX_TIMER_MS,
      retryOn: isRetryable,
      abandonAfterMs: undefined,
    };
    const foreign = Object.create({ [Symbol.for("sdax.TaskFunction")]: true });
    for (const key of Object.keys(fields)) {
      Object.defineProperty(foreign, key, {
        get: () => {
          reads.push(key);
          return fields[key];
        },
      });
    }
    expect(isTaskFunction(foreign)).toBe(true);
    const made = task<{ ran: string[] }>("t", {
      execute: foreign as TaskFunction<{ ran: string[] }>,
    });
    expect(reads.sort()).toEqual(Object.keys(fields).sort());
    expect(made.execute).not.toBe(foreign);
    expect(made.execute).toMatchObject({ timeoutMs: 1000, initialDelayMs: 10 });
    fields.fn = () => {
      throw new Error("a later read is never used");
    };
    fields.retries = Number.NaN;
    const ctx = { ran: [] as string[] };
    await AsyncTaskProcessor.builder<{ ran: string[] }>()
      .addTask(made, 1)
      .build()
      .processTasks(ctx);
    expect(ctx.ran).toEqual(["foreign"]);
    expect(reads).toHaveLength(Object.keys(fields).length);
  });

  it("INV-33: a TaskFunction of another copy is checked as taskFunc checks one, naming the task, the phase and the field", () => {
    const brand = Symbol.for("sdax.TaskFunction");
    const record = (fields: Record<string, unknown>): TaskFunction<Ctx> =>
      ({ ...taskFunc(noop), [brand]: true, ...fields }) as unknown as TaskFunction<Ctx>;
    const cases: [TaskFunction<Ctx>, string, RegExp][] = [
      [record({ retries: Number.NaN }), "retries", /option `retries` must be a whole number/],
      [record({ timeoutMs: -5 }), "timeoutMs", /option `timeoutMs` must be a number of ms/],
      [record({ fn: 42 }), "fn", /its taskFunc\(\.\.\.\) has no function: `fn` is 42/],
      [
        record({
          *fn() {
            yield;
          },
        }),
        "execute",
        /a generator function cannot be a phase/,
      ],
    ];
    for (const [given, field, message] of cases) {
      const error = buildError(() => task<Ctx>("loader", { execute: given }));
      expect(error.task).toBe("loader");
      expect(error.field).toBe(field);
      expect(error.message).toMatch(/^task "loader" execute: /);
      expect(error.message).toMatch(message);
    }
    const trapped = new Proxy(taskFunc(noop, { timeoutMs: 5 }), {
      get(target, key, receiver) {
        if (key === "timeoutMs") throw new Error("trap");
        return Reflect.get(target, key, receiver);
      },
    });
    const error = buildError(() => task<Ctx>("loader", { execute: trapped }));
    expect(error.code).toBe("invalid-phase");
    expect(error.field).toBe("execute");
    expect(error.message).toMatch(
      /^task "loader" execute: its taskFunc\(\.\.\.\) could not be read/,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("one TaskFunction may serve several tasks and concurrent runs", async () => {
    let calls = 0;
    const tf = taskFunc(
      () => {
        calls++;
      },
      { timeoutMs: 10 },
    );
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(task("a", { preExecute: tf, execute: tf }), 1)
      .addTask(task("b", { postExecute: tf }), 2)
      .build();
    const clock = new VirtualClock();
    await Promise.all([
      processor.processTasks({}, { clock }),
      processor.processTasks({}, { clock }),
    ]);
    expect(calls).toBe(6);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("§2.1 option fields and defaults", () => {
  it("the defaults: no timeout, 0 retries, 1000 ms, factor 2, MAX_TIMER_MS cap, isRetryable, run's abandonAfterMs", () => {
    const tf = taskFunc(noop);
    expect(tf.timeoutMs).toBeNull();
    expect(tf.retries).toBe(0);
    expect(tf.initialDelayMs).toBe(1000);
    expect(tf.backoffFactor).toBe(2);
    expect(tf.maxDelayMs).toBe(MAX_TIMER_MS);
    expect(tf.retryOn).toBe(isRetryable);
    expect(tf.abandonAfterMs).toBeUndefined();
  });

  it("an option given as undefined is absent", () => {
    const tf = taskFunc(noop, {
      timeoutMs: undefined,
      retries: undefined,
      initialDelayMs: undefined,
      backoffFactor: undefined,
      maxDelayMs: undefined,
      retryOn: undefined,
      abandonAfterMs: undefined,
    });
    const { fn: _a, ...given } = tf;
    const { fn: _b, ...defaults } = taskFunc(noop);
    expect(given).toEqual(defaults);
  });

  it("every field at its limits is accepted, fractions included", () => {
    const retryOn = () => true;
    const tf = taskFunc(noop, {
      timeoutMs: MAX_TIMER_MS,
      retries: Number.MAX_SAFE_INTEGER,
      initialDelayMs: 0,
      backoffFactor: Number.MIN_VALUE,
      maxDelayMs: 0,
      retryOn,
      abandonAfterMs: 0.5,
    });
    expect(tf).toMatchObject({
      timeoutMs: MAX_TIMER_MS,
      retries: Number.MAX_SAFE_INTEGER,
      initialDelayMs: 0,
      backoffFactor: Number.MIN_VALUE,
      maxDelayMs: 0,
      retryOn,
      abandonAfterMs: 0.5,
    });
    expect(taskFunc(noop, { timeoutMs: 0, abandonAfterMs: null }).abandonAfterMs).toBeNull();
    expect(taskFunc(noop, { timeoutMs: null }).timeoutMs).toBeNull();
  });
});

describe("§2.2 validation", () => {
  const invalid: [keyof TaskFunctionOptions, unknown, string][] = [
    ["timeoutMs", -1, "-1 (number)"],
    ["timeoutMs", Number.NaN, "NaN (number)"],
    ["timeoutMs", Number.POSITIVE_INFINITY, "Infinity (number)"],
    ["timeoutMs", MAX_TIMER_MS + 1, "2147483648 (number)"],
    ["timeoutMs", "100", '"100" (string)'],
    ["retries", 1.5, "1.5 (number)"],
    ["retries", -1, "-1 (number)"],
    ["retries", Number.POSITIVE_INFINITY, "Infinity (number)"],
    ["retries", Number.NaN, "NaN (number)"],
    ["retries", null, "null"],
    ["initialDelayMs", -1, "-1 (number)"],
    ["initialDelayMs", Number.NaN, "NaN (number)"],
    ["initialDelayMs", Number.POSITIVE_INFINITY, "Infinity (number)"],
    ["backoffFactor", 0, "0 (number)"],
    ["backoffFactor", -2, "-2 (number)"],
    ["backoffFactor", Number.NaN, "NaN (number)"],
    ["backoffFactor", Number.POSITIVE_INFINITY, "Infinity (number)"],
    ["maxDelayMs", -5, "-5 (number)"],
    ["maxDelayMs", Number.POSITIVE_INFINITY, "Infinity (number)"],
    ["maxDelayMs", MAX_TIMER_MS * 2, `${MAX_TIMER_MS * 2} (number)`],
    ["retryOn", "yes", '"yes" (string)'],
    ["retryOn", true, "true (boolean)"],
    ["abandonAfterMs", -1, "-1 (number)"],
    ["abandonAfterMs", Number.NaN, "NaN (number)"],
    ["abandonAfterMs", Number.NEGATIVE_INFINITY, "-Infinity (number)"],
  ];

  it.each(invalid)(
    "taskFunc refuses %s = %s, naming the field and the value",
    (field, value, shown) => {
      const error = buildError(() => taskFunc(noop, { [field]: value } as TaskFunctionOptions));
      expect(error.code).toBe("invalid-option");
      expect(error.field).toBe(field);
      expect(error.task).toBeUndefined();
      expect(error.message).toContain(`\`${field}\``);
      expect(error.message).toContain(`got ${shown}`);
      expect(error.message.startsWith("taskFunc:")).toBe(true);
    },
  );

  it("the message says what the option must be", () => {
    expect(buildError(() => taskFunc(noop, { retries: 0.5 })).message).toBe(
      "taskFunc: option `retries` must be a whole number from 0 to 9007199254740991, got 0.5 (number)",
    );
    expect(buildError(() => taskFunc(noop, { timeoutMs: -3 })).message).toContain(
      `must be a number of ms from 0 to ${MAX_TIMER_MS}, or null for no timeout`,
    );
  });

  const checkHint = "; it takes a check, like (error) => error instanceof TypeError";
  it.each([
    ["timeout", "timeoutMs", ""],
    ["TimeoutMS", "timeoutMs", ""],
    ["initialDelay", "initialDelayMs", ""],
    ["backoff", "backoffFactor", ""],
    ["retryon", "retryOn", checkHint],
    ["maxDelay", "maxDelayMs", ""],
    ["abandonAfter", "abandonAfterMs", ""],
    // Python's names
    ["initial_delay", "initialDelayMs", ""],
    ["backoff_factor", "backoffFactor", ""],
    ["retryable_exceptions", "retryOn", checkHint],
  ])("INV-33: an unknown key %s is refused with a did-you-mean (%s)", (key, meant, more) => {
    const error = buildError(() => taskFunc(noop, { [key]: 1 } as TaskFunctionOptions));
    expect(error.code).toBe("invalid-option");
    expect(error.field).toBe(key);
    expect(error.message).toBe(
      `taskFunc: unknown option \`${key}\` (did you mean \`${meant}\`?)${more}`,
    );
  });

  // Regression guard for an engine bug found by this suite.
  it("an unknown key `retry` suggests `retries`, not `retryOn`", () => {
    const error = buildError(() => taskFunc(noop, { retry: 3 } as TaskFunctionOptions));
    expect(error.message).toContain("did you mean `retries`?");
  });

  // A getter was read again for the message, and could show another value.
  it("an option is read once: the message names the value that was refused", () => {
    let reads = 0;
    const options = {
      get timeoutMs() {
        reads++;
        return reads === 1 ? -1 : 3;
      },
    };
    const error = buildError(() => taskFunc(noop, options));
    expect(error.field).toBe("timeoutMs");
    expect(error.message).toMatch(/got -1 \(number\)$/);
    expect(reads).toBe(1);
  });

  it("an unknown key without a close option lists the known options", () => {
    const error = buildError(() => taskFunc(noop, { signal: 1 } as TaskFunctionOptions));
    expect(error.message).toBe(
      "taskFunc: unknown option `signal`; known options: timeoutMs, retries, initialDelayMs, backoffFactor, maxDelayMs, retryOn, abandonAfterMs",
    );
  });

  it.each([
    ["null", null],
    ["a number", 5],
    ["a string", "fast"],
    ["an array", []],
    ["a Map", new Map()],
    ["a class instance", new (class Settings {})()],
  ])("options that are %s are refused", (_label, options) => {
    const error = buildError(() => taskFunc(noop, options as TaskFunctionOptions));
    expect(error.code).toBe("invalid-option");
    expect(error.field).toBe("options");
    expect(error.message).toMatch(
      /^taskFunc: options must be a plain object like \{ timeoutMs: 1000 \}, got /,
    );
  });

  it("a refused Map is named as one, not as {}", () => {
    const error = buildError(() => taskFunc(noop, new Map() as TaskFunctionOptions));
    expect(error.message).toBe(
      "taskFunc: options must be a plain object like { timeoutMs: 1000 }, got a Map",
    );
  });

  it("options made by Object.create(null) are accepted", () => {
    const options = Object.assign(Object.create(null) as object, { retries: 2 });
    expect(taskFunc(noop, options as TaskFunctionOptions).retries).toBe(2);
  });

  it.each([null, undefined, 42, "run", {}])("taskFunc refuses fn = %j", (fn) => {
    const error = buildError(() => taskFunc(fn as unknown as () => void));
    expect(error.code).toBe("invalid-phase");
    expect(error.field).toBe("fn");
    expect(error.message).toMatch(/^taskFunc: expected a function, got /);
  });

  it.each([
    ["preExecute", 42, "42 (number)"],
    ["execute", "run", '"run" (string)'],
    ["postExecute", null, "null"],
    ["execute", { fn: noop }, '{"fn":"[function noop]"} (object)'],
  ] as const)(
    "a bare %s phase that is not a function names the task and phase (%j)",
    (phase, value, shown) => {
      const error = buildError(() => task<Ctx>("loader", { [phase]: value } as never));
      expect(error.code).toBe("invalid-phase");
      expect(error.task).toBe("loader");
      expect(error.field).toBe(phase);
      expect(error.message).toBe(
        `task "loader" ${phase}: expected a function or a taskFunc(...), got ${shown}`,
      );
    },
  );

  it("validation happens when taskFunc is called, never during a run", () => {
    let called = false;
    expect(() =>
      taskFunc(
        () => {
          called = true;
        },
        { timeoutMs: -1 },
      ),
    ).toThrow(SdaxBuildError);
    expect(called).toBe(false);
  });
});

describe("§2.3 MAX_TIMER_MS and the delay cap", () => {
  it("MAX_TIMER_MS is 2^31 - 1, the longest delay Node's setTimeout honours", () => {
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it("every time-valued option accepts MAX_TIMER_MS and refuses one more", () => {
    for (const field of ["timeoutMs", "initialDelayMs", "maxDelayMs", "abandonAfterMs"] as const) {
      expect(taskFunc(noop, { [field]: MAX_TIMER_MS })[field]).toBe(MAX_TIMER_MS);
      expect(buildError(() => taskFunc(noop, { [field]: MAX_TIMER_MS + 0.5 })).field).toBe(field);
    }
  });
});

describe("§2.4 run options used here", () => {
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1, "10"])(
    "RunOptions.abandonAfterMs = %s makes processTasks reject with a TypeError naming it",
    async (value) => {
      let called = false;
      const processor = single({
        execute: () => {
          called = true;
        },
      });
      const run = processor.processTasks({}, { abandonAfterMs: value as number });
      await expect(run).rejects.toThrow(TypeError);
      await expect(run).rejects.toThrow(/`abandonAfterMs` must be a number of ms/);
      expect(called).toBe(false);
    },
  );

  it("RunOptions.random must be a function and clock must have now/setTimeout/clearTimeout", async () => {
    const processor = single({ execute: noop });
    await expect(processor.processTasks({}, { random: 0.5 as never })).rejects.toThrow(/`random`/);
    await expect(processor.processTasks({}, { clock: {} as never })).rejects.toThrow(/`clock`/);
  });
});

describe("§2.2 types", () => {
  it("TaskFunctionOptions, TaskScope and TaskFailure have the contract's types", () => {
    expectTypeOf(taskFunc).parameter(1).toEqualTypeOf<TaskFunctionOptions | undefined>();
    expectTypeOf<TaskFunctionOptions["timeoutMs"]>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<TaskFunctionOptions["retries"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<TaskFunctionOptions["retryOn"]>().toEqualTypeOf<
      ((error: unknown) => boolean) | undefined
    >();
    expectTypeOf<TaskFunctionOptions["abandonAfterMs"]>().toEqualTypeOf<
      number | null | undefined
    >();
    expectTypeOf<TaskScope["signal"]>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<TaskScope["task"]>().toEqualTypeOf<string>();
    expectTypeOf<TaskScope["phase"]>().toEqualTypeOf<PhaseName>();
    expectTypeOf<TaskScope["attempt"]>().toEqualTypeOf<number>();
    expectTypeOf<TaskFailure["attempts"]>().toEqualTypeOf<number>();
    // Checked by the compiler only: spawn resolves to the child's (awaited) result.
    const typesOnly = (scope: TaskScope) => {
      expectTypeOf(scope.spawn(() => 1)).toEqualTypeOf<Promise<number>>();
      expectTypeOf(scope.spawn(async () => "x")).toEqualTypeOf<Promise<string>>();
      expectTypeOf(scope.spawn).parameter(0).parameter(0).toEqualTypeOf<AbortSignal>();
    };
    expect(typeof typesOnly).toBe("function");
  });

  it("taskFunc infers the context type from the function", () => {
    const tf = taskFunc(async (ctx: { id: number }, scope) => {
      expectTypeOf(scope).toEqualTypeOf<TaskScope>();
      return ctx.id;
    });
    expectTypeOf(tf).toEqualTypeOf<TaskFunction<{ id: number }>>();
    // A task of another context type cannot take it.
    // @ts-expect-error the phase's context must be the task's
    task<{ name: string }>("x", { execute: tf });
  });

  it("wrong option types and unknown keys are compile-time errors too", () => {
    // @ts-expect-error timeoutMs is a number or null
    expect(() => taskFunc(noop, { timeoutMs: "100" })).toThrow(SdaxBuildError);
    // @ts-expect-error retryOn is a function
    expect(() => taskFunc(noop, { retryOn: true })).toThrow(SdaxBuildError);
    // @ts-expect-error unknown key (a typo)
    expect(() => taskFunc(noop, { timeout: 100 })).toThrow(SdaxBuildError);
    // @ts-expect-error retries is a number
    expect(() => taskFunc(noop, { retries: "3" })).toThrow(SdaxBuildError);
  });
});
