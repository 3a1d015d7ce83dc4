import { describe, expect, it } from "vitest";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  type BuildErrorCode,
  isSdaxBuildError,
  join,
  SdaxBuildError,
  type TaskFn,
  type TaskPhases,
  task,
  taskFunc,
} from "../../src/index.js";

/** Runs `make`, which must throw an SdaxBuildError with these facts; returns it. */
function buildError(
  make: () => unknown,
  expected: { code: BuildErrorCode; task?: string | undefined; field?: string; message?: RegExp[] },
): SdaxBuildError {
  let caught: unknown;
  try {
    make();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SdaxBuildError);
  expect(isSdaxBuildError(caught)).toBe(true);
  const error = caught as SdaxBuildError;
  expect(error.code).toBe(expected.code);
  if ("task" in expected) expect(error.task).toBe(expected.task);
  if (expected.field !== undefined) expect(error.field).toBe(expected.field);
  for (const pattern of expected.message ?? []) expect(error.message).toMatch(pattern);
  return error;
}

interface Ctx {
  ran: string[];
}

/** A task that records its name when its execute runs. */
const step = (name: string): AsyncTask<Ctx> =>
  task<Ctx>(name, {
    execute: (ctx) => {
      ctx.ran.push(name);
    },
  });

const noop = () => undefined;
const t = (name: string): AsyncTask<unknown> => task(name, { execute: noop });

async function ran(processor: AsyncTaskProcessor<Ctx>): Promise<string[]> {
  const ctx: Ctx = { ran: [] };
  await processor.processTasks(ctx);
  return ctx.ran.sort();
}

