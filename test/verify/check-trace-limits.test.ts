/**
 * checkTrace under a concurrency limit and a run deadline (spec/lifecycle.md INV-37 .. INV-40,
 * section 8): real limited runs pass, and each hand-edited trace is reported under the rule it
 * breaks, so every rule can fail.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTask,
  type AsyncTaskProcessor,
  type Clock,
  checkTrace,
  type LifecycleEvent,
  AsyncTaskProcessor as Processor,
  RetryableError,
  type RunOptions,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  explain,
  ids,
  indexOf,
  recordRun,
  renumber,
  roundTrip,
  runEvent,
  taskEvent,
} from "../support/trace.js";

type Ctx = Record<string, unknown>;
const ok = (): undefined => undefined;

/** Resolves (or rejects) after `ms` of virtual time; rejects when its attempt is aborted. */
const settleAfter =
  (clock: VirtualClock, ms: number, fail = false) =>
  (_ctx: Ctx, scope: TaskScope): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => (fail ? reject(new Error("boom")) : resolve()), ms);
      scope.signal.addEventListener("abort", () => {
        clock.clearTimeout(timer);
        reject(scope.signal.reason);
      });
    });

function levels(
  limit: number | undefined,
  ...rows: readonly (readonly AsyncTask<Ctx>[])[]
): AsyncTaskProcessor<Ctx> {
  let b = Processor.builder<Ctx>();
  rows.forEach((row, level) => {
    for (const t of row) b = b.addTask(t, level + 1);
  });
  return b.build(limit === undefined ? undefined : { maxConcurrency: limit });
}

function expectClean(events: readonly LifecycleEvent[], processor: AsyncTaskProcessor<Ctx>): void {
  expect(explain(checkTrace(events, processor))).toBe("");
  expect(checkTrace(roundTrip(events), processor)).toEqual([]);
}

/** The messages of the violations of one invariant. */
function messages(
  events: readonly LifecycleEvent[],
  processor: AsyncTaskProcessor<Ctx>,
  invariant: string,
): string[] {
  return checkTrace(events, processor)
    .filter((v) => v.invariant === invariant)
    .map((v) => v.message);
}

/** The trace with its start event changed by `edit`. */
function withStart(
  events: readonly LifecycleEvent[],
  edit: (start: Record<string, unknown>) => void,
): LifecycleEvent[] {
  return events.map((e, i) => {
    if (i !== 0) return e;
    const copy: Record<string, unknown> = { ...e };
    edit(copy);
    return copy as unknown as LifecycleEvent;
  });
}

function countEvents(events: readonly LifecycleEvent[], event: string): number {
  return events.filter((e) => e.type === "task" && e.event === event).length;
}

async function run(
  processor: AsyncTaskProcessor<Ctx>,
  options: RunOptions & { clock: VirtualClock },
): Promise<readonly LifecycleEvent[]> {
  const r = await recordRun(processor, {}, options);
  expect(r.settled).toBe(true);
  return r.events;
}

