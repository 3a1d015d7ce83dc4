/**
 * checkTrace is total (spec/lifecycle.md INV-18, INV-33): whatever it is given as events (null,
 * numbers, strings, objects whose getters throw, revoked proxies), it returns violations and
 * never throws. And it checks the new invariants: INV-32 (own failures after cancellation) and
 * INV-36 (the delay is a state), each shown by a forged trace.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTaskProcessor,
  checkTrace,
  type LifecycleEvent,
  AsyncTaskProcessor as Processor,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { explain, ids, indexOf, recordRun, renumber } from "../support/trace.js";

type Ctx = Record<string, unknown>;

const processor: AsyncTaskProcessor<Ctx> = Processor.builder<Ctx>()
  .addTask(task("a", { preExecute: () => {}, postExecute: () => {} }), 1)
  .build();

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function throwingGetter<T extends object>(base: T, key: string): T {
  return Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get() {
      throw new Error(`no ${key}`);
    },
  });
}

/** checkTrace of `events`, which must not throw; returns the violations. */
function check(events: readonly unknown[], p: AsyncTaskProcessor<Ctx> = processor) {
  let violations: ReturnType<typeof checkTrace> | undefined;
  expect(() => {
    violations = checkTrace(events as LifecycleEvent[], p);
  }).not.toThrow();
  expect(Array.isArray(violations)).toBe(true);
  return violations!;
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

/** One task, `a`, whose preExecute throws `boom`. */
function failingPreExecute(): AsyncTaskProcessor<Ctx> {
  return Processor.builder<Ctx>()
    .addTask(
      task("a", {
        preExecute: () => {
          throw new Error("boom");
        },
      }),
      1,
    )
    .build();
}

describe("INV-18 INV-33: checkTrace never throws", () => {
  it("INV-18: [null] is a violation, not an exception", () => {
    const v = check([null]);
    expect(v.length).toBeGreaterThan(0);
    expect(ids(v)).toContain("INV-18");
    expect(v.some((x) => x.message.includes("null"))).toBe(true);
  });

  it("INV-18: [42, 'x'] are violations, not exceptions", () => {
    const v = check([42, "x"]);
    expect(ids(v)).toContain("INV-18");
    expect(v.filter((x) => x.invariant === "INV-18").length).toBeGreaterThanOrEqual(2);
  });

  it("INV-18 INV-33: an event object whose getter throws is a violation, not an exception", async () => {
    const r = await recordRun(processor, {});
    expect(check(r.events)).toEqual([]);
    for (const key of ["type", "seq", "event", "task", "from"]) {
      for (const i of [0, 3, r.events.length - 1]) {
        // A run event has no task: a getter there is never read, and the event stays good.
        if (key === "task" && r.events[i]!.type === "run") continue;
        const events: unknown[] = [...r.events];
        events[i] = throwingGetter(r.events[i]!, key);
        const v = check(events);
        expect(ids(v)).toContain("INV-18");
      }
    }
  });

  it("INV-18 INV-33: a revoked Proxy, a Symbol, undefined and an array as events are violations, not exceptions", async () => {
    const r = await recordRun(processor, {});
    for (const bad of [revokedProxy(), Symbol("e"), undefined, [], () => 1, 12n]) {
      expect(ids(check([bad]))).toContain("INV-18");
      expect(ids(check([...r.events.slice(0, 2), bad, ...r.events.slice(2)]))).toContain("INV-18");
    }
  });

  // The array itself was read outside any guard: null gave an internal TypeError, a Proxy's
  // throwing element escaped as is, and an event after a null one was blamed for it.
  it("INV-18 INV-33: events that are not an array, or whose elements cannot be read, are violations, not exceptions", async () => {
    const r = await recordRun(processor, {});
    for (const bad of [null, undefined, { length: 2 }, "events", revokedProxy()]) {
      const v = check(bad as unknown as unknown[]);
      expect(ids(v)).toEqual(["INV-18"]);
      expect(v[0]?.message).toMatch(/^the events (are not an array|could not be read)/);
    }
    const reads: number[] = [];
    const proxied = new Proxy([...r.events], {
      get(target, key, receiver) {
        if (key === "1") {
          reads.push(1);
          throw new Error("element 1");
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const v = check(proxied);
    expect(v[0]).toMatchObject({
      invariant: "INV-18",
      message: "event #1 could not be read: element 1",
    });
    expect(reads).toEqual([1]);
    const afterNull = check([r.events[0], null, ...r.events.slice(2)]);
    expect(afterNull.some((x) => x.message.includes("event #2"))).toBe(false);
  });

  // A clock whose now() throws gives `at: NaN`, which JSON saves as null; null was taken for 0,
  // so a saved trace of such a run showed early timeouts and retries.
  it("INV-24 INV-26 INV-27 INV-40: unknown times (NaN, or null after JSON) are not timing violations", async () => {
    const clock = new VirtualClock();
    const p = Processor.builder<Ctx>()
      .addTask(
        task("a", {
          execute: taskFunc(
            (_ctx: Ctx, scope: TaskScope) =>
              new Promise((resolve) => clock.setTimeout(() => resolve(scope.attempt), 20)),
            { timeoutMs: 5, retries: 1, initialDelayMs: 10, abandonAfterMs: 3 },
          ),
        }),
        1,
      )
      .build();
    const r = await recordRun(p, {}, { clock, timeoutMs: 1_000 });
    const kinds = r.events.map((e) => (e.type === "attempt" ? e.event : e.type));
    expect(kinds).toEqual(expect.arrayContaining(["timeout", "abandon", "retry"]));
    expect(check(r.events, p)).toEqual([]);
    for (const unknown of [Number.NaN, null]) {
      // Every time unknown, or only the first: a start time unknown, the rest known.
      const all = r.events.map((e) => ({ ...e, at: unknown }));
      const first = r.events.map((e, i) => (i === 0 ? { ...e, at: unknown } : e));
      expect(explain(check(all, p))).toBe("");
      expect(explain(check(first, p))).toBe("");
    }
  });

  it("INV-18 INV-33: an event whose error is hostile (a getter that throws, a revoked Proxy) is checked without throwing", async () => {
    const p = failingPreExecute();
    const r = await recordRun(p, {});
    expect(check(r.events, p)).toEqual([]);
    const fail = indexOf(r.events, (e) => e.type === "task" && e.event === "fail");
    check(replace(r.events, fail, { error: revokedProxy() }), p);
    check(
      replace(r.events, fail, { error: throwingGetter({ name: "x", message: "y" }, "name") }),
      p,
    );
    const settled = r.events.length - 1;
    check(replace(r.events, settled, { failures: revokedProxy() }), p);
    check(replace(r.events, settled, { failures: [revokedProxy()] }), p);
  });
});

describe("INV-14 INV-33: a forged report's entries are described as what they are", () => {
  // A null entry was read as a failure: "could not be read as a lifecycle event", and one
  // without a name was shown as a task named "undefined".
  it("INV-14: a report entry that is not a failure, or has no task name, is named so", async () => {
    const p = failingPreExecute();
    const r = await recordRun(p, {});
    const settled = r.events.length - 1;
    const messages = (failures: unknown[]) =>
      check(replace(r.events, settled, { failures }), p).map((v) => v.message);
    const want =
      'the failed phases say task "a" preExecute (attempts 1, afterCancel false, Error: boom)';
    expect(messages([null, 5])).toEqual([
      `failure #1 of the report is null, not a failure; ${want}`,
      "the report lists failure #2 (5 (number), not a failure) that no fail event reported",
    ]);
    // An object or a huge string in a field is described, not read as text.
    const odd = messages([{ task: "a", phase: Object.create(null), attempts: "x".repeat(1e5) }]);
    expect(odd).toHaveLength(1);
    expect(odd[0]).toContain('failure #1 of the report is task "a" {} (object) (attempts xxx');
    expect(odd[0]!.length).toBeLessThan(1_000);
    expect(messages([{ phase: "preExecute" }])).toEqual([
      `failure #1 of the report is no task name (undefined) preExecute (attempts undefined, afterCancel undefined, undefined: undefined); ${want}`,
    ]);
  });
});

/** `b` (started first) reacts to its cancellation by rejecting with `own`; `a` fails at once. */
async function ownFailureAfterCancel() {
  const p = Processor.builder<Ctx>()
    .addTask(
      task("b", {
        execute: (_ctx: Ctx, scope: TaskScope) =>
          new Promise((_resolve, reject) => {
            scope.signal.addEventListener("abort", () => reject(new Error("rollback failed")));
          }),
      }),
      1,
    )
    .addTask(
      task("a", {
        execute: () => {
          throw new Error("boom");
        },
      }),
      1,
    )
    .build();
  return { p, r: await recordRun(p, {}) };
}

describe("checkTrace stays small on large workflows and forged traces", () => {
  const level = (size: number) => {
    const builder = Processor.builder<Ctx>();
    for (let i = 0; i < size; i++) builder.addTask(task(`t${i}`, { preExecute: () => {} }), 1);
    return builder.build();
  };
  const start = { type: "run", seq: 0, at: 0, event: "start", from: "idle", to: "entering" };

  // One message listed all 10,000 names (129 KB).
  it("INV-2: a list of tasks in a message shows the first 8 and how many there are", () => {
    const messages = check([start], level(10_000)).map((v) => v.message);
    const listing = messages.find((m) => m.includes("(10000 in all)"));
    expect(listing).toMatch(
      /^"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", \.\.\. \(10000 in all\)/,
    );
    expect(Math.max(...messages.map((m) => m.length))).toBeLessThan(300);
  });

  // Each repeated run event scanned every task again: quadratic in a forged trace.
  it("INV-1 INV-2: a run event repeated where the run cannot take it is an illegal transition each time, and the tasks are checked once", () => {
    const events = [start];
    for (let seq = 1; seq <= 50; seq++) {
      events.push({
        type: "run",
        seq,
        at: 0,
        event: "allEntered",
        from: "entering",
        to: "entered",
      });
    }
    const violations = check(events, level(20));
    expect(
      violations.filter((v) => v.message.includes("while not every task was ready")),
    ).toHaveLength(1);
    expect(violations.filter((v) => v.invariant === "INV-1").length).toBeGreaterThanOrEqual(49);
    // Taken legally again and again: an illegal event that leads back to `entering` between.
    const alternating = [start];
    for (let seq = 1; seq <= 50; seq += 2) {
      alternating.push(
        { type: "run", seq, at: 0, event: "allEntered", from: "entering", to: "entered" },
        { type: "run", seq: seq + 1, at: 0, event: "start", from: "entered", to: "entering" },
      );
    }
    const again = check(alternating, level(20));
    expect(again.filter((v) => v.message.includes("while not every task was ready"))).toHaveLength(
      1,
    );
  });
});

describe("INV-32: forged own failures after cancellation are reported", () => {
  it("INV-32: the real trace of a cancelled execute that fails with its own error is clean", async () => {
    const { p, r } = await ownFailureAfterCancel();
    expect(explain(checkTrace(r.events, p))).toBe("");
    const fail = r.events.find((e) => e.type === "attempt" && e.task === "b" && e.event === "fail");
    expect(fail).toMatchObject({ from: "cancelling", to: "settling" });
  });

  it("INV-32: an attempt `fail` from cancelling whose error is named AbortError is reported", async () => {
    const { p, r } = await ownFailureAfterCancel();
    const i = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.task === "b" && e.event === "fail",
    );
    const v = checkTrace(
      replace(r.events, i, { error: { name: "AbortError", message: "cancelled" } }),
      p,
    );
    expect(ids(v)).toContain("INV-32");
    expect(v.find((x) => x.invariant === "INV-32")!.message).toContain("AbortError");
  });

  it("INV-32: a task `fail` from execCancelling with afterCancel false is reported", async () => {
    const { p, r } = await ownFailureAfterCancel();
    const i = indexOf(r.events, (e) => e.type === "task" && e.task === "b" && e.event === "fail");
    expect(r.events[i]).toMatchObject({ from: "execCancelling", afterCancel: true });
    const v = checkTrace(replace(r.events, i, { afterCancel: false }), p);
    expect(ids(v)).toContain("INV-32");
  });

  it("INV-32: a task `fail` from execRunning with afterCancel true is reported", async () => {
    const { p, r } = await ownFailureAfterCancel();
    const i = indexOf(r.events, (e) => e.type === "task" && e.task === "a" && e.event === "fail");
    expect(r.events[i]).toMatchObject({ from: "execRunning", afterCancel: false });
    expect(ids(checkTrace(replace(r.events, i, { afterCancel: true }), p))).toContain("INV-32");
  });

  it("INV-32: a task `fail` from execCancelling whose attempt never failed on its own is reported", async () => {
    const { p, r } = await ownFailureAfterCancel();
    const attemptFail = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.task === "b" && e.event === "fail",
    );
    // Without the attempt's own fail, its settle comes from cancelling.
    const edited = renumber(
      r.events
        .filter((_, i) => i !== attemptFail)
        .map((e) =>
          e.type === "attempt" && e.task === "b" && e.event === "settle"
            ? { ...e, from: "cancelling" as const }
            : e,
        ),
    );
    expect(ids(checkTrace(edited, p))).toContain("INV-32");
  });
});

/**
 * `a`'s preExecute fails once (retryable), then succeeds: attempt 2 waits 5 ms. Its sibling
 * `b`'s preExecute succeeds meanwhile, 3 ms in.
 */
async function retried() {
  const clock = new VirtualClock();
  const p = Processor.builder<Ctx>()
    .addTask(
      task("a", {
        preExecute: taskFunc<Ctx>(
          (_ctx, scope) => {
            if (scope.attempt === 1) throw new RetryableError("again");
          },
          { retries: 1, initialDelayMs: 10 },
        ),
      }),
      1,
    )
    .addTask(
      task("b", {
        preExecute: () => new Promise<void>((resolve) => clock.setTimeout(resolve, 3)),
      }),
      1,
    )
    .build();
  return { p, r: await recordRun(p, {}, { clock, random: () => 0 }) };
}

describe("INV-36: forged delays are reported", () => {
  it("INV-36: the real trace of a retry has the retry, then attempt 2's delay, then its start from delayed, and is clean", async () => {
    const { p, r } = await retried();
    expect(explain(checkTrace(r.events, p))).toBe("");
    const retry = indexOf(r.events, (e) => e.type === "retry");
    expect(r.events[retry + 1]).toMatchObject({
      type: "attempt",
      attempt: 2,
      event: "delay",
      from: "idle",
      to: "delayed",
    });
    const start = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.attempt === 2 && e.event === "start",
    );
    expect(r.events[start]).toMatchObject({ from: "delayed", to: "running" });
    expect(r.events[start]!.at - r.events[retry]!.at).toBe(5);
  });

  it("INV-36: attempt 2 started from idle, with no delay, is reported", async () => {
    const { p, r } = await retried();
    const retry = indexOf(r.events, (e) => e.type === "retry");
    const edited = renumber(
      r.events
        .filter((_, i) => i !== retry + 1)
        .map((e) =>
          e.type === "attempt" && e.attempt === 2 && e.event === "start"
            ? { ...e, from: "idle" as const }
            : e,
        ),
    );
    const v = checkTrace(edited, p);
    expect(ids(v)).toContain("INV-36");
    expect(v.some((x) => x.invariant === "INV-36" && x.message.includes("from idle"))).toBe(true);
  });

  it("INV-36: a retry not followed by the next attempt's delay is reported", async () => {
    const { p, r } = await retried();
    const retry = indexOf(r.events, (e) => e.type === "retry");
    const delay = r.events[retry + 1]!;
    // The delay moved one event later: something else comes between the retry and it.
    const start = indexOf(
      r.events,
      (e) => e.type === "attempt" && e.attempt === 2 && e.event === "start",
    );
    expect(start).toBeGreaterThan(retry + 2);
    expect(r.events[retry + 2]).toMatchObject({ task: "b" });
    const copy = [...r.events];
    copy.splice(retry + 1, 1);
    copy.splice(retry + 2, 0, delay);
    const v = checkTrace(renumber(copy), p);
    expect(ids(v)).toContain("INV-36");
    expect(v.some((x) => x.invariant === "INV-36" && x.message.includes("not followed"))).toBe(
      true,
    );
  });

  it("INV-36: a retry whose delay is missing altogether is reported", async () => {
    const { p, r } = await retried();
    const retry = indexOf(r.events, (e) => e.type === "retry");
    const edited = renumber(r.events.filter((_, i) => i !== retry + 1));
    expect(ids(checkTrace(edited, p))).toContain("INV-36");
  });

  it("INV-36: a delay with no retry event just before it is reported", async () => {
    const { p, r } = await retried();
    const retry = indexOf(r.events, (e) => e.type === "retry");
    // Swap the retry and the delay.
    const copy = [...r.events];
    [copy[retry], copy[retry + 1]] = [copy[retry + 1]!, copy[retry]!];
    expect(ids(checkTrace(renumber(copy), p))).toContain("INV-36");
  });
});