describe("INV-35: builders add in place", () => {
  it("INV-35: a builder filled in a loop that ignores addTask's result builds every task", async () => {
    const names = ["a", "b", "c", "d"];
    const builder = AsyncTaskProcessor.builder<Ctx>();
    names.forEach((name, i) => {
      builder.addTask(step(name), i % 2);
    });
    const processor = builder.build();
    expect(processor.taskNames).toEqual(names);
    expect(processor.describe().map((d) => d.level)).toEqual([0, 1, 0, 1]);
    expect(await ran(processor)).toEqual(names);
  });

  it("spec 1: level -0 is level 0, and describe() gives it as 0", () => {
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(step("a"), -0)
      .addTask(step("b"), 0)
      .build();
    expect(processor.describe().map((d) => Object.is(d.level, 0))).toEqual([true, true]);
  });

  it("INV-35: a graph builder filled in a loop that ignores addTask's result builds every task with its dependencies", async () => {
    const deps: Record<string, string[]> = { c: ["a", "b"], a: [], b: ["a"] };
    const builder = AsyncTaskProcessor.graphBuilder<Ctx>();
    for (const [name, dependsOn] of Object.entries(deps)) builder.addTask(step(name), dependsOn);
    const processor = builder.build();
    expect(processor.describe()).toEqual([
      { name: "c", dependsOn: ["a", "b"], phases: ["execute"] },
      { name: "a", dependsOn: [], phases: ["execute"] },
      { name: "b", dependsOn: ["a"], phases: ["execute"] },
    ]);
    expect(await ran(processor)).toEqual(["a", "b", "c"]);
  });

  it("INV-35: addTask returns the same builder object, so a chain and a loop build the same workflow", () => {
    const levels = AsyncTaskProcessor.builder<Ctx>();
    expect(levels.addTask(step("a"), 1)).toBe(levels);
    expect(levels.addTask(step("b"), 2).addTask(step("c"), 2)).toBe(levels);
    const chained = AsyncTaskProcessor.builder<Ctx>()
      .addTask(step("a"), 1)
      .addTask(step("b"), 2)
      .addTask(step("c"), 2)
      .build();
    expect(levels.build().describe()).toEqual(chained.describe());

    const graph = AsyncTaskProcessor.graphBuilder<Ctx>();
    expect(graph.addTask(step("a"))).toBe(graph);
    expect(graph.addTask(step("b"), ["a"]).addTask(join("j"), ["b"])).toBe(graph);
    const graphChained = AsyncTaskProcessor.graphBuilder<Ctx>()
      .addTask(step("a"))
      .addTask(step("b"), ["a"])
      .addTask(join("j"), ["b"])
      .build();
    expect(graph.build().describe()).toEqual(graphChained.describe());
  });

  it("INV-35: every builder() and graphBuilder() call makes a new, empty builder", () => {
    const first = AsyncTaskProcessor.builder<Ctx>().addTask(step("a"), 1);
    const second = AsyncTaskProcessor.builder<Ctx>();
    expect(second).not.toBe(first);
    expect(second.build().taskNames).toEqual([]);
    const g1 = AsyncTaskProcessor.graphBuilder<Ctx>().addTask(step("a"));
    const g2 = AsyncTaskProcessor.graphBuilder<Ctx>();
    expect(g2).not.toBe(g1);
    expect(g2.build().taskNames).toEqual([]);
    expect(first.build().taskNames).toEqual(["a"]);
    expect(g1.build().taskNames).toEqual(["a"]);
  });

  it("INV-35: build() is a snapshot: tasks added afterwards do not change a processor already built; building again includes them", async () => {
    const builder = AsyncTaskProcessor.builder<Ctx>().addTask(step("a"), 1);
    const early = builder.build();
    builder.addTask(step("b"), 2).addTask(step("c"), 1);
    const later = builder.build();
    expect(later).not.toBe(early);
    expect(early.taskNames).toEqual(["a"]);
    expect(early.describe()).toEqual([{ name: "a", level: 1, phases: ["execute"] }]);
    expect(await ran(early)).toEqual(["a"]);
    expect(later.taskNames).toEqual(["a", "b", "c"]);
    expect(await ran(later)).toEqual(["a", "b", "c"]);
    // Adding more still leaves both alone; the processors stay frozen and reusable.
    builder.addTask(step("d"), 3);
    expect(builder.build().taskNames).toEqual(["a", "b", "c", "d"]);
    expect(early.taskNames).toEqual(["a"]);
    expect(later.taskNames).toEqual(["a", "b", "c"]);
    expect(Object.isFrozen(early)).toBe(true);
    expect(Object.isFrozen(later)).toBe(true);
    const [x, y] = await Promise.all([ran(early), ran(early)]);
    expect([x, y]).toEqual([["a"], ["a"]]);
  });

  it("INV-35: graphBuilder's build() is a snapshot too: tasks added afterwards do not change a processor already built; building again includes them", async () => {
    const builder = AsyncTaskProcessor.graphBuilder<Ctx>().addTask(step("a"));
    const early = builder.build();
    builder.addTask(step("b"), ["a"]);
    const later = builder.build();
    expect(early.describe()).toEqual([{ name: "a", dependsOn: [], phases: ["execute"] }]);
    expect(await ran(early)).toEqual(["a"]);
    expect(later.describe()).toEqual([
      { name: "a", dependsOn: [], phases: ["execute"] },
      { name: "b", dependsOn: ["a"], phases: ["execute"] },
    ]);
    expect(await ran(later)).toEqual(["a", "b"]);
    // A task added later that breaks the workflow only breaks the next build().
    builder.addTask(step("c"), ["ghost"]);
    buildError(() => builder.build(), { code: "missing-dependency", task: "c" });
    expect(later.taskNames).toEqual(["a", "b"]);
    expect(await ran(later)).toEqual(["a", "b"]);
  });

  it("INV-35: changing a dependsOn array after addTask changes nothing (it is copied when added)", () => {
    const dependsOn = ["a"];
    const builder = AsyncTaskProcessor.graphBuilder<Ctx>().addTask(step("a"));
    builder.addTask(step("b"), dependsOn);
    dependsOn[0] = "ghost";
    dependsOn.push("b");
    expect(builder.build().describe()[1]).toEqual({
      name: "b",
      dependsOn: ["a"],
      phases: ["execute"],
    });
  });

  it("INV-35: a failed addTask throws an SdaxBuildError and adds nothing; the builder goes on", () => {
    const levels = AsyncTaskProcessor.builder<Ctx>().addTask(step("a"), 1);
    buildError(() => levels.addTask(step("bad"), 1.5), { code: "invalid-level", task: "bad" });
    buildError(() => levels.addTask({ name: "fake" } as unknown as AsyncTask<Ctx>, 1), {
      code: "invalid-task",
    });
    expect(levels.build().taskNames).toEqual(["a"]);
    expect(levels.addTask(step("bad"), 2).build().taskNames).toEqual(["a", "bad"]);

    const graph = AsyncTaskProcessor.graphBuilder<Ctx>().addTask(step("a"));
    const bad: unknown[] = [
      "a",
      ["a", 1],
      // biome-ignore lint/suspicious/noSparseArray: a hole is the point of this case
      ["a", , "b"],
      null,
    ];
    for (const dependsOn of bad) {
      buildError(() => graph.addTask(step("x"), dependsOn as string[]), {
        code: "invalid-dependencies",
        task: "x",
        field: "dependsOn",
      });
    }
    buildError(() => graph.addTask(undefined as unknown as AsyncTask<Ctx>, ["a"]), {
      code: "invalid-task",
    });
    expect(graph.build().taskNames).toEqual(["a"]);
    // The name "x" was never taken: adding it now is no duplicate.
    expect(graph.addTask(step("x"), ["a"]).build().taskNames).toEqual(["a", "x"]);
  });
});

