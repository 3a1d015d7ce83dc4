/**
 * checkTrace (spec/lifecycle.md section 5, spec/task-functions.md section 10): good traces of
 * real runs pass, saved-and-reloaded traces check the same, and each hand-edited trace is
 * reported under the invariant it breaks.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTask,
  type AsyncTaskProcessor,
  checkTrace,
  join,
  type LifecycleEvent,
  AsyncTaskProcessor as Processor,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { ABORTED_AT_START, eventWords } from "../helpers/recorder.js";
import {
  explain,
  ids,
  indexOf,
  type RecordedRun,
  recordRun,
  renumber,
  roundTrip,
  runEvent,
  taskEvent,
} from "../support/trace.js";

type Ctx = Record<string, unknown>;
const ok = (): undefined => undefined;
const boom = (): never => {
  throw new Error("boom");
};
/** Resolves after `ms` of the run's virtual time; rejects when the attempt is aborted. */
const settleAfter =
  (clock: VirtualClock, ms: number, fail = false) =>
  (_ctx: Ctx, scope: TaskScope): Promise<void> =>
    new Promise((resolve, reject) => {
      const signal = scope.signal;
      const timer = clock.setTimeout(() => (fail ? reject(new Error("late boom")) : resolve()), ms);
      signal.addEventListener("abort", () => {
        clock.clearTimeout(timer);
        reject(signal.reason);
      });
    });
/** Never settles until its attempt is aborted. */
const hang = (_ctx: Ctx, scope: TaskScope): Promise<void> =>
  new Promise((_resolve, reject) => {
    scope.signal.addEventListener("abort", () => reject(scope.signal.reason));
  });
/** Ignores its signal and settles `ms` of virtual time later. */
const stubborn = (clock: VirtualClock, ms: number) => (): Promise<void> =>
  new Promise((resolve) => clock.setTimeout(resolve, ms));

function expectClean(events: readonly LifecycleEvent[], processor: AsyncTaskProcessor<Ctx>): void {
  const violations = checkTrace(events, processor);
  expect(explain(violations)).toBe("");
  expect(checkTrace(roundTrip(events), processor)).toEqual([]);
}

function levels(...rows: readonly (readonly AsyncTask<Ctx>[])[]): AsyncTaskProcessor<Ctx> {
  let b = Processor.builder<Ctx>();
  rows.forEach((row, level) => {
    for (const t of row) b = b.addTask(t, level + 1);
  });
  return b.build();
}

const full = (name: string) => task<Ctx>(name, { preExecute: ok, execute: ok, postExecute: ok });

