import { describe, expect, it } from "vitest";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  type BuildErrorCode,
  isSdaxBuildError,
  join,
  PhaseRunner,
  SdaxBuildError,
  type TaskPhases,
  task,
} from "../../src/index.js";
import { planOf } from "../../src/processor.js";

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
  expect(caught).toBeInstanceOf(TypeError);
  expect(isSdaxBuildError(caught)).toBe(true);
  const error = caught as SdaxBuildError;
  expect(error.name).toBe("SdaxBuildError");
  expect(error.code).toBe(expected.code);
  if ("task" in expected) expect(error.task).toBe(expected.task);
  if (expected.field !== undefined) expect(error.field).toBe(expected.field);
  for (const pattern of expected.message ?? []) expect(error.message).toMatch(pattern);
  return error;
}

const noop = () => undefined;
const t = (name: string): AsyncTask<unknown> => task(name, { execute: noop });

describe("spec 1: build-time validation", () => {
  it("spec 1: a duplicate name is refused in level and graph mode, naming the task", () => {
    buildError(() => AsyncTaskProcessor.builder().addTask(t("a"), 1).addTask(t("a"), 2).build(), {
      code: "duplicate-name",
      task: "a",
      field: "name",
      message: [/"a"/, /twice/],
    });
    buildError(() => AsyncTaskProcessor.graphBuilder().addTask(t("a")).addTask(t("a")).build(), {
      code: "duplicate-name",
      task: "a",
      field: "name",
    });
    // A join and a task with the same name collide too.
    buildError(() => AsyncTaskProcessor.graphBuilder().addTask(join("a")).addTask(t("a")).build(), {
      code: "duplicate-name",
      task: "a",
    });
  });

  it("spec 1: in a workflow of thousands of tasks (names kept in shards), a duplicate anywhere is refused naming both places", () => {
    const names = Array.from({ length: 9_000 }, (_, i) => `task-${i}`);
    for (const [first, second] of [
      [0, 8_999],
      [4_321, 4_322],
      [8_998, 8_999],
    ] as const) {
      const levels = AsyncTaskProcessor.builder();
      const graph = AsyncTaskProcessor.graphBuilder();
      names.forEach((name, i) => {
        const used = i === second ? names[first]! : name;
        levels.addTask(t(used), i % 7);
        graph.addTask(t(used), i === 0 ? [] : [names[i - 1]!]);
      });
      for (const builder of [levels, graph]) {
        buildError(() => builder.build(), {
          code: "duplicate-name",
          task: names[first]!,
          message: [new RegExp(`tasks #${first + 1} and #${second + 1} added`)],
        });
      }
    }
  });

  it("spec 1: in a graph of thousands of tasks, every dependency is found by its name", async () => {
    const count = 9_000;
    const order: number[] = [];
    const builder = AsyncTaskProcessor.graphBuilder();
    // Added last first: task i depends on task i + 1, so the run goes from the last added up.
    for (let i = 0; i < count; i++) {
      const dependsOn = i === count - 1 ? [] : [`task-${i + 1}`];
      builder.addTask(task(`task-${i}`, { preExecute: () => void order.push(i) }), dependsOn);
    }
    const processor = builder.build();
    expect(processor.describe()[17]).toMatchObject({ name: "task-17", dependsOn: ["task-18"] });
    await processor.processTasks({});
    expect(order).toEqual(Array.from({ length: count }, (_, i) => count - 1 - i));
  });

  it("spec 1: a missing dependency is refused, naming the task and the missing name", () => {
    buildError(
      () => AsyncTaskProcessor.graphBuilder().addTask(t("a"), ["ghost"]).addTask(t("b")).build(),
      { code: "missing-dependency", task: "a", field: "dependsOn", message: [/"a"/, /"ghost"/] },
    );
  });

  it("spec 1: a self-dependency is refused", () => {
    buildError(() => AsyncTaskProcessor.graphBuilder().addTask(t("a"), ["a"]).build(), {
      code: "self-dependency",
      task: "a",
      field: "dependsOn",
      message: [/"a"/, /itself/],
    });
  });

  it("spec 1: a cycle is refused with its path, whose every step is a real dependency", () => {
    const deps: Record<string, string[]> = {
      root: [],
      a: ["root", "c"],
      b: ["a"],
      c: ["b"],
      d: ["c"],
    };
    const builder = AsyncTaskProcessor.graphBuilder();
    for (const [name, dependsOn] of Object.entries(deps)) builder.addTask(t(name), dependsOn);
    const error = buildError(() => builder.build(), { code: "cycle", field: "dependsOn" });
    const match = /((?:"?\w+"? -> )+"?\w+"?)/.exec(error.message);
    expect(match, error.message).not.toBeNull();
    const path = match![1]!.split(" -> ").map((s) => s.replaceAll('"', ""));
    expect(path[0]).toBe(path.at(-1)); // a closed path
    expect(new Set(path.slice(1))).toEqual(new Set(["a", "b", "c"]));
    expect(["a", "b", "c"]).toContain(error.task);
    for (let i = 0; i + 1 < path.length; i++) {
      expect(deps[path[i]!], `${path[i]} depends on ${path[i + 1]}`).toContain(path[i + 1]);
    }
    // The two-node cycle of the spec: a -> b -> a.
    const two = buildError(
      () => AsyncTaskProcessor.graphBuilder().addTask(t("a"), ["b"]).addTask(t("b"), ["a"]).build(),
      { code: "cycle" },
    );
    expect(two.message.replaceAll('"', "")).toMatch(/a -> b -> a|b -> a -> b/);
  });

  // The message listed every task of the cycle: 589 KB for one of 50,000 tasks.
  it("spec 1: a long cycle is shown by its first and last ten steps, with the count between", () => {
    const builder = AsyncTaskProcessor.graphBuilder();
    for (let i = 0; i < 1_000; i++) builder.addTask(t(`t${i}`), [`t${(i + 1) % 1_000}`]);
    const error = buildError(() => builder.build(), { code: "cycle", field: "dependsOn" });
    const steps = error.message.split(" -> ");
    expect(steps).toHaveLength(21);
    expect(steps[10]).toBe("... 981 more ...");
    expect(error.message.length).toBeLessThan(400);
  });

  for (const level of [
    Number.NaN,
    1.5,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 60,
    -(2 ** 53),
  ]) {
    it(`spec 1: level ${level} (not a safe integer) is refused at addTask`, () => {
      buildError(() => AsyncTaskProcessor.builder().addTask(t("x"), level), {
        code: "invalid-level",
        task: "x",
        field: "level",
        message: [/"x"/, /safe integer/, new RegExp(String(level).replace("+", "\\+"))],
      });
    });
  }

  it("spec 1: a level that is not a number is refused, with what it most likely meant", () => {
    buildError(() => AsyncTaskProcessor.builder().addTask(t("x"), "1" as unknown as number), {
      code: "invalid-level",
      task: "x",
      field: "level",
      message: [/got "1" \(string\); give it as a number, not a string$/],
    });
    buildError(() => AsyncTaskProcessor.builder().addTask(t("x"), undefined as unknown as number), {
      code: "invalid-level",
      message: [/got undefined; give each task its level, as addTask\(task, 1\)$/],
    });
    buildError(() => AsyncTaskProcessor.builder().addTask(t("x"), ["a"] as unknown as number), {
      code: "invalid-level",
      message: [/use AsyncTaskProcessor\.graphBuilder\(\), whose addTask\(task, \[names\]\)/],
    });
    // The extremes of the safe range are fine.
    const p = AsyncTaskProcessor.builder()
      .addTask(t("lo"), Number.MIN_SAFE_INTEGER)
      .addTask(t("hi"), Number.MAX_SAFE_INTEGER)
      .build();
    expect(p.taskNames).toEqual(["lo", "hi"]);
  });

  for (const name of ["", "   ", 7, undefined, null]) {
    it(`spec 1: name ${JSON.stringify(name) ?? "undefined"} is refused by task() and join()`, () => {
      buildError(() => task(name as string, { execute: noop }), {
        code: "invalid-name",
        task: undefined,
        field: "name",
        message: [/non-empty string, not only spaces, got /],
      });
      buildError(() => join(name as string), { code: "invalid-name", field: "name" });
    });
  }

  it("spec 1: a task with no phase is refused with a message pointing to join()", () => {
    for (const phases of [{}, { preExecute: undefined, execute: undefined }]) {
      buildError(() => task("empty", phases), {
        code: "no-phase",
        task: "empty",
        field: "phases",
        message: [/"empty"/, /join\("empty"\)/],
      });
    }
  });

  it("spec 1: anything that is not a task made by task() or join() is refused by addTask", () => {
    const fake = Object.freeze({
      name: "fake",
      preExecute: undefined,
      execute: noop,
      postExecute: undefined,
    });
    for (const value of [fake, { ...t("copy") }, "a", null, undefined, noop]) {
      const asTask = value as unknown as AsyncTask<unknown>;
      buildError(() => AsyncTaskProcessor.builder().addTask(asTask, 1), {
        code: "invalid-task",
        field: "task",
        message: [/task\(\) or join\(\)/],
      });
      buildError(() => AsyncTaskProcessor.graphBuilder().addTask(asTask), { code: "invalid-task" });
    }
  });

  it("spec 1: an unknown phase key (a typo) is refused, naming the key", () => {
    buildError(() => task("x", { preexecute: noop } as unknown as TaskPhases<unknown>), {
      code: "invalid-phase",
      task: "x",
      field: "preexecute",
      message: [/preexecute/, /preExecute, execute and postExecute/],
    });
  });

  it("spec 1: a phase key in Python's snake case or another case is refused with the phase it meant", () => {
    const cases: [string, string][] = [
      ["pre_execute", "preExecute"],
      ["post_execute", "postExecute"],
      ["Execute", "execute"],
    ];
    for (const [key, meant] of cases) {
      buildError(() => task("x", { [key]: noop } as unknown as TaskPhases<unknown>), {
        code: "invalid-phase",
        task: "x",
        field: key,
        message: [
          new RegExp(
            `^task "x": unknown phase \`${key}\` \\(did you mean \`${meant}\`\\?\\); the phases are`,
          ),
        ],
      });
    }
  });

  it("spec 1: an option given among the phases is refused, saying it belongs to taskFunc", () => {
    buildError(() => task("x", { execute: noop, timeoutMs: 5 } as unknown as TaskPhases<unknown>), {
      code: "invalid-phase",
      task: "x",
      field: "timeoutMs",
      message: [/unknown phase `timeoutMs`/, /give it with taskFunc\(fn, \{ timeoutMs \}\)/],
    });
  });

  it("spec 1: a phase that is not a function is refused, naming the task and the phase", () => {
    for (const value of [42, "fn", null, {}]) {
      buildError(() => task("x", { execute: value } as unknown as TaskPhases<unknown>), {
        code: "invalid-phase",
        task: "x",
        field: "execute",
        message: [/"x"/, /execute/, /function/],
      });
    }
  });

  it("spec 1: dependsOn that is not an array of names is refused", () => {
    for (const dependsOn of ["a", [1], null]) {
      buildError(
        () => AsyncTaskProcessor.graphBuilder().addTask(t("x"), dependsOn as unknown as string[]),
        { code: "invalid-dependencies", task: "x", field: "dependsOn" },
      );
    }
  });
});