describe("INV-33: a dependsOn that is not an array of names gets a clear error", () => {
  it('INV-33: a dependsOn with a hole ([, "x"]) is refused at addTask naming the index and the hole, never a raw TypeError at build()', () => {
    const builder = AsyncTaskProcessor.graphBuilder().addTask(t("x"));
    // biome-ignore lint/suspicious/noSparseArray: a hole is the point of this test
    const holey = [, "x"] as unknown as string[];
    const error = buildError(() => builder.addTask(t("a"), holey), {
      code: "invalid-dependencies",
      task: "a",
      field: "dependsOn",
      message: [/task "a"/, /dependsOn\[0\]/, /must be a task name/, /undefined/, /hole/],
    });
    expect(error).toBeInstanceOf(TypeError);
    expect(() => builder.build()).not.toThrow();
    expect(builder.build().taskNames).toEqual(["x"]);
  });

  it("INV-33: a hole after names, a sparse array, and an explicit undefined are refused naming their index", () => {
    const g = () => AsyncTaskProcessor.graphBuilder().addTask(t("b"));
    // biome-ignore lint/suspicious/noSparseArray: a hole is the point of this test
    const middle = ["b", , "b"] as unknown as string[];
    buildError(() => g().addTask(t("a"), middle), {
      code: "invalid-dependencies",
      message: [/dependsOn\[1\]/, /hole/],
    });
    buildError(() => g().addTask(t("a"), new Array<string>(3)), {
      code: "invalid-dependencies",
      message: [/dependsOn\[0\]/, /hole/],
    });
    const explicit = buildError(
      () => g().addTask(t("a"), ["b", undefined] as unknown as string[]),
      { code: "invalid-dependencies", message: [/dependsOn\[1\]/, /undefined/] },
    );
    expect(explicit.message).not.toMatch(/hole/);
  });

  it("INV-33: an element that is not a string is refused naming its index and its value", () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const cases: [unknown, RegExp][] = [
      [1, /1 \(number\)/],
      [null, /null/],
      [Symbol("s"), /Symbol\(s\)/],
      [{ name: "b" }, /\{"name":"b"\} \(object\)/],
      [revoked.proxy, /dependsOn\[1\]/],
    ];
    for (const [value, pattern] of cases) {
      buildError(
        () =>
          AsyncTaskProcessor.graphBuilder()
            .addTask(t("b"))
            .addTask(t("a"), ["b", value] as unknown as string[]),
        {
          code: "invalid-dependencies",
          task: "a",
          field: "dependsOn",
          message: [/dependsOn\[1\] must be a task name \(a string\)/, pattern],
        },
      );
    }
  });

  it("INV-33: dependsOn is read once: each element of a Proxy array is read one time, and what build() sees is that reading", () => {
    const reads = new Map<PropertyKey, number>();
    const answers: Record<string, string[]> = { "0": ["b", "ghost"], "1": ["c", "ghost"] };
    const target = ["?", "?"];
    const shifty = new Proxy(target, {
      get(obj, key, receiver) {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        const queue = typeof key === "string" ? answers[key] : undefined;
        if (queue !== undefined) return queue.shift() ?? 7;
        return Reflect.get(obj, key, receiver);
      },
    });
    const builder = AsyncTaskProcessor.graphBuilder()
      .addTask(t("b"))
      .addTask(t("c"))
      .addTask(t("a"), shifty);
    expect(reads.get("0")).toBe(1);
    expect(reads.get("1")).toBe(1);
    expect(reads.get("length")).toBe(1);
    expect(builder.build().describe()[2]).toEqual({
      name: "a",
      dependsOn: ["b", "c"],
      phases: ["execute"],
    });
    expect(builder.build().taskNames).toEqual(["b", "c", "a"]);
    expect(reads.get("0")).toBe(1);
  });

  it("INV-33: a dependsOn whose reading throws (a getter, a revoked Proxy, a lying length) is refused with an SdaxBuildError whose cause is what was thrown", () => {
    const boom = new Error("boom");
    const getter = ["b"];
    Object.defineProperty(getter, 0, {
      get() {
        throw boom;
      },
    });
    const withGetter = buildError(() => AsyncTaskProcessor.graphBuilder().addTask(t("a"), getter), {
      code: "invalid-dependencies",
      task: "a",
      message: [/dependsOn\[0\]/, /boom/],
    });
    expect(withGetter.cause).toBe(boom);

    const revoked = Proxy.revocable<string[]>([], {});
    revoked.revoke();
    buildError(() => AsyncTaskProcessor.graphBuilder().addTask(t("a"), revoked.proxy), {
      code: "invalid-dependencies",
      task: "a",
      field: "dependsOn",
    });

    for (const length of [-1, 1.5, "2", Number.POSITIVE_INFINITY]) {
      const lying = new Proxy(["b"], {
        get: (obj, key, receiver) => (key === "length" ? length : Reflect.get(obj, key, receiver)),
      });
      buildError(() => AsyncTaskProcessor.graphBuilder().addTask(t("a"), lying), {
        code: "invalid-dependencies",
        message: [/dependsOn\.length/],
      });
    }
    const throwingLength = new Proxy(["b"], {
      get: (obj, key, receiver) => {
        if (key === "length") throw boom;
        return Reflect.get(obj, key, receiver);
      },
    });
    const lengthError = buildError(
      () => AsyncTaskProcessor.graphBuilder().addTask(t("a"), throwingLength),
      { code: "invalid-dependencies", message: [/dependsOn\.length/, /boom/] },
    );
    expect(lengthError.cause).toBe(boom);
  });

  it('INV-33: a missing dependency still names the missing task and suggests a name differing only in case ("did you mean")', () => {
    buildError(
      () => AsyncTaskProcessor.graphBuilder().addTask(t("Auth")).addTask(t("a"), ["auth"]).build(),
      {
        code: "missing-dependency",
        task: "a",
        field: "dependsOn",
        message: [/"auth"/, /did you mean "Auth"/],
      },
    );
  });

  // A typo got no hint: only a name differing in case did.
  it("INV-33: a missing dependency suggests the nearest name, when one is close; none otherwise", () => {
    const dependOn = (names: string[], missing: string) => () =>
      names
        .reduce((b, name) => b.addTask(t(name)), AsyncTaskProcessor.graphBuilder())
        .addTask(t("a"), [missing])
        .build();
    const message = (names: string[], missing: string) => {
      try {
        dependOn(names, missing)();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected a build error");
    };
    expect(message(["database", "cache", "auth"], "databse")).toBe(
      'task "a" depends on "databse", which was not added to this builder (did you mean "database"?)',
    );
    expect(message(["user-profile", "user-profiles"], "userprofile")).toMatch(
      /did you mean "user-profile"\?\)$/,
    );
    // A name of under four characters gets a hint only for another case: "dc" is not "db".
    expect(message(["db"], "dc")).toBe(
      'task "a" depends on "dc", which was not added to this builder',
    );
    expect(message(["database"], "queue")).toBe(
      'task "a" depends on "queue", which was not added to this builder',
    );
    const long = "x".repeat(1_000);
    expect(message([long, `${long}y`], `${long}z`)).toMatch(/which was not added to this builder$/);
  });
});