describe("checkTrace on real runs (INV-1, INV-18)", () => {
  it("INV-1 INV-2 INV-5 INV-10 INV-13 INV-14: a successful level run has no violation", async () => {
    const p = levels(
      [full("a"), task("b", { preExecute: async () => {}, postExecute: ok })],
      [task("c", { execute: ok, postExecute: ok })],
      [task("d", { preExecute: ok })],
    );
    const r = await recordRun(p, {});
    expect(r.report).toBeDefined();
    expectClean(r.events, p);
  });

  it("INV-3 INV-4 INV-7 INV-14: a preExecute failure on level 2 of 3 has no violation", async () => {
    const clock = new VirtualClock();
    const p = levels(
      [full("a1"), full("a2")],
      [
        task("b1", { preExecute: settleAfter(clock, 5, true), postExecute: ok }),
        task("b2", { preExecute: hang, postExecute: ok }),
        task("b3", { execute: ok, postExecute: ok }),
      ],
      [full("c")],
    );
    const r = await recordRun(p, {}, { clock });
    expect(r.error).toBeDefined();
    expectClean(r.events, p);
  });

  it("INV-6 INV-12: an execute failure cancels the other executes; a post failure cancels nothing", async () => {
    const clock = new VirtualClock();
    const p = levels(
      [task("a", { preExecute: ok, execute: hang, postExecute: boom })],
      [task("b", { execute: settleAfter(clock, 3, true), postExecute: ok }), full("c")],
    );
    const r = await recordRun(p, {}, { clock });
    expect(r.error).toBeDefined();
    expectClean(r.events, p);
  });

  it("INV-17: a run whose signal aborted before it started has no violation", async () => {
    const p = levels([full("a")], [full("b")]);
    const controller = new AbortController();
    controller.abort(new Error("no"));
    const r = await recordRun(p, {}, { signal: controller.signal });
    expect(eventWords(r.events)).toEqual(ABORTED_AT_START);
    expectClean(r.events, p);
  });

  for (const at of [1, 4, 9] as const) {
    it(`INV-4 INV-19: an external abort at virtual time ${at} has no violation`, async () => {
      const clock = new VirtualClock();
      const controller = new AbortController();
      clock.setTimeout(() => controller.abort(new Error("stop")), at);
      const p = levels(
        [
          task("a", {
            preExecute: settleAfter(clock, 2),
            execute: settleAfter(clock, 5),
            postExecute: settleAfter(clock, 5),
          }),
        ],
        [
          task("b", {
            preExecute: settleAfter(clock, 2),
            execute: hang,
            postExecute: settleAfter(clock, 5),
          }),
        ],
      );
      const r = await recordRun(p, {}, { clock, signal: controller.signal });
      expect(r.settled).toBe(true);
      expectClean(r.events, p);
    });
  }

  it("INV-20 INV-21 INV-24 INV-25 INV-26: retries and timeouts have no violation", async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const flaky = taskFunc<Ctx>(
      () => {
        calls++;
        if (calls < 3) throw new RetryableError(`try ${calls}`);
      },
      { retries: 3, initialDelayMs: 10 },
    );
    const slow = taskFunc<Ctx>(hang, { timeoutMs: 7, retries: 1, initialDelayMs: 4 });
    const p = levels(
      [task("a", { preExecute: flaky, postExecute: ok })],
      [task("b", { execute: slow })],
    );
    const r = await recordRun(p, {}, { clock, random: () => 0.5 });
    expect(r.error).toBeDefined();
    expect(r.events.some((e) => e.type === "retry")).toBe(true);
    expect(r.events.some((e) => e.type === "attempt" && e.event === "timeout")).toBe(true);
    expectClean(r.events, p);
  });

  it("INV-18 INV-27: an abandoned function settling after the run settled has no violation", async () => {
    const clock = new VirtualClock();
    const p = Processor.builder<Ctx>()
      .addTask(task("a", { preExecute: settleAfter(clock, 1, true), postExecute: ok }), 1)
      .addTask(task("b", { preExecute: taskFunc(stubborn(clock, 100), { abandonAfterMs: 10 }) }), 1)
      .build();
    const r = await recordRun(p, {}, { clock });
    const last = r.events.at(-1)!;
    expect(last.type === "attempt" && last.event === "lateSettle").toBe(true);
    expectClean(r.events, p);
  });

  it("INV-8 INV-10: a graph with joins, post-only tasks and a diamond has no violation", async () => {
    const clock = new VirtualClock();
    const p = Processor.graphBuilder<Ctx>()
      .addTask(task("root", { preExecute: settleAfter(clock, 1), postExecute: ok }), [])
      .addTask(task("left", { preExecute: settleAfter(clock, 3), execute: ok, postExecute: ok }), [
        "root",
      ])
      .addTask(task("right", { postExecute: settleAfter(clock, 2) }), ["root"])
      .addTask(join("meet"), ["left", "right"])
      .addTask(task("top", { preExecute: ok, postExecute: settleAfter(clock, 1) }), ["meet"])
      .build();
    const r = await recordRun(p, {}, { clock });
    expect(r.report).toBeDefined();
    expectClean(r.events, p);
  });

  it("INV-1 INV-11: a phase runner's stepped run and a runner closed unopened have no violation", async () => {
    const p = levels([full("a")], [full("b")]);
    const events: LifecycleEvent[] = [];
    const runner = p.open({}, { onEvent: (e) => events.push(e) });
    await runner.runNext();
    await runner.close();
    expect(events.some((e) => e.type === "task" && e.event === "startExec")).toBe(false);
    expectClean(events, p);

    const idle: LifecycleEvent[] = [];
    await p.open({}, { onEvent: (e) => idle.push(e) }).close();
    expect(idle).toHaveLength(1);
    expectClean(idle, p);
  });

  it("INV-3 INV-10: a level whose tasks were all skipped does not hold up the teardown below it", async () => {
    // a's preExecute aborts the run's signal and succeeds: level 2 is entered while the run
    // is failing, so skipped; level 2's barrier then has no teardown to wait for.
    const controller = new AbortController();
    const p = levels(
      [
        task("a", {
          preExecute: () => {
            controller.abort(new Error("stop"));
          },
          postExecute: ok,
        }),
      ],
      [full("b"), full("c")],
      [full("d")],
    );
    const r = await recordRun(p, {}, { signal: controller.signal });
    expect(r.events.filter((e) => e.type === "task" && e.event === "skip")).toHaveLength(2);
    expect(r.events.some(taskEvent("a", "startPost"))).toBe(true);
    expectClean(r.events, p);
  });

  it("INV-2 INV-10: 50 levels x 10 tasks check in linear time with no violation", async () => {
    const rows = Array.from({ length: 50 }, (_, l) =>
      Array.from({ length: 10 }, (_, t) => full(`L${l}T${t}`)),
    );
    const p = levels(...rows);
    const r = await recordRun(p, {});
    expect(r.events.length).toBeGreaterThan(500 * 9);
    expectClean(r.events, p);
  });
});