describe("checkTrace accepts limited runs (INV-37, INV-38, INV-39)", () => {
  it("INV-2 INV-37 INV-38: queued preExecutes of a level run are entered (queuePre) without a false INV-2", async () => {
    const clock = new VirtualClock();
    const full = (name: string, ms: number) =>
      task(name, {
        preExecute: settleAfter(clock, ms),
        execute: settleAfter(clock, 1),
        postExecute: ok,
      });
    const p = levels(2, [full("a", 1), full("b", 3), full("c", 2)], [full("d", 1), full("e", 1)]);
    const events = await run(p, { clock });
    expect(countEvents(events, "queuePre")).toBeGreaterThan(0);
    expect(countEvents(events, "queueExec")).toBeGreaterThan(0);
    expectClean(events, p);
  });

  it("INV-38: a limit from build() and a run's own limit both show in the start event", async () => {
    const clock = new VirtualClock();
    const p = levels(1, [
      task("a", { preExecute: settleAfter(clock, 1), postExecute: settleAfter(clock, 1) }),
    ]);
    const byBuild = await run(p, { clock });
    expect(byBuild[0]).toMatchObject({ type: "run", event: "start", maxConcurrency: 1 });
    expectClean(byBuild, p);
    const own = await run(p, { clock, maxConcurrency: 3 });
    expect(own[0]).toMatchObject({ maxConcurrency: 3 });
    expectClean(own, p);
    const unlimited = await run(p, { clock, maxConcurrency: Number.POSITIVE_INFINITY });
    expect("maxConcurrency" in unlimited[0]!).toBe(false);
    expectClean(unlimited, p);
  });

  it("INV-3 INV-7 INV-39: a failure skips queued preExecutes; a queued execute is torn down like a ready task", async () => {
    const clock = new VirtualClock();
    const p1 = Processor.builder<Ctx>()
      .addTask(task("a", { preExecute: settleAfter(clock, 2, true), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .addTask(task("c", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .build({ maxConcurrency: 1 });
    const skipped = await run(p1, { clock });
    expect(countEvents(skipped, "skip")).toBe(2);
    expectClean(skipped, p1);

    const p2 = Processor.builder<Ctx>()
      .addTask(task("a", { execute: settleAfter(clock, 2, true), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: ok, execute: settleAfter(clock, 1), postExecute: ok }), 1)
      .build({ maxConcurrency: 1 });
    const leftQueued = await run(p2, { clock });
    const bTeardown = indexOf(
      leftQueued,
      (e) => e.type === "task" && e.task === "b" && e.from === "execQueued",
    );
    expect(leftQueued[bTeardown]).toMatchObject({ event: "queuePost" });
    expectClean(leftQueued, p2);
  });

  it("INV-37 INV-38: retries, timeouts, abandonment and a graph under limits 1 to 3 have no violation", async () => {
    for (const limit of [1, 2, 3]) {
      const clock = new VirtualClock();
      let tries = 0;
      const flaky = taskFunc<Ctx>(
        () => {
          tries++;
          if (tries % 3 !== 0) throw new RetryableError(`try ${tries}`);
        },
        { retries: 3, initialDelayMs: 2 },
      );
      const stubborn = taskFunc<Ctx>(
        () => new Promise<void>((r) => clock.setTimeout(() => r(), 50)),
        {
          timeoutMs: 3,
          abandonAfterMs: 4,
        },
      );
      const p = Processor.graphBuilder<Ctx>()
        .addTask(task("root", { preExecute: flaky, postExecute: settleAfter(clock, 2) }), [])
        .addTask(task("l", { preExecute: settleAfter(clock, 3), execute: ok, postExecute: ok }), [
          "root",
        ])
        .addTask(
          task("r", { preExecute: settleAfter(clock, 1), postExecute: settleAfter(clock, 2) }),
          ["root"],
        )
        .addTask(task("m", { postExecute: settleAfter(clock, 1) }), ["root"])
        .addTask(task("top", { preExecute: ok, execute: stubborn, postExecute: ok }), ["l", "r"])
        .build({ maxConcurrency: limit });
      const events = await run(p, { clock, random: () => 0.5 });
      expectClean(events, p);
    }
  });

  it("INV-37: a postExecute that timed out keeps its slot until its function settles", async () => {
    const clock = new VirtualClock();
    // Times out at 2 ms, ignores its signal and settles at 7 ms.
    const stubborn = taskFunc<Ctx>(() => new Promise<void>((r) => clock.setTimeout(() => r(), 7)), {
      timeoutMs: 2,
    });
    const p = levels(1, [
      task("a", { preExecute: ok, postExecute: stubborn }),
      task("b", { preExecute: ok, postExecute: settleAfter(clock, 1) }),
    ]);
    const events = await run(p, { clock });
    const bPost = indexOf(events, taskEvent("b", "startPost"));
    expect(events[bPost]).toMatchObject({ from: "postQueued", at: 7 });
    expect(indexOf(events, taskEvent("a", "settle"))).toBeLessThan(bPost);
    expectClean(events, p);
  });

  for (const at of [0, 1, 3, 6, 9]) {
    it(`INV-4 INV-39 INV-40: a deadline of ${at} ms under a limit of 1 has no violation`, async () => {
      const clock = new VirtualClock();
      const full = (name: string) =>
        task(name, {
          preExecute: settleAfter(clock, 2),
          execute: settleAfter(clock, 2),
          postExecute: settleAfter(clock, 1),
        });
      const p = levels(1, [full("a"), full("b")], [full("c")]);
      const events = await run(p, { clock, timeoutMs: at });
      expect(events[0]).toMatchObject({ timeoutMs: at });
      expectClean(events, p);
    });
  }

  it("INV-17 INV-40: a deadline of 0 ms fired from inside setTimeout aborts after the run started", async () => {
    const clock = new VirtualClock();
    const eager: Clock = {
      now: () => clock.now(),
      setTimeout: (callback, ms) => {
        if (ms === 0) {
          callback();
          return undefined;
        }
        return clock.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle as never),
    };
    const p = levels(
      2,
      [task("a", { preExecute: ok, postExecute: ok }), task("b", { postExecute: ok })],
      [task("c", { preExecute: ok })],
    );
    const r = await recordRun(p, {}, { clock: eager as VirtualClock, timeoutMs: 0 });
    expect(r.events[1]).toMatchObject({ type: "run", event: "abort" });
    expectClean(r.events, p);
  });
});

describe("checkTrace reports broken limits (INV-37, INV-38, INV-39)", () => {
  async function threeRoots(limit: number | undefined, clock: VirtualClock) {
    const p = Processor.builder<Ctx>()
      .addTask(task("a", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .addTask(task("x", { preExecute: settleAfter(clock, 2), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: settleAfter(clock, 10), postExecute: ok }), 1)
      .build(limit === undefined ? undefined : { maxConcurrency: limit });
    return { p, events: await run(p, { clock }) };
  }

  it("INV-37: more tasks holding a slot than the start event's limit", async () => {
    const { p, events } = await threeRoots(undefined, new VirtualClock());
    const edited = withStart(events, (s) => {
      s.maxConcurrency = 2;
    });
    expect(messages(edited, p, "INV-37").join("\n")).toMatch(/makes 3 tasks hold a slot.*is 2/);
  });

  it("INV-37: a start event whose maxConcurrency is not a limit", async () => {
    const { p, events } = await threeRoots(2, new VirtualClock());
    const edited = withStart(events, (s) => {
      s.maxConcurrency = 0;
    });
    expect(messages(edited, p, "INV-37").join("\n")).toMatch(/maxConcurrency 0, which is not/);
  });

  it("INV-38: a phase queued in a run without a limit", async () => {
    const { p, events } = await threeRoots(2, new VirtualClock());
    const edited = withStart(events, (s) => {
      delete s.maxConcurrency;
    });
    expect(messages(edited, p, "INV-38").join("\n")).toMatch(/no concurrency limit/);
  });

  it("INV-38: a phase queued while a slot was free and nothing was queued", async () => {
    const { p, events } = await threeRoots(2, new VirtualClock());
    const edited = withStart(events, (s) => {
      s.maxConcurrency = 3;
    });
    expect(messages(edited, p, "INV-38").join("\n")).toMatch(/slots were taken and nothing/);
  });

  it("INV-38: a phase started at once while every slot was taken", async () => {
    const clock = new VirtualClock();
    const { p, events } = await threeRoots(2, clock);
    // The same run as if the engine had started b at once: b's queuePre becomes a startPre
    // from waiting, and its grant disappears.
    const q = indexOf(events, taskEvent("b", "queuePre"));
    const g = indexOf(events, taskEvent("b", "startPre"));
    const edited = renumber(
      events
        .map((e, i) => (i === q ? { ...e, event: "startPre", to: "preRunning" } : e))
        .filter((_, i) => i !== g) as LifecycleEvent[],
    );
    const found = messages(edited, p, "INV-38").join("\n");
    expect(found).toMatch(/at once while all 2 slots were taken; it must be queued/);
  });

  it("INV-38: queued phases start in queue order, ties by add order", async () => {
    const clock = new VirtualClock();
    const p = Processor.builder<Ctx>()
      .addTask(task("a", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .addTask(task("c", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .build({ maxConcurrency: 1 });
    const events = await run(p, { clock });
    const qb = indexOf(events, taskEvent("b", "queuePre"));
    const qc = indexOf(events, taskEvent("c", "queuePre"));
    expect(qc).toBe(qb + 1);
    const swapped = renumber(
      events.map((e, i) => (i === qb ? events[qc]! : i === qc ? events[qb]! : e)),
    );
    const found = messages(swapped, p, "INV-38").join("\n");
    expect(found).toMatch(/out of queue order: "c" was queued first/);
    expect(found).toMatch(/by the same event and "b" was added first/);
  });

  it("INV-38: postExecutes freed by the same event are queued in add order (graph mode)", async () => {
    const clock = new VirtualClock();
    const post = (name: string) => task(name, { postExecute: settleAfter(clock, 1) });
    const p = Processor.graphBuilder<Ctx>()
      .addTask(post("a"), [])
      .addTask(post("b"), [])
      .addTask(post("c"), [])
      .build({ maxConcurrency: 1 });
    const events = await run(p, { clock });
    expectClean(events, p);
    const qb = indexOf(events, taskEvent("b", "queuePost"));
    const qc = indexOf(events, taskEvent("c", "queuePost"));
    expect(qc).toBe(qb + 1);
    const swapped = renumber(
      events.map((e, i) => (i === qb ? events[qc]! : i === qc ? events[qb]! : e)),
    );
    expect(messages(swapped, p, "INV-38").join("\n")).toMatch(
      /postExecute of "b" was queued after that of "c", although both could begin their teardown by the same event and "b" was added first/,
    );
  });

  it("INV-38: the execute step starts or queues executes in add order", async () => {
    const clock = new VirtualClock();
    const p = levels(1, [
      task("a", { execute: settleAfter(clock, 1) }),
      task("b", { execute: settleAfter(clock, 1) }),
      task("c", { execute: settleAfter(clock, 1) }),
    ]);
    const events = await run(p, { clock });
    const qb = indexOf(events, taskEvent("b", "queueExec"));
    const qc = indexOf(events, taskEvent("c", "queueExec"));
    const swapped = renumber(
      events.map((e, i) => (i === qb ? events[qc]! : i === qc ? events[qb]! : e)),
    );
    expect(messages(swapped, p, "INV-38").join("\n")).toMatch(
      /queueExec.*after task "c", which was added later/,
    );
  });

  it("INV-38: a freed slot goes to the oldest queued phase in the same step", async () => {
    const clock = new VirtualClock();
    const { p, events } = await threeRoots(2, clock);
    expectClean(events, p);
    // a frees its slot at 1 ms and b gets it in that step; move b's grant (its startPre and
    // its attempt's start) into the next step, the one x's attempt succeeding begins at 2 ms.
    const g = indexOf(events, taskEvent("b", "startPre"));
    const next = indexOf(
      events,
      (e) => e.type === "attempt" && e.task === "x" && e.event === "succeed",
    );
    const grant = events.slice(g, g + 2).map((e) => ({ ...e, at: events[next]!.at }));
    const moved = renumber([
      ...events.slice(0, g),
      ...events.slice(g + 2, next + 1),
      ...(grant as LifecycleEvent[]),
      ...events.slice(next + 1),
    ]);
    const found = messages(moved, p, "INV-38");
    expect(found.join("\n")).toMatch(
      /a slot was free \(1 of 2 taken since .*"b" was queued, and the step ended/,
    );
    expect(ids(checkTrace(moved, p))).toEqual(["INV-38"]);
  });

  async function failingWithQueue() {
    const clock = new VirtualClock();
    const p = Processor.builder<Ctx>()
      .addTask(task("a", { preExecute: settleAfter(clock, 2, true), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .addTask(task("c", { preExecute: settleAfter(clock, 1), postExecute: ok }), 1)
      .build({ maxConcurrency: 1 });
    return { p, events: await run(p, { clock }) };
  }

  it("INV-39: queued preExecutes are skipped in queue order", async () => {
    const { p, events } = await failingWithQueue();
    const sb = indexOf(events, taskEvent("b", "skip"));
    const sc = indexOf(events, taskEvent("c", "skip"));
    expect(sc).toBe(sb + 1);
    const swapped = renumber(
      events.map((e, i) => (i === sb ? events[sc]! : i === sc ? events[sb]! : e)),
    );
    expect(messages(swapped, p, "INV-39").join("\n")).toMatch(
      /out of queue order: "b" was queued first/,
    );
  });

  it("INV-39: a queued preExecute not skipped in the step the run began failing", async () => {
    const { p, events } = await failingWithQueue();
    const sc = indexOf(events, taskEvent("c", "skip"));
    const quiesce = indexOf(events, runEvent("quiesce"));
    const moved = renumber([
      ...events.slice(0, sc),
      ...events.slice(sc + 1, quiesce + 1),
      events[sc]!,
      ...events.slice(quiesce + 1),
    ]);
    expect(messages(moved, p, "INV-39").join("\n")).toMatch(
      /"c" was still waiting for a slot after the step/,
    );
  });

  it("INV-39: a queued preExecute that starts once the run is failing", async () => {
    const { p, events } = await failingWithQueue();
    const sb = indexOf(events, taskEvent("b", "skip"));
    const edited = renumber(
      events.map((e, i) =>
        i === sb
          ? ({ ...e, event: "startPre", to: "preRunning", phase: "preExecute" } as LifecycleEvent)
          : e,
      ),
    );
    expect(messages(edited, p, "INV-39").join("\n")).toMatch(
      /a queued preExecute started while the run was failing/,
    );
  });

  it("INV-39: a queued execute that starts once the run is failing", async () => {
    const clock = new VirtualClock();
    const p = levels(1, [
      task("a", { execute: settleAfter(clock, 2, true) }),
      task("b", { execute: settleAfter(clock, 1) }),
    ]);
    const events = await run(p, { clock });
    const fail = indexOf(events, runEvent("fail"));
    const grant = {
      ...events[fail]!,
      type: "task",
      task: "b",
      event: "startExec",
      from: "execQueued",
      to: "execRunning",
      phase: "execute",
    } as LifecycleEvent;
    const edited = renumber([...events.slice(0, fail + 1), grant, ...events.slice(fail + 1)]);
    expect(messages(edited, p, "INV-39").join("\n")).toMatch(
      /a queued execute started while the run was failing/,
    );
  });
});

describe("checkTrace reports a broken run deadline (INV-40)", () => {
  async function deadlineRun() {
    const clock = new VirtualClock();
    const p = levels(undefined, [
      task("a", { preExecute: settleAfter(clock, 20), postExecute: settleAfter(clock, 1) }),
    ]);
    const events = await run(p, { clock, timeoutMs: 5 });
    const abort = indexOf(events, runEvent("abort"));
    expect(events[abort]).toMatchObject({
      at: 5,
      abortedBy: "deadline",
      reason: { name: "TimeoutError" },
    });
    expectClean(events, p);
    return { p, events, abort };
  }

  it("INV-40: a deadline that aborts before its time", async () => {
    const { p, events, abort } = await deadlineRun();
    const early = events.map((e, i) => (i === abort ? { ...e, at: 3 } : e));
    expect(messages(early, p, "INV-40").join("\n")).toMatch(
      /aborted it 3 ms after it started; its timeoutMs is 5/,
    );
  });

  it("INV-40: a deadline abort in a run that has none, or another one", async () => {
    const { p, events } = await deadlineRun();
    const none = withStart(events, (s) => {
      delete s.timeoutMs;
    });
    expect(messages(none, p, "INV-40").join("\n")).toMatch(/carries no timeoutMs/);
    const other = withStart(events, (s) => {
      s.timeoutMs = 4;
    });
    expect(messages(other, p, "INV-40").join("\n")).toMatch(
      /deadline of 5 ms; its start event says timeoutMs 4/,
    );
    const invalid = withStart(events, (s) => {
      s.timeoutMs = "soon";
    });
    expect(messages(invalid, p, "INV-40").join("\n")).toMatch(
      /timeoutMs soon, which is not a number/,
    );
  });

  it("INV-40: a deadline abort once cleanup began", async () => {
    const clock = new VirtualClock();
    const p = levels(undefined, [
      task("a", { preExecute: ok, postExecute: settleAfter(clock, 10) }),
    ]);
    const events = await run(p, { clock, timeoutMs: 5 });
    expectClean(events, p);
    const cleanup = indexOf(events, runEvent("cleanup"));
    const late = {
      type: "run",
      seq: 0,
      at: 5,
      event: "abort",
      from: "cleaningUp",
      to: "failing",
      reason: { name: "TimeoutError", message: "sdax run timed out: its deadline of 5 ms passed" },
      abortedBy: "deadline",
    } as LifecycleEvent;
    const edited = renumber([...events.slice(0, cleanup + 1), late, ...events.slice(cleanup + 1)]);
    expect(messages(edited, p, "INV-40").join("\n")).toMatch(/deadline aborted it in cleaningUp/);
  });
});
