import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, type LifecycleEvent } from "../../src/index.js";
import { collectEvents, flush, gates, Recorder, waitFor } from "../helpers/recorder.js";

function taskEventsOf(events: readonly LifecycleEvent[], event: string): string[] {
  return events.flatMap((e) => (e.type === "task" && e.event === event ? [e.task] : []));
}

describe("spec 1 and 5: level mode ordering", () => {
  it("INV-2 INV-5 INV-10: three sparse levels (negative, zero, positive, added out of order) go up level by level and come down in reverse", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const phases = (name: string) =>
      rec.task(name, {
        pre: waitFor(gate(`${name}.pre`)),
        exec: waitFor(gate(`${name}.exec`)),
        post: waitFor(gate(`${name}.post`)),
      });
    // Levels -5 (A, B), 0 (C, D), 7 (E), added in a scrambled order.
    const processor = AsyncTaskProcessor.builder()
      .addTask(phases("E"), 7)
      .addTask(phases("C"), 0)
      .addTask(phases("A"), -5)
      .addTask(phases("D"), 0)
      .addTask(phases("B"), -5)
      .build();
    const { events, onEvent } = collectEvents();
    let settled = false;
    const run = processor.processTasks(undefined, { onEvent }).finally(() => {
      settled = true;
    });

    // The lowest level starts at once, in the order its tasks were added.
    expect(rec.starts()).toEqual(["A.pre", "B.pre"]);
    await flush();
    expect(rec.starts()).toEqual(["A.pre", "B.pre"]);

    // One level-(-5) pre still pending: no pre of level 0 starts.
    await open("A.pre");
    expect(rec.starts()).toEqual(["A.pre", "B.pre"]);

    // The last one ends: every task of level 0 is entered in the same turn.
    await open("B.pre");
    expect(rec.starts()).toEqual(["A.pre", "B.pre", "C.pre", "D.pre"]);

    await open("D.pre");
    expect(rec.started("E.pre")).toBe(false);
    await open("C.pre");
    expect(rec.starts().slice(4)).toEqual(["E.pre"]);
    expect(rec.starts().some((k) => k.endsWith(".exec"))).toBe(false);

    // Every pre done: every execute starts at once, across all levels (one step, no gap).
    await open("E.pre");
    const execs = rec.log.slice(rec.log.indexOf("E.pre<") + 1);
    // In the order the tasks were added: E, C, A, D, B.
    expect(execs).toEqual(["E.exec>", "C.exec>", "A.exec>", "D.exec>", "B.exec>"]);
    // In one step: from the run's `execute` to the last startExec, only execute starts happen.
    const from = events.findIndex((e) => e.type === "run" && e.event === "execute");
    const to = events.map((e) => e.type === "task" && e.event === "startExec").lastIndexOf(true);
    const between = events.slice(from + 1, to + 1);
    expect(
      between.filter((e) => e.type === "task").map((e) => e.type === "task" && e.task),
    ).toEqual(["E", "C", "A", "D", "B"]);
    expect(
      between.every(
        (e) =>
          (e.type === "task" && e.event === "startExec") ||
          (e.type === "attempt" && e.event === "start" && e.phase === "execute"),
      ),
    ).toBe(true);

    // Executes end in any order; no post starts while one execute runs.
    await open("A.exec", "E.exec", "C.exec", "B.exec");
    expect(rec.starts().some((k) => k.endsWith(".post"))).toBe(false);
    await open("D.exec");

    // Teardown: the top level first, then level 0, then level -5.
    expect(rec.starts().filter((k) => k.endsWith(".post"))).toEqual(["E.post"]);
    await open("E.post");
    expect(rec.starts().filter((k) => k.endsWith(".post"))).toEqual(["E.post", "C.post", "D.post"]);
    await open("C.post");
    expect(rec.started("A.post") || rec.started("B.post")).toBe(false);
    await open("D.post");
    expect(rec.starts().filter((k) => k.endsWith(".post"))).toEqual([
      "E.post",
      "C.post",
      "D.post",
      "A.post",
      "B.post",
    ]);
    expect(settled).toBe(false);
    await open("B.post");
    expect(settled).toBe(false);
    await open("A.post");
    expect(settled).toBe(true);
    await expect(run).resolves.toMatchObject({ tasks: 5, retried: [], abandoned: [] });

    // No barrier or other internal node ever shows in events.
    const names = new Set(events.flatMap((e) => (e.type === "run" ? [] : [e.task])));
    expect([...names].sort()).toEqual(["A", "B", "C", "D", "E"]);
    expect(taskEventsOf(events, "startPre")).toEqual(["A", "B", "C", "D", "E"]);
  });

  it("INV-2 INV-10: a level whose tasks have no preExecute is passed through at once and torn down in its turn", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(gate("A.pre")), post: true }), 1)
      .addTask(rec.task("M", { exec: true, post: waitFor(gate("M.post")) }), 2)
      .addTask(rec.task("N", { exec: true }), 2)
      .addTask(rec.task("Z", { pre: true, post: true }), 3)
      .build();
    const run = processor.processTasks(undefined);
    expect(rec.starts()).toEqual(["A.pre"]);
    await open("A.pre");
    // Level 2 has no pre: entered at once, so level 3 starts in the same turn.
    expect(rec.starts()).toEqual(["A.pre", "Z.pre", "M.exec", "N.exec", "Z.post", "M.post"]);
    expect(rec.started("A.post")).toBe(false);
    await open("M.post");
    expect(rec.starts().at(-1)).toBe("A.post");
    await expect(run).resolves.toMatchObject({ tasks: 4 });
  });

  it("INV-2: levels compare by value, not as strings (-10 < -2 < 2 < 10)", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("ten", { pre: true }), 10)
      .addTask(rec.task("two", { pre: true }), 2)
      .addTask(rec.task("minusTwo", { pre: true }), -2)
      .addTask(rec.task("minusTen", { pre: true }), -10)
      .build();
    await processor.processTasks(undefined);
    expect(rec.starts()).toEqual(["minusTen.pre", "minusTwo.pre", "two.pre", "ten.pre"]);
  });
});