describe("spec 1: builders add in place, processors are frozen", () => {
  it("spec 1 INV-35: addTask adds to the builder and returns it; each build() is a snapshot of what was added so far", () => {
    const b0 = AsyncTaskProcessor.builder();
    const empty = b0.build();
    const b1 = b0.addTask(t("a"), 1);
    expect(b1).toBe(b0);
    const afterA = b0.build();
    expect(b1.addTask(t("b"), 2)).toBe(b0);
    expect(empty.taskNames).toEqual([]);
    expect(afterA.taskNames).toEqual(["a"]);
    expect(b0.build().taskNames).toEqual(["a", "b"]);
    const g1 = AsyncTaskProcessor.graphBuilder().addTask(t("a"));
    const onlyA = g1.build();
    expect(g1.addTask(t("b"), ["a"])).toBe(g1);
    expect(onlyA.describe()).toEqual([{ name: "a", dependsOn: [], phases: ["execute"] }]);
    expect(g1.build().taskNames).toEqual(["a", "b"]);
    // A duplicate is refused at build(); the processors built before it are untouched.
    g1.addTask(t("a"));
    expect(() => g1.build()).toThrow(SdaxBuildError);
    expect(onlyA.taskNames).toEqual(["a"]);
  });

  it("spec 1: tasks, task functions and processors are frozen", () => {
    const a = task("a", { preExecute: noop, execute: noop });
    const processor = AsyncTaskProcessor.builder().addTask(a, 1).build();
    for (const value of [a, a.preExecute, a.execute, join("j"), processor]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => {
      (a as { name: string }).name = "renamed";
    }).toThrow(TypeError);
    expect(() => {
      (processor as unknown as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
    expect(a.name).toBe("a");
    // describe() hands out data that cannot change the processor.
    const described = processor.describe();
    (described as unknown as unknown[]).length = 0;
    expect(processor.describe()).toHaveLength(1);
  });
});

describe("spec 1: processors and runners are made only by sdax", () => {
  it("spec 1: the constructors of AsyncTaskProcessor and PhaseRunner, called by hand, throw a TypeError naming the way to make one", () => {
    const made = AsyncTaskProcessor.builder().addTask(t("a"), 1).build();
    // The constructors are private to TypeScript; a JavaScript caller reaches them.
    const Processor = AsyncTaskProcessor as unknown as new (plan: unknown) => unknown;
    const Runner = PhaseRunner as unknown as new (makeRun: unknown) => unknown;
    const byHand: [() => unknown, RegExp][] = [
      [() => new Processor(undefined), /made by a builder.*builder\(\)/],
      [() => new Processor({ tasks: [] }), /made by a builder/],
      // A copy of a real plan, every field right, is still not one a builder made.
      [() => new Processor({ ...planOf(made) }), /made by a builder/],
      [() => new Runner(undefined), /made by processor\.open\(ctx\)/],
      [() => new Runner(() => ({})), /made by processor\.open\(ctx\)/],
    ];
    for (const [make, message] of byHand) expect(make).toThrow(new RegExp(message.source));
    for (const [make] of byHand) expect(make).toThrow(TypeError);
    expect(made.open(undefined).nextPhase).toBe("preExecute");
    // Never called: only typed.
    const typed = () => [
      // @ts-expect-error: the constructor is private; build() makes processors
      new AsyncTaskProcessor(planOf(made)),
      // @ts-expect-error: the constructor is private; open() makes runners
      new PhaseRunner(() => undefined as never),
    ];
    void typed;
  });
});

describe("spec 1: level mode scales linearly", () => {
  it("spec 1: two levels of 10,000 tasks each build with a barrier (linear edges) and run in level order", async () => {
    const builder = AsyncTaskProcessor.builder<{
      lower: number;
      upperEarly: number;
      posts: number;
    }>();
    for (let i = 0; i < 10_000; i++) {
      builder
        .addTask(
          task(`l${i}`, {
            preExecute: (ctx) => {
              ctx.lower++;
            },
          }),
          1,
        )
        .addTask(
          task(`u${i}`, {
            preExecute: (ctx) => {
              if (ctx.lower < 10_000) ctx.upperEarly++;
            },
            postExecute: (ctx) => {
              ctx.posts++;
            },
          }),
          2,
        );
    }
    const processor = builder.build();
    const described = processor.describe();
    expect(described).toHaveLength(20_000);
    expect(described.filter((d) => d.level === 1)).toHaveLength(10_000);
    expect(described[1]).toEqual({ name: "u0", level: 2, phases: ["preExecute", "postExecute"] });
    // Structure, not time: one barrier, 2 x 10,000 edges (not 10,000 x 10,000).
    const { planOf } = await import("../../src/processor.js");
    const plan = planOf(processor);
    expect(plan.nodeCount).toBe(20_001);
    expect(plan.dependencies.length).toBe(20_000);
    expect(plan.dependents.length).toBe(20_000);
    const ctx = { lower: 0, upperEarly: 0, posts: 0 };
    await expect(processor.processTasks(ctx)).resolves.toMatchObject({ tasks: 20_000 });
    expect(ctx).toEqual({ lower: 10_000, upperEarly: 0, posts: 10_000 });
  });
});
