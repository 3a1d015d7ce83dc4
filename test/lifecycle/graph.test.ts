import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, isSdaxExecutionError, join } from "../../src/index.js";
import { collectEvents, flush, gates, Recorder, waitFor } from "../helpers/recorder.js";

const posts = (rec: Recorder) => rec.starts().filter((k) => k.endsWith(".post"));
const pres = (rec: Recorder) => rec.starts().filter((k) => k.endsWith(".pre"));

describe("spec 1 and 5: graph mode ordering", () => {
  it("INV-2 INV-10: a diamond A -> (B, C) -> D, added in reverse order, enters by dependencies and tears down in reverse", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const t = (name: string) =>
      rec.task(name, {
        pre: waitFor(gate(`${name}.pre`)),
        exec: true,
        post: waitFor(gate(`${name}.post`)),
      });
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(t("D"), ["C", "B"])
      .addTask(t("C"), ["A"])
      .addTask(t("B"), ["A"])
      .addTask(t("A"))
      .build();
    expect(processor.describe()).toEqual([
      { name: "D", dependsOn: ["C", "B"], phases: ["preExecute", "execute", "postExecute"] },
      { name: "C", dependsOn: ["A"], phases: ["preExecute", "execute", "postExecute"] },
      { name: "B", dependsOn: ["A"], phases: ["preExecute", "execute", "postExecute"] },
      { name: "A", dependsOn: [], phases: ["preExecute", "execute", "postExecute"] },
    ]);
    let settled = false;
    const run = processor.processTasks(undefined).finally(() => {
      settled = true;
    });
    await flush();
    expect(pres(rec)).toEqual(["A.pre"]);
    await open("A.pre");
    expect(pres(rec).sort()).toEqual(["A.pre", "B.pre", "C.pre"]);
    await open("B.pre");
    expect(rec.started("D.pre")).toBe(false); // C still pending
    await open("C.pre");
    expect(pres(rec).at(-1)).toBe("D.pre");
    expect(rec.starts().some((k) => k.endsWith(".exec"))).toBe(false);
    await open("D.pre");
    expect(posts(rec)).toEqual(["D.post"]); // executes were synchronous
    await open("D.post");
    expect(posts(rec).slice(1).sort()).toEqual(["B.post", "C.post"]);
    await open("C.post");
    expect(rec.started("A.post")).toBe(false); // B.post still running
    await open("B.post");
    expect(posts(rec).at(-1)).toBe("A.post");
    expect(settled).toBe(false);
    await open("A.post");
    expect(settled).toBe(true);
    await run;
  });

  it("INV-2 INV-10: fan-out R -> (X, Y, Z): the three dependents enter in the same turn; R's post waits for all three posts", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("R", { pre: waitFor(gate("R.pre")), post: true }))
      .addTask(rec.task("X", { pre: true, post: waitFor(gate("X.post")) }), ["R"])
      .addTask(rec.task("Y", { pre: true, post: waitFor(gate("Y.post")) }), ["R"])
      .addTask(rec.task("Z", { pre: true, post: waitFor(gate("Z.post")) }), ["R"])
      .build();
    const run = processor.processTasks(undefined);
    expect(pres(rec)).toEqual(["R.pre"]);
    await open("R.pre");
    expect(pres(rec)).toEqual(["R.pre", "X.pre", "Y.pre", "Z.pre"]);
    expect(posts(rec)).toEqual(["X.post", "Y.post", "Z.post"]);
    await open("Y.post", "X.post");
    expect(rec.started("R.post")).toBe(false);
    await open("Z.post");
    expect(posts(rec).at(-1)).toBe("R.post");
    await run;
  });

  it("INV-2 INV-10: a fan-in through a task without postExecute still orders the teardown around it", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("A", { pre: true, post: true }))
      .addTask(rec.task("M", { pre: true }), ["A"])
      .addTask(rec.task("Z", { pre: true, post: waitFor(gate("Z.post")) }), ["M"])
      .build();
    const run = processor.processTasks(undefined);
    await flush();
    expect(posts(rec)).toEqual(["Z.post"]);
    await flush();
    expect(rec.started("A.post")).toBe(false);
    await open("Z.post");
    await run;
    expect(posts(rec)).toEqual(["Z.post", "A.post"]);
  });

  it("INV-2 INV-8 INV-10: a join() node synchronises auth and flags before fetch, and appears only under its own name", async () => {
    const rec = new Recorder();
    const { gate, open } = gates();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("fetch", { pre: true, exec: true, post: true }), ["ready"])
      .addTask(join("ready"), ["auth", "flags"])
      .addTask(rec.task("auth", { pre: waitFor(gate("auth.pre")), post: true }))
      .addTask(rec.task("flags", { pre: waitFor(gate("flags.pre")), post: true }))
      .build();
    expect(processor.describe()[1]).toEqual({
      name: "ready",
      dependsOn: ["auth", "flags"],
      phases: [],
    });
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { onEvent });
    await open("flags.pre");
    expect(rec.started("fetch.pre")).toBe(false);
    await open("auth.pre");
    await run;
    expect(rec.starts()).toEqual([
      "auth.pre",
      "flags.pre",
      "fetch.pre",
      "fetch.exec",
      "fetch.post",
      "auth.post",
      "flags.post",
    ]);
    const ready = events.flatMap((e) =>
      e.type === "task" && e.task === "ready" ? [`${e.event}:${e.to}`] : [],
    );
    expect(ready).toEqual(["enter:ready", "finish:done"]);
  });

  it("INV-2 INV-9: behind a join, a failed dependency means nothing after the join is entered", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(
        rec.task("auth", {
          pre: async () => {
            throw new Error("denied");
          },
          post: true,
        }),
      )
      .addTask(rec.task("flags", { pre: true, post: true }))
      .addTask(join("ready"), ["auth", "flags"])
      .addTask(rec.task("fetch", { pre: true, post: true }), ["ready"])
      .addTask(rec.task("after", { post: true }), ["ready"])
      .build();
    const { events, onEvent } = collectEvents();
    const error = await processor.processTasks(undefined, { onEvent }).catch((e: unknown) => e);
    expect(isSdaxExecutionError(error)).toBe(true);
    expect(rec.starts().sort()).toEqual(["auth.post", "auth.pre", "flags.post", "flags.pre"]);
    const touched = new Set(events.flatMap((e) => (e.type === "task" ? [e.task] : [])));
    expect([...touched].sort()).toEqual(["auth", "flags"]);
  });

  it("INV-3 INV-4: a preExecute failure in one branch cancels a running preExecute of an independent branch and nothing further starts there", async () => {
    const rec = new Recorder();
    const { gate } = gates();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("left", { pre: waitFor(gate("left.pre")), post: true }))
      .addTask(rec.task("leftChild", { pre: true, post: true }), ["left"])
      .addTask(rec.task("right", { pre: waitFor(gate("right.pre")), post: true }))
      .build();
    const run = processor.processTasks(undefined).catch((e: unknown) => e);
    gate("right.pre").reject(new Error("right"));
    const error = await run;
    expect(isSdaxExecutionError(error)).toBe(true);
    const signal = rec.scope("left.pre").signal;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe("AbortError");
    expect(rec.started("leftChild.pre")).toBe(false);
    expect(posts(rec).sort()).toEqual(["left.post", "right.post"]);
  });
});