/** A baseline trace to edit: levels [a, b] -> [c] with every phase, all succeeding. */
async function baseline(): Promise<{ p: AsyncTaskProcessor<Ctx>; r: RecordedRun }> {
  const p = levels([full("a"), full("b")], [full("c")]);
  return { p, r: await recordRun(p, {}) };
}

/** A trace where b's preExecute fails while a's hangs: a is cancelled. */
async function failing(): Promise<{ p: AsyncTaskProcessor<Ctx>; r: RecordedRun }> {
  const clock = new VirtualClock();
  const p = levels(
    [
      task("a", { preExecute: hang, execute: ok, postExecute: ok }),
      task("b", { preExecute: settleAfter(clock, 2, true), execute: ok, postExecute: ok }),
      task("p", { postExecute: ok }),
    ],
    [full("c")],
  );
  return { p, r: await recordRun(p, {}, { clock }) };
}

/**
 * A trace where f's preExecute throws synchronously in the first step, s's succeeded in that
 * same step (so its dependent c is entered after the run began failing: skipped), and h's
 * hangs until cancelled.
 */
async function skipping(): Promise<{ p: AsyncTaskProcessor<Ctx>; r: RecordedRun }> {
  const p = Processor.graphBuilder<Ctx>()
    .addTask(task("f", { preExecute: boom, postExecute: ok }), [])
    .addTask(task("s", { preExecute: ok, postExecute: ok }), [])
    .addTask(task("h", { preExecute: hang, postExecute: ok }), [])
    .addTask(full("c"), ["s"])
    .build();
  return { p, r: await recordRun(p, {}) };
}

function without(events: readonly LifecycleEvent[], ...drop: number[]): LifecycleEvent[] {
  return renumber(events.filter((_, i) => !drop.includes(i)));
}

function moveBefore(events: readonly LifecycleEvent[], from: number, to: number): LifecycleEvent[] {
  const copy = [...events];
  const [e] = copy.splice(from, 1);
  copy.splice(to, 0, e!);
  return renumber(copy);
}

function replace(
  events: readonly LifecycleEvent[],
  i: number,
  patch: Record<string, unknown>,
): LifecycleEvent[] {
  const copy = [...events];
  copy[i] = { ...copy[i]!, ...patch } as LifecycleEvent;
  return copy;
}

