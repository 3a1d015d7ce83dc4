import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, isSdaxExecutionError } from "../../src/index.js";
import { collectEvents, deferred, flush, Recorder, waitFor } from "../helpers/recorder.js";

function postOnlyWorkflow(rec: Recorder, upstreamFails: boolean) {
  return AsyncTaskProcessor.builder()
    .addTask(
      rec.task("up", {
        pre: () => {
          if (upstreamFails) return Promise.reject(new Error("up failed"));
          return undefined;
        },
        post: true,
      }),
      1,
    )
    .addTask(rec.task("sibling", { pre: true, post: true }), 1)
    .addTask(rec.task("rootPostOnly", { post: true }), 1) // no dependency: always entered
    .addTask(rec.task("postOnly", { post: true }), 2)
    .addTask(rec.task("execAndPost", { exec: true, post: true }), 2)
    .build();
}

describe("spec 5: tasks without preExecute", () => {
  it("INV-8 INV-10: with every upstream preExecute succeeded, a post-only task is entered and its postExecute runs before its dependencies' posts", async () => {
    const rec = new Recorder();
    const { events, onEvent } = collectEvents();
    await postOnlyWorkflow(rec, false).processTasks(undefined, { onEvent });
    const posts = rec.starts().filter((k) => k.endsWith(".post"));
    expect(posts.sort()).toEqual([
      "execAndPost.post",
      "postOnly.post",
      "rootPostOnly.post",
      "sibling.post",
      "up.post",
    ]);
    for (const upper of ["postOnly.post<", "execAndPost.post<"]) {
      for (const lower of ["up.post>", "sibling.post>", "rootPostOnly.post>"]) {
        expect(rec.log.indexOf(upper), `${upper} before ${lower}`).toBeLessThan(
          rec.log.indexOf(lower),
        );
      }
    }
    const enters = events.flatMap((e) =>
      e.type === "task" && e.event === "enter" ? [e.task] : [],
    );
    expect(enters).toEqual(["rootPostOnly", "postOnly", "execAndPost"]);
  });

  it("INV-8 INV-9: with a failed upstream preExecute, a post-only task is never entered and its postExecute never runs; a post-only root still gets its post", async () => {
    const rec = new Recorder();
    const { events, onEvent } = collectEvents();
    const error = await postOnlyWorkflow(rec, true)
      .processTasks(undefined, { onEvent })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSdaxExecutionError(error)).toBe(true);
    expect(rec.started("postOnly.post")).toBe(false);
    expect(rec.started("execAndPost.post")).toBe(false);
    expect(rec.started("execAndPost.exec")).toBe(false);
    expect(
      rec
        .starts()
        .filter((k) => k.endsWith(".post"))
        .sort(),
    ).toEqual(["rootPostOnly.post", "sibling.post", "up.post"]);
    // Never entered: no event at all for the level-2 tasks.
    expect(events.some((e) => e.type === "task" && e.task === "postOnly")).toBe(false);
  });

  it("INV-3 INV-8: a post-only task whose dependencies reach ready after the run began failing is still entered and torn down", async () => {
    // B's pre succeeds in the same step as A's pre fails (both synchronous); C (after B) has no
    // pre, so it is entered although the run is failing; D (after B) has one and is skipped.
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(
        rec.task("A", {
          pre: () => {
            throw new Error("A");
          },
        }),
      )
      .addTask(rec.task("B", { pre: true, post: true }))
      .addTask(rec.task("C", { post: true }), ["B"])
      .addTask(rec.task("D", { pre: true, post: true }), ["B"])
      .build();
    const { events, onEvent } = collectEvents();
    await processor.processTasks(undefined, { onEvent }).catch(() => undefined);
    const fates = events.flatMap((e) =>
      e.type === "task" && (e.event === "enter" || e.event === "skip")
        ? [`${e.task}:${e.event}`]
        : [],
    );
    expect(fates).toEqual(["C:enter", "D:skip"]);
    expect(rec.started("C.post")).toBe(true);
    expect(rec.started("D.pre") || rec.started("D.post")).toBe(false);
    expect(rec.log.indexOf("C.post<")).toBeLessThan(rec.log.indexOf("B.post>"));
  });

  it("INV-8 INV-10: a post-only task waits for a pending upstream preExecute before it is entered", async () => {
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("P", { post: true }), ["U"])
      .addTask(rec.task("U", { pre: waitFor(gate), post: true }))
      .build();
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { onEvent });
    await flush();
    expect(events.some((e) => e.type === "task" && e.task === "P")).toBe(false);
    gate.resolve(undefined);
    await run;
    expect(rec.starts()).toEqual(["U.pre", "P.post", "U.post"]);
  });
});
