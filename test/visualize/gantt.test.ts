// @vitest-environment jsdom
/**
 * ganttFromEvents: the exact chart of runs made on a VirtualClock (failure, cancellation,
 * timeout and retry, abandonment, external abort, skipped task), Mermaid's own parser on the
 * charts of generated runs, and lists that are cut short or odd.
 */
import { fc, test } from "@fast-check/vitest";
import { timeFormat } from "d3-time-format";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  ganttFromEvents,
  type LifecycleEvent,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { parseGantt } from "./mermaid-parser.js";
import { buildWorkflow, hostileName, workflowArb } from "./workflows.js";

/** Runs `processor` on `clock` until it and every timer are done; returns its events. */
async function record(
  processor: AsyncTaskProcessor<unknown>,
  clock: VirtualClock,
  signal?: AbortSignal,
): Promise<LifecycleEvent[]> {
  const events: LifecycleEvent[] = [];
  const done = processor
    .processTasks(null, { clock, random: () => 0, signal, onEvent: (e) => events.push(e) })
    .catch(() => {});
  await clock.runAll();
  await done;
  return events;
}

/** A phase that takes `ms` on `clock`; it stops when its signal aborts unless `stubborn`. */
function takes(clock: VirtualClock, ms: number, stubborn = false) {
  return (_ctx: unknown, scope: TaskScope) =>
    new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(resolve, ms);
      if (stubborn) return;
      scope.signal.addEventListener(
        "abort",
        () => {
          clock.clearTimeout(timer);
          reject(scope.signal.reason);
        },
        { once: true },
      );
    });
}

const HEAD = ["gantt", "  dateFormat x", "  axisFormat %-L ms", "  todayMarker off"];
const chart = (...lines: string[]) => [...HEAD, ...lines, ""].join("\n");