describe("INV-33: a generator function is refused as a phase", () => {
  function* syncGenerator(): Generator<undefined> {
    yield;
  }
  async function* asyncGenerator(): AsyncGenerator<undefined> {
    yield;
  }
  const methods = {
    *method(): Generator<undefined> {
      yield;
    },
    async *asyncMethod(): AsyncGenerator<undefined> {
      yield;
    },
  };
  const generators: [string, unknown, RegExp][] = [
    ["function*", syncGenerator, /a generator function/],
    ["async function*", asyncGenerator, /an async generator function/],
    ["a bound function*", syncGenerator.bind(null), /a generator function/],
    ["a generator method", methods.method, /a generator function/],
    ["an async generator method", methods.asyncMethod, /an async generator function/],
    [
      "a Proxy of a function* whose getPrototypeOf trap throws",
      new Proxy(syncGenerator, {
        getPrototypeOf() {
          throw new Error("trap");
        },
      }),
      /a generator function/,
    ],
  ];

  for (const [label, fn, kind] of generators) {
    it(`INV-33: ${label} as a bare phase is refused by task() with invalid-phase naming the task and the phase`, () => {
      for (const phase of ["preExecute", "execute", "postExecute"] as const) {
        buildError(() => task("t", { [phase]: fn } as TaskPhases<unknown>), {
          code: "invalid-phase",
          task: "t",
          field: phase,
          message: [
            new RegExp(`task "t" ${phase}:`),
            kind,
            /runs none of its body/,
            /use an async function/,
          ],
        });
      }
    });

    it(`INV-33: ${label} is refused by taskFunc() with invalid-phase, field fn`, () => {
      buildError(() => taskFunc(fn as TaskFn<unknown>, { retries: 1 }), {
        code: "invalid-phase",
        task: undefined,
        field: "fn",
        message: [/^taskFunc: /, kind, /runs none of its body/, /use an async function/],
      });
      buildError(() => taskFunc(fn as TaskFn<unknown>), { code: "invalid-phase", field: "fn" });
    });
  }

  it("INV-33: the generator check never throws and lets every other function through", async () => {
    const revoked = Proxy.revocable(() => undefined, {});
    revoked.revoke();
    class Worker {
      run(): void {}
    }
    const shadowed = () => undefined;
    Object.defineProperty(shadowed, Symbol.toStringTag, {
      get() {
        throw new Error("tag");
      },
    });
    const ordinary: unknown[] = [
      async () => {},
      () => 1,
      function named() {},
      async function namedAsync() {},
      new Worker().run,
      noop.bind(null),
      new Proxy(async () => {}, {}),
      shadowed,
      revoked.proxy,
    ];
    for (const fn of ordinary) {
      expect(() => task("t", { execute: fn as TaskFn<unknown> })).not.toThrow();
      expect(() => taskFunc(fn as TaskFn<unknown>)).not.toThrow();
    }
    // An async function's body does run.
    let ran = false;
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(
        task("t", {
          execute: async () => {
            ran = true;
          },
        }),
        1,
      )
      .build();
    await processor.processTasks({});
    expect(ran).toBe(true);
  });
});