describe("checkTrace finds hand-made violations", () => {
  it("the baseline traces are clean", async () => {
    const a = await baseline();
    expectClean(a.r.events, a.p);
    const b = await failing();
    expectClean(b.r.events, b.p);
    const c = await skipping();
    expectClean(c.r.events, c.p);
    expect(c.r.events.some(taskEvent("c", "skip"))).toBe(true);
  });

  it("INV-1: an illegal task transition is reported", async () => {
    const { p, r } = await baseline();
    const i = indexOf(r.events, taskEvent("c", "startExec"));
    const edited = replace(r.events, i, {
      event: "startPost",
      phase: "postExecute",
      to: "postRunning",
    });
    expect(ids(checkTrace(edited, p))).toContain("INV-1");
    const wrongFrom = replace(r.events, i, { from: "waiting" });
    expect(ids(checkTrace(wrongFrom, p))).toContain("INV-1");
  });

  it("INV-1: an illegal run transition and an unknown task are reported", async () => {
    const { p, r } = await baseline();
    const i = indexOf(r.events, runEvent("allExecuted"));
    expect(ids(checkTrace(replace(r.events, i, { event: "quiesce" }), p))).toContain("INV-1");
    const j = indexOf(r.events, taskEvent("c", "startExec"));
    expect(ids(checkTrace(replace(r.events, j, { task: "zz" }), p))).toContain("INV-1");
  });

  it("INV-2: a task entered before its lower level was ready is reported", async () => {
    const { p, r } = await baseline();
    const enter = indexOf(r.events, taskEvent("c", "startPre"));
    const bReady = indexOf(r.events, taskEvent("b", "succeed", "preExecute"));
    const edited = moveBefore(r.events, enter, bReady);
    const v = checkTrace(edited, p);
    expect(ids(v)).toContain("INV-2");
    expect(v.find((x) => x.invariant === "INV-2")?.message).toContain('"b"');
  });

  it("INV-2: a task entered in a later step than its dependencies became ready is reported", async () => {
    const clock = new VirtualClock();
    const p = Processor.graphBuilder<Ctx>()
      .addTask(full("a"), [])
      .addTask(task("x", { preExecute: settleAfter(clock, 5) }), [])
      .addTask(full("c"), ["a"])
      .build();
    const r = await recordRun(p, {}, { clock });
    expectClean(r.events, p);
    // c's entry (startPre, attempt start, attempt succeed, task succeed) moved past x's
    // attempt outcome, which happens 5 ms later: c was not entered in the step a became ready.
    const enter = indexOf(r.events, taskEvent("c", "startPre"));
    const edited = [...r.events];
    const moved = edited.splice(enter, 4);
    const xOutcome = indexOf(
      edited,
      (e) => e.type === "attempt" && e.task === "x" && e.event === "succeed",
    );
    edited.splice(xOutcome + 1, 0, ...moved);
    const v = checkTrace(renumber(edited), p);
    expect(ids(v)).toEqual(["INV-2"]);
    expect(v[0]!.message).toContain('"c"');
  });

  it("INV-3: a skip while the run is not failing, and a preExecute started while failing, are reported", async () => {
    const { p, r } = await baseline();
    const i = indexOf(r.events, taskEvent("c", "startPre"));
    // c skipped instead: its later events become illegal, but the skip itself is INV-3.
    const skipped = replace(r.events, i, { event: "skip", to: "skipped", phase: undefined });
    expect(ids(checkTrace(skipped, p))).toContain("INV-3");

    const f = await skipping();
    const skip = indexOf(f.r.events, taskEvent("c", "skip"));
    const started = replace(f.r.events, skip, {
      event: "startPre",
      to: "preRunning",
      phase: "preExecute",
    });
    expect(ids(checkTrace(started, f.p))).toContain("INV-3");
  });

  it("INV-4: a running preExecute not cancelled in the step the run began failing is reported", async () => {
    const { p, r } = await skipping();
    // h's cancel moved after c's skip, which the same step does after the cancellations.
    const cancel = indexOf(r.events, taskEvent("h", "cancel"));
    const skip = indexOf(r.events, taskEvent("c", "skip"));
    expect(cancel).toBeLessThan(skip);
    const v = checkTrace(moveBefore(r.events, cancel, skip), p);
    expect(ids(v)).toContain("INV-4");
    expect(v.find((x) => x.invariant === "INV-4")?.message).toContain('"h"');
    // and simply missing
    expect(ids(checkTrace(without(r.events, cancel), p))).toContain("INV-4");
  });

  it("INV-4: a run that fails without a failed phase, or a phase failure the run ignores, is reported", async () => {
    const { p, r } = await failing();
    const runFail = indexOf(r.events, runEvent("fail"));
    expect(ids(checkTrace(without(r.events, runFail - 1), p))).toContain("INV-4");
    expect(ids(checkTrace(moveBefore(r.events, runFail, runFail + 3), p))).toContain("INV-4");
  });

  it("INV-5: an extra execute after a failed preExecute is reported", async () => {
    const { p, r } = await failing();
    const cleanup = indexOf(r.events, runEvent("cleanup"));
    const edited = [...r.events];
    edited.splice(cleanup, 0, {
      type: "task",
      seq: 0,
      at: 0,
      task: "p",
      event: "startExec",
      from: "ready",
      to: "execRunning",
      phase: "execute",
    });
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-5");
  });

  it("INV-5: an execute not started in the execute step is reported", async () => {
    const { p, r } = await baseline();
    const start = indexOf(r.events, taskEvent("c", "startExec"));
    const allExecuted = indexOf(r.events, runEvent("allExecuted"));
    // c's execute starts after a's and b's outcomes: not in the same step.
    const edited = [...r.events];
    const moved = edited.splice(start, 3);
    edited.splice(allExecuted - 3 - 1, 0, ...moved);
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-5");
  });

  it("INV-6: an execute left running after another execute failed is reported", async () => {
    const clock = new VirtualClock();
    const p = levels([
      task("a", { execute: settleAfter(clock, 1, true) }),
      task("b", { execute: hang }),
    ]);
    const r = await recordRun(p, {}, { clock });
    expectClean(r.events, p);
    const cancel = indexOf(r.events, taskEvent("b", "cancel"));
    const v = checkTrace(without(r.events, cancel), p);
    expect(ids(v)).toContain("INV-6");
    expect(v.find((x) => x.invariant === "INV-6")?.message).toContain('"b"');
  });

  it("INV-7: a dropped postExecute of a cancelled preExecute is reported", async () => {
    const { p, r } = await failing();
    const start = indexOf(r.events, taskEvent("a", "startPost"));
    const end = indexOf(r.events, taskEvent("a", "succeed", "postExecute"));
    const attemptStart = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.task === "a" && e.phase === "postExecute",
    );
    const edited = without(r.events, start, attemptStart, attemptStart + 1, end);
    const v = checkTrace(edited, p);
    expect(ids(v)).toContain("INV-7");
    expect(v.find((x) => x.invariant === "INV-7")?.message).toContain('"a"');
  });

  it("INV-8: a post-only task entered without its postExecute is reported", async () => {
    const { p, r } = await failing();
    const start = indexOf(r.events, taskEvent("p", "startPost"));
    const end = indexOf(r.events, taskEvent("p", "succeed", "postExecute"));
    const edited = without(r.events, start, start + 1, start + 2, end);
    expect(ids(checkTrace(edited, p))).toContain("INV-8");
  });

  it("INV-9: a postExecute for a skipped task is reported", async () => {
    const { p, r } = await failing();
    const settled = r.events.length - 1;
    const edited = [...r.events];
    edited.splice(settled, 0, {
      type: "task",
      seq: 0,
      at: 0,
      task: "c",
      event: "startPost",
      from: "skipped",
      to: "postRunning",
      phase: "postExecute",
    });
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-9");
  });

  it("INV-10: postExecute not in reverse order (a lower level first) is reported", async () => {
    const { p, r } = await baseline();
    const cPost = indexOf(r.events, taskEvent("c", "startPost"));
    const aPost = indexOf(r.events, taskEvent("a", "startPost"));
    expect(cPost).toBeLessThan(aPost);
    const edited = moveBefore(r.events, aPost, cPost);
    const v = checkTrace(edited, p);
    expect(ids(v)).toContain("INV-10");
    expect(v.find((x) => x.invariant === "INV-10")?.message).toContain('"c"');
  });

  it("INV-11: a postExecute before cleanup began is reported", async () => {
    const { p, r } = await baseline();
    const aPost = indexOf(r.events, taskEvent("a", "startPost"));
    const cleanup = indexOf(r.events, runEvent("cleanup"));
    expect(ids(checkTrace(moveBefore(r.events, aPost, cleanup), p))).toContain("INV-11");
  });

  it("INV-12: a cancelled postExecute is reported", async () => {
    const { p, r } = await baseline();
    const i = indexOf(
      r.events,
      (e) =>
        e.type === "attempt" &&
        e.task === "a" &&
        e.phase === "postExecute" &&
        e.event === "succeed",
    );
    const edited = replace(r.events, i, { event: "cancel", to: "cancelling" });
    expect(ids(checkTrace(edited, p))).toContain("INV-12");
  });

  it("INV-13: a run settling before a function settled, or never settling, is reported", async () => {
    const { p, r } = await baseline();
    const settled = r.events.length - 1;
    const aPostEnd = indexOf(r.events, taskEvent("a", "succeed", "postExecute"));
    expect(ids(checkTrace(moveBefore(r.events, settled, aPostEnd - 1), p))).toContain("INV-13");
    expect(ids(checkTrace(r.events.slice(0, settled), p))).toContain("INV-13");
  });

  it("INV-14: a wrong failure list, outcome or aborted flag is reported", async () => {
    const { p, r } = await failing();
    const last = r.events.length - 1;
    const settled = r.events[last]!;
    expect(settled.type === "run" && settled.failures?.length).toBe(1);
    expect(ids(checkTrace(replace(r.events, last, { failures: [] }), p))).toEqual(["INV-14"]);
    expect(ids(checkTrace(replace(r.events, last, { outcome: "succeeded" }), p))).toEqual([
      "INV-14",
    ]);
    expect(ids(checkTrace(replace(r.events, last, { aborted: true }), p))).toEqual(["INV-14"]);
    const wrongError = replace(r.events, last, {
      failures: [
        { task: "b", phase: "preExecute", attempts: 1, error: { name: "Error", message: "other" } },
      ],
    });
    expect(ids(checkTrace(wrongError, p))).toEqual(["INV-14"]);
  });

  it("INV-16: a phase started twice is reported", async () => {
    const { p, r } = await baseline();
    const i = indexOf(r.events, taskEvent("a", "startPre"));
    const edited = [...r.events];
    edited.splice(i + 1, 0, { ...r.events[i]!, from: "preRunning" } as LifecycleEvent);
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-16");
  });

  it("INV-17: a task entered after the run was aborted before it started is reported", async () => {
    const p = levels([full("a")]);
    const controller = new AbortController();
    controller.abort();
    const r = await recordRun(p, {}, { signal: controller.signal });
    const edited = [...r.events];
    edited.splice(2, 0, {
      type: "task",
      seq: 0,
      at: 0,
      task: "a",
      event: "skip",
      from: "waiting",
      to: "skipped",
    });
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-17");
  });

  it("INV-18: seq gaps, a wrong first event and events after settled are reported", async () => {
    const { p, r } = await baseline();
    expect(ids(checkTrace(replace(r.events, 3, { seq: 99 }), p))).toContain("INV-18");
    expect(ids(checkTrace(renumber(r.events.slice(1)), p))).toContain("INV-18");
    const settled = r.events.length - 1;
    const aPostEnd = indexOf(r.events, taskEvent("a", "succeed", "postExecute"));
    expect(ids(checkTrace(moveBefore(r.events, settled, aPostEnd), p))).toContain("INV-18");
    expect(ids(checkTrace([], p))).toEqual(["INV-18"]);
  });

  it("INV-19: an abort during cleanup is reported", async () => {
    const { p, r } = await baseline();
    const cleanup = indexOf(r.events, runEvent("cleanup"));
    const edited = [...r.events];
    edited.splice(cleanup + 1, 0, {
      type: "run",
      seq: 0,
      at: 0,
      event: "abort",
      from: "cleaningUp",
      to: "failing",
      reason: { name: "AbortError", message: "late" },
      abortedBy: "signal",
    });
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-19");
  });

  it("INV-20 INV-21: attempts out of order or beyond the retry budget are reported", async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const flaky = taskFunc<Ctx>(
      () => {
        if (++calls < 2) throw new RetryableError("again");
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const p = levels([task("a", { preExecute: flaky })]);
    const r = await recordRun(p, {}, { clock, random: () => 0 });
    expectClean(r.events, p);
    const retry = indexOf(r.events, (e) => e.type === "retry");
    expect(ids(checkTrace(without(r.events, retry), p))).toContain("INV-20");
    const succeed = indexOf(r.events, taskEvent("a", "succeed", "preExecute"));
    expect(ids(checkTrace(replace(r.events, succeed, { attempts: 3 }), p))).toContain("INV-21");
  });

  it("INV-23 INV-24 INV-25 INV-26: retry after cancel, delay out of bounds, early retry, early timeout", async () => {
    const clock = new VirtualClock();
    const slow = taskFunc<Ctx>(hang, { timeoutMs: 7, retries: 1, initialDelayMs: 8 });
    const p = levels([task("a", { preExecute: slow })]);
    const r = await recordRun(p, {}, { clock, random: () => 1 });
    expectClean(r.events, p);
    const retry = indexOf(r.events, (e) => e.type === "retry");
    expect(ids(checkTrace(replace(r.events, retry, { delayMs: 100 }), p))).toContain("INV-24");
    const second = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.attempt === 2 && e.event === "start",
    );
    expect(r.events[second]!.at).toBe(r.events[retry]!.at + 8);
    expect(
      ids(checkTrace(replace(r.events, second, { at: r.events[retry]!.at + 1 }), p)),
    ).toContain("INV-25");
    const timeout = indexOf(r.events, (e) => e.type === "attempt" && e.event === "timeout");
    expect(ids(checkTrace(replace(r.events, timeout, { at: 2 }), p))).toContain("INV-26");
    // a cancel before the retry: the retried attempt starts after a cancelled phase
    const edited = [...r.events];
    edited.splice(retry, 0, {
      type: "task",
      seq: 0,
      at: 0,
      task: "a",
      event: "cancel",
      from: "preRunning",
      to: "preCancelling",
      phase: "preExecute",
    });
    expect(ids(checkTrace(renumber(edited), p))).toContain("INV-23");
  });

  it("INV-25: a retry reported in a later step than its failed attempt settled is reported", async () => {
    const clock = new VirtualClock();
    const flaky = taskFunc<Ctx>(
      (_ctx, scope) => {
        if (scope.attempt === 1) throw new RetryableError("again");
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const p = Processor.graphBuilder<Ctx>()
      .addTask(task("b", { preExecute: settleAfter(clock, 5) }), [])
      .addTask(task("a", { preExecute: flaky }), [])
      .build();
    const r = await recordRun(p, {}, { clock, random: () => 1 });
    expectClean(r.events, p);
    // b's attempt (started before a's failed attempt settled) succeeds 5 ms later; a's retry
    // moved after it can no longer be in the step a's attempt settled in.
    const retry = indexOf(r.events, (e) => e.type === "retry");
    const bOutcome = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.task === "b" && e.event === "succeed",
    );
    expect(retry).toBeLessThan(bOutcome);
    // The retry and attempt 2's delay (INV-36: right after it) move together.
    const delay = retry + 1;
    expect(r.events[delay]).toMatchObject({ type: "attempt", attempt: 2, event: "delay" });
    const edited = moveBefore(moveBefore(r.events, retry, bOutcome), retry, bOutcome);
    expect(edited[bOutcome - 1]).toMatchObject({ type: "retry" });
    expect(edited[bOutcome]).toMatchObject({ type: "attempt", event: "delay" });
    const v = checkTrace(edited, p);
    expect(ids(v)).toEqual(["INV-25"]);
    expect(v[0]!.message).toContain("later step");
  });

  it("INV-27: a task that settles before its attempt did is reported", async () => {
    const { p, r } = await failing();
    const settle = indexOf(r.events, taskEvent("a", "settle"));
    const attemptSettle = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.task === "a" && e.event === "settle",
    );
    expect(attemptSettle).toBeLessThan(settle);
    expect(ids(checkTrace(moveBefore(r.events, settle, attemptSettle), p))).toContain("INV-27");
  });
});