describe("ganttFromEvents: the chart of a run", () => {
  it("a preExecute fails: the run and the failure in red, the cancelled sibling, cleanups that took no time as milestones; times from the run's start", async () => {
    const clock = new VirtualClock(5_000); // the chart starts at the run's start, not at 0
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("Database", { preExecute: takes(clock, 20), postExecute: () => {} }), 1)
      .addTask(task("Cache", { preExecute: takes(clock, 50), postExecute: () => {} }), 2)
      .addTask(
        task("Quota", {
          preExecute: async (ctx, scope) => {
            await takes(clock, 10)(ctx, scope);
            throw new Error("quota exceeded");
          },
        }),
        2,
      )
      .build();
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toBe(
      chart(
        "  section #114;un",
        "    run failed :crit, 0, 30ms",
        "  section Database",
        "    preExecute :done, 0, 20ms",
        "    postExecute :done, milestone, 30, 0ms",
        "  section Cache",
        "    preExecute cancelled :active, 20, 10ms",
        "    postExecute :done, milestone, 30, 0ms",
        "  section Quota",
        "    preExecute failed :crit, 20, 10ms",
      ),
    );
    const bars = await parseGantt(text);
    expect(bars.map((b) => [b.section, b.text, b.start, b.end, b.tags.join(" ")])).toEqual([
      ["run", "run failed", 0, 30, "crit"],
      ["Database", "preExecute", 0, 20, "done"],
      ["Database", "postExecute", 30, 30, "done milestone"],
      ["Cache", "preExecute cancelled", 20, 30, "active"],
      ["Cache", "postExecute", 30, 30, "done milestone"],
      ["Quota", "preExecute failed", 20, 30, "crit"],
    ]);
  });

  it("a timed-out attempt that settles late, the retry's delay, the attempt that succeeds: attempts numbered", async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("Quote", {
          execute: taskFunc(
            (ctx, scope) => takes(clock, ++calls === 1 ? 80 : 20, true)(ctx, scope),
            { timeoutMs: 50, retries: 2, initialDelayMs: 20 },
          ),
        }),
        1,
      )
      .build();
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toBe(
      chart(
        "  section #114;un",
        "    run succeeded :done, 0, 110ms",
        "  section Quote",
        "    execute (attempt 1) timed out at 50 ms :crit, 0, 80ms",
        "    execute retry in 10 ms :80, 10ms",
        "    execute (attempt 2) :done, 90, 20ms",
      ),
    );
    expect((await parseGantt(text)).map((b) => [b.text, b.start, b.end])).toEqual([
      ["run succeeded", 0, 110],
      ["execute (attempt 1) timed out at 50 ms", 0, 80],
      ["execute retry in 10 ms", 80, 90],
      ["execute (attempt 2)", 90, 110],
    ]);
  });

  it("an abandoned function: its bar ends when it was abandoned, its late settlement is a milestone after the run", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("stubborn", {
          preExecute: taskFunc(takes(clock, 100, true), { abandonAfterMs: 20 }),
          postExecute: () => {},
        }),
        1,
      )
      .addTask(
        task("failing", {
          preExecute: async (ctx, scope) => {
            await takes(clock, 10)(ctx, scope);
            throw new Error("boom");
          },
        }),
        1,
      )
      .build();
    expect(ganttFromEvents(await record(processor, clock))).toBe(
      chart(
        "  section #114;un",
        "    run failed :crit, 0, 30ms",
        "  section stubborn",
        "    preExecute cancelled at 10 ms, abandoned :active, 0, 30ms",
        "    postExecute :done, milestone, 30, 0ms",
        "    preExecute settled late :milestone, 100, 0ms",
        "  section failing",
        "    preExecute failed :crit, 0, 10ms",
      ),
    );
  });

  it("an external abort during a retry's delay: a milestone in the run's section, the delay cut short", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    clock.setTimeout(() => controller.abort(new Error("user left")), 30);
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("fetch", {
          execute: taskFunc(
            async (ctx, scope) => {
              await takes(clock, 10)(ctx, scope);
              throw new RetryableError("503");
            },
            { retries: 3, initialDelayMs: 100 },
          ),
        }),
        1,
      )
      .build();
    expect(ganttFromEvents(await record(processor, clock, controller.signal))).toBe(
      chart(
        "  section #114;un",
        "    run failed :crit, 0, 30ms",
        "    aborted :crit, milestone, 30, 0ms",
        "  section fetch",
        "    execute (attempt 1) failed :crit, 0, 10ms",
        "    execute retry in 50 ms, cancelled :10, 20ms",
      ),
    );
  });

  it("a task entered once the run is failing is skipped: a milestone", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(
        task("F", {
          preExecute: () => {
            throw new Error("F");
          },
        }),
      )
      .addTask(task("G", { preExecute: () => {} }))
      .addTask(task("H", { preExecute: () => {} }), ["G"])
      .build();
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toContain("  section H\n    skipped :milestone, 0, 0ms\n");
    expect((await parseGantt(text)).filter((b) => b.section === "H")).toEqual([
      { section: "H", text: "skipped", start: 0, end: 0, tags: ["milestone"] },
    ]);
  });

  it("under maxConcurrency a phase's wait for a slot is a bar of its own, from its queueing to its start", async () => {
    const clock = new VirtualClock();
    const phases = { preExecute: takes(clock, 10), execute: takes(clock, 5) };
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { ...phases, postExecute: takes(clock, 5) }), 1)
      .addTask(task("b", { ...phases, postExecute: takes(clock, 5) }), 1)
      .build({ maxConcurrency: 1 });
    expect(ganttFromEvents(await record(processor, clock))).toBe(
      chart(
        "  section #114;un",
        "    run succeeded :done, 0, 40ms",
        "  section a",
        "    preExecute :done, 0, 10ms",
        "    execute :done, 20, 5ms",
        "    postExecute :done, 30, 5ms",
        "  section b",
        "    preExecute queued :0, 10ms",
        "    preExecute :done, 10, 10ms",
        "    execute queued :20, 5ms",
        "    execute :done, 25, 5ms",
        "    postExecute queued :30, 5ms",
        "    postExecute :done, 35, 5ms",
      ),
    );
  });

  it("a queued preExecute skipped when the run fails says so", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("slow", { preExecute: takes(clock, 10) }), 1)
      .addTask(
        task("fails", {
          preExecute: () => {
            throw new Error("x");
          },
        }),
        1,
      )
      .addTask(task("waits", { preExecute: () => {} }), 1)
      .build({ maxConcurrency: 1 });
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toContain("  section waits\n    preExecute queued, skipped :0, 10ms\n");
    await expect(parseGantt(text)).resolves.toBeDefined();
  });

  it("INV-39 a queued execute that never starts because the run failed says so", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("a", {
          execute: async (ctx, scope) => {
            await takes(clock, 10)(ctx, scope);
            throw new Error("a");
          },
        }),
        1,
      )
      .addTask(task("b", { execute: () => {}, postExecute: () => {} }), 1)
      .build({ maxConcurrency: 1 });
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toContain("  section b\n    execute queued, never started :0, 10ms\n");
    await expect(parseGantt(text)).resolves.toBeDefined();
  });

  // Mermaid draws sections of one title as one: a task named "run" shared the run's section
  // while both were titled "run".
  it("names that mean something to Mermaid are escaped section titles; a task named run has its own section", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("run", { execute: () => {} }), 1)
      .addTask(task("#1: a; b %% c", { execute: () => {} }), 1)
      .build();
    const text = ganttFromEvents(await record(processor, clock));
    expect(text).toContain("  section #114;un\n    run succeeded");
    expect(text).toContain("  section run\n    execute :done, milestone, 0, 0ms");
    expect(text).toContain("  section #35;1#58; a#59; b #37;#37; c\n");
    expect((await parseGantt(text)).map((b) => b.section)).toEqual(["run", "run", "#1: a; b %% c"]);
  });

  // The axis of a run over a minute read minutes of the hour, in local time: 30 minutes off in
  // India, and wrapping after an hour.
  it("the axis reads milliseconds, then seconds, the same in every time zone", async () => {
    const axis = async (ms: number) => {
      const clock = new VirtualClock();
      const processor = AsyncTaskProcessor.builder()
        .addTask(task("slow", { execute: takes(clock, ms) }), 1)
        .build();
      return ganttFromEvents(await record(processor, clock)).split("\n")[2];
    };
    expect(await axis(999)).toBe("  axisFormat %-L ms");
    expect(await axis(1_500)).toBe("  axisFormat %s.%L s");
    expect(await axis(90_000)).toBe("  axisFormat %s s");
    // As Mermaid draws a tick: d3's format, in the viewer's local time.
    const label = (format: string, ms: number) => timeFormat(format)(new Date(ms));
    const zone = process.env.TZ;
    try {
      for (const tz of ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns"]) {
        process.env.TZ = tz;
        expect(label("%-L ms", 250)).toBe("250 ms");
        expect(label("%s.%L s", 1_500)).toBe("1.500 s");
        expect(label("%s s", 90_000)).toBe("90 s");
        expect(label("%s s", 3_700_000)).toBe("3700 s");
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe("ganttFromEvents on generated runs, read back by Mermaid's parser", () => {
  const behaviour = fc.record({
    ms: fc.constantFrom(0, 5, 10, 15),
    fails: fc.boolean(),
  });
  test.prop([workflowArb(hostileName, 8), fc.array(behaviour, { minLength: 24, maxLength: 24 })], {
    numRuns: 60,
  })(
    "one bar per attempt, in its task's section, from its start to its end; a skip is a milestone",
    async (spec, behaviours) => {
      const clock = new VirtualClock();
      let call = 0;
      const body = (ctx: unknown, scope: TaskScope) => {
        const { ms, fails } = behaviours[call++ % behaviours.length]!;
        return takes(clock, ms)(ctx, scope).then(() => {
          if (fails && scope.phase !== "postExecute") throw new Error("planned");
        });
      };
      const events = await record(
        buildWorkflow(spec, { preExecute: body, execute: body, postExecute: body }),
        clock,
      );
      const start = new Map<string, number>();
      const expected: [string, number, number][] = [];
      for (const e of events) {
        if (e.type === "task" && e.event === "skip") expected.push([e.task, e.at, e.at]);
        if (e.type !== "attempt") continue;
        const key = `${e.task}/${e.phase}`;
        if (e.event === "start") {
          start.set(key, e.at);
          expected.push([e.task, e.at, Number.NaN]);
        }
        if (e.event === "succeed" || e.event === "settle") {
          for (let i = expected.length - 1; i >= 0; i--) {
            const [task, at] = expected[i]!;
            if (task === e.task && at === start.get(key)) {
              expected[i]![2] = e.at;
              break;
            }
          }
        }
      }
      const end = events.find((e) => e.type === "run" && e.to === "settled")!.at;
      const bars = await parseGantt(ganttFromEvents(events));
      expect(bars[0]).toMatchObject({ section: "run", start: 0, end });
      const bySection = (list: [string, number, number][]) =>
        list.slice().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      expect(bySection(bars.slice(1).map((b) => [b.section, b.start, b.end]))).toEqual(
        bySection(expected),
      );
    },
  );
});

describe("ganttFromEvents on partial and odd lists", () => {
  async function someRun(): Promise<LifecycleEvent[]> {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { preExecute: takes(clock, 10), postExecute: takes(clock, 5) }), 1)
      .addTask(task("b", { execute: taskFunc(takes(clock, 30), { timeoutMs: 20 }) }), 2)
      .build();
    return record(processor, clock);
  }

  it("every prefix of a run's events gives a chart Mermaid parses; what no event ended runs to the last time seen, unfinished", async () => {
    const events = await someRun();
    for (let n = 0; n <= events.length; n++) {
      const text = ganttFromEvents(events.slice(0, n));
      await expect(parseGantt(text)).resolves.toBeDefined();
    }
    const cut = events.findIndex((e) => e.type === "attempt" && e.event === "timeout") + 1;
    expect(ganttFromEvents(events.slice(0, cut))).toBe(
      chart(
        "  section #114;un",
        "    run unfinished :active, 0, 30ms",
        "  section a",
        "    preExecute :done, 0, 10ms",
        "  section b",
        "    execute timed out, unfinished :crit, 10, 20ms",
      ),
    );
  });

  it("an empty list is a run that did not finish, at time 0", async () => {
    const text = ganttFromEvents([]);
    expect(text).toBe(chart("  section #114;un", "    run unfinished :active, milestone, 0, 0ms"));
    await expect(parseGantt(text)).resolves.toHaveLength(1);
  });

  it("without its first events: times from the earliest event left; an attempt whose start is missing is left out", async () => {
    const events = await someRun();
    const from = events.findIndex((e) => e.type === "attempt" && e.task === "b") + 1;
    const text = ganttFromEvents(events.slice(from));
    expect(text).not.toContain("section b\n    execute");
    expect(text).toContain("  section a\n    postExecute :done, 0, 5ms");
  });

  it("an event whose time is not a number takes the time of the event before it; values that are not events are skipped", async () => {
    const events = await someRun();
    const odd = events.map((e) =>
      e.type === "attempt" && e.task === "a" && e.phase === "preExecute" && e.event === "succeed"
        ? { ...e, at: Number.NaN }
        : e,
    );
    const noise = [
      null,
      42,
      "start",
      { no: "type" },
      { type: "task", task: Symbol("not a name"), event: "skip", at: 1 },
      { type: "attempt", task: "a", phase: {}, attempt: 1, event: "start", at: 1 },
    ] as unknown as LifecycleEvent[];
    const text = ganttFromEvents([...noise.slice(0, 2), ...odd, ...noise.slice(2)]);
    expect(text).toContain("  section a\n    preExecute :done, milestone, 0, 0ms");
    await expect(parseGantt(text)).resolves.toBeDefined();
  });

  // A revoked Proxy or a throwing getter threw out of ganttFromEvents; a forged phase such as
  // "title Hacked" began a chart line, where Mermaid read it as a statement.
  it("entries that cannot be read, and events naming no phase where they have one, are skipped", async () => {
    const events = await someRun();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = (key: string) =>
      Object.defineProperty({ type: "task", task: "a", event: "skip", at: 1 }, key, {
        enumerable: true,
        get() {
          throw new Error(`no ${key}`);
        },
      });
    const forged = ["dateFormat YYYY", "title Hacked", "excludes weekends", "click x"].map(
      (phase) => ({ type: "attempt", task: "a", phase, attempt: 1, event: "start", at: 2 }),
    );
    const noise = [
      proxy,
      throwing("type"),
      throwing("at"),
      ...forged,
    ] as unknown as LifecycleEvent[];
    const text = ganttFromEvents([...events.slice(0, 3), ...noise, ...events.slice(3)]);
    expect(text).toBe(ganttFromEvents(events));
  });

  it("refuses what it cannot draw: something that is not an array, the events of two runs", async () => {
    const events = await someRun();
    expect(() => ganttFromEvents("events" as never)).toThrow(
      "ganttFromEvents: expected an array of events, got string",
    );
    expect(() => ganttFromEvents([...events, ...events])).toThrow(
      `ganttFromEvents: expected the events of one run, found 2 run starts (at indexes 0, ${events.length}); draw each run on its own`,
    );
  });
});