describe("INV-33: a class is refused as a phase", () => {
  class Migrate {
    run(): void {}
  }
  class Derived extends Migrate {}
  const classes: [string, unknown][] = [
    ["a class", Migrate],
    ["a derived class", Derived],
    ["an anonymous class", class {}],
  ];

  for (const [label, fn] of classes) {
    it(`INV-33: ${label} is refused by task() and taskFunc() with invalid-phase, before anything runs`, () => {
      buildError(() => task("migrate", { execute: fn as TaskFn<unknown> }), {
        code: "invalid-phase",
        task: "migrate",
        field: "execute",
        message: [/^task "migrate" execute: a class cannot be a phase/, /without `new` throws/],
      });
      buildError(() => taskFunc(fn as TaskFn<unknown>, { retries: 1 }), {
        code: "invalid-phase",
        task: undefined,
        field: "fn",
        message: [/^taskFunc: a class cannot be a phase/],
      });
    });
  }

  it("INV-33: the class check never throws and lets functions with a prototype through", () => {
    function legacy(this: unknown): void {}
    const unreadable = new Proxy(function proxied() {}, {
      get() {
        throw new Error("trap");
      },
    });
    const classLike = function classify() {};
    for (const fn of [legacy, unreadable, classLike, Migrate.bind(null)]) {
      expect(() => task("t", { execute: fn as TaskFn<unknown> })).not.toThrow();
    }
  });
});

describe("INV-33: hostile values at build time get an SdaxBuildError, never a raw error", () => {
  const revokedObject = (): object => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const boom = new Error("boom");

  it("INV-33: a revoked Proxy given as a task, a name, phases, a phase or options is refused with an SdaxBuildError", () => {
    const asTask = revokedObject() as AsyncTask<unknown>;
    buildError(() => AsyncTaskProcessor.builder().addTask(asTask, 1), {
      code: "invalid-task",
      field: "task",
      message: [/addTask/, /task\(\) or join\(\)/],
    });
    buildError(() => AsyncTaskProcessor.graphBuilder().addTask(asTask), { code: "invalid-task" });
    buildError(() => task(revokedObject() as unknown as string, { execute: noop }), {
      code: "invalid-name",
      field: "name",
    });
    buildError(() => join(revokedObject() as unknown as string), { code: "invalid-name" });
    buildError(() => task("x", revokedObject() as TaskPhases<unknown>), {
      code: "invalid-task",
      task: "x",
      field: "phases",
      message: [/task "x": phases could not be read/],
    });
    buildError(() => task("x", { execute: revokedObject() as TaskFn<unknown> }), {
      code: "invalid-phase",
      task: "x",
      field: "execute",
      message: [/task "x" execute: expected a function/],
    });
    buildError(() => taskFunc(noop, revokedObject() as object), {
      code: "invalid-option",
      field: "options",
      message: [/taskFunc: options must be a plain object/],
    });
  });

  it("INV-33: a getter that throws in a task's phases or in taskFunc options is refused with an SdaxBuildError whose cause is what was thrown", () => {
    const phases = {
      get execute(): TaskFn<unknown> {
        throw boom;
      },
    };
    const phaseError = buildError(() => task("x", phases), {
      code: "invalid-phase",
      task: "x",
      field: "execute",
      message: [/task "x" execute: could not be read/, /boom/],
    });
    expect(phaseError.cause).toBe(boom);
    const options = {
      get retries(): number {
        throw boom;
      },
    };
    const optionError = buildError(() => taskFunc(noop, options), {
      code: "invalid-option",
      field: "options",
      message: [/taskFunc: options could not be read/, /boom/],
    });
    expect(optionError.cause).toBe(boom);
  });

  it("INV-33: a Proxy of a task, or an object inheriting from one or imitating one, is refused at addTask; the builder goes on", async () => {
    const real = step("real");
    const brand = Symbol.for("sdax.AsyncTask");
    const shadowing = { name: { value: "copy" }, execute: { value: taskFunc(noop) } };
    const refused: [AsyncTask<Ctx>, RegExp][] = [
      // its phases are read through the Proxy, where the task's own fields cannot be reached
      [new Proxy(real, {}), /addTask: the task could not be read/],
      [Object.create(real) as AsyncTask<Ctx>, /an object inheriting from a task or imitating one/],
      // own fields shadowing every field a task has do not make it one
      [
        Object.create(real, { ...shadowing, preExecute: { value: undefined } }) as AsyncTask<Ctx>,
        /an object inheriting from a task or imitating one/,
      ],
      // the brand on the object itself, not on the prototype of a task class
      [
        { [brand]: true, name: "copy", execute: taskFunc(noop), postexecute: noop } as never,
        /an object inheriting from a task or imitating one/,
      ],
    ];
    for (const [fake, message] of refused) {
      const levels = AsyncTaskProcessor.builder<Ctx>();
      const graph = AsyncTaskProcessor.graphBuilder<Ctx>();
      for (const add of [() => levels.addTask(fake, 1), () => graph.addTask(fake)]) {
        buildError(add, {
          code: "invalid-task",
          field: "task",
          message: [message, /add the task itself/],
        });
      }
      const ctx: Ctx = { ran: [] };
      await levels.addTask(real, 1).build().processTasks(ctx);
      await graph.addTask(real).build().processTasks(ctx);
      expect(ctx.ran).toEqual(["real", "real"]);
    }
  });

  it("INV-33: a task of another copy of sdax is read once, at addTask, and its name is checked like any task's", async () => {
    const reads: string[] = [];
    const read = <V>(field: string, value: V): V => {
      reads.push(field);
      return value;
    };
    let execute: TaskFn<Ctx> = (ctx) => {
      ctx.ran.push("foreign");
    };
    const foreign = Object.create(
      { [Symbol.for("sdax.AsyncTask")]: true },
      {
        name: { get: () => read("name", "foreign") },
        preExecute: { get: () => read("preExecute", undefined) },
        execute: { get: () => read("execute", taskFunc(execute)) },
        postExecute: { get: () => read("postExecute", undefined) },
      },
    ) as AsyncTask<Ctx>;
    const processor = AsyncTaskProcessor.builder<Ctx>().addTask(foreign, 1).build();
    expect(reads).toEqual(["name", "preExecute", "execute", "postExecute"]);
    execute = () => {
      throw new Error("a later read is never used");
    };
    const ctx: Ctx = { ran: [] };
    await processor.processTasks(ctx);
    await processor.processTasks(ctx);
    expect(ctx.ran).toEqual(["foreign", "foreign"]);
    expect(processor.describe()).toEqual([{ name: "foreign", level: 1, phases: ["execute"] }]);
    expect(reads).toHaveLength(4);
    for (const name of [undefined, 7, "  "]) {
      const unnamed = Object.create(
        { [Symbol.for("sdax.AsyncTask")]: true },
        {
          name: { value: name },
          execute: { value: taskFunc(noop) },
        },
      ) as AsyncTask<Ctx>;
      buildError(() => AsyncTaskProcessor.graphBuilder<Ctx>().addTask(unnamed), {
        code: "invalid-name",
        field: "name",
        message: [/addTask\(\): a task name must be a non-empty string/],
      });
    }
  });
});
