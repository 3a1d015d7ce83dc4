import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxBuildError,
  type LifecycleEvent,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { executionErrorOf } from "../helpers/async.js";
import { collectEvents, flush, gates, Recorder, waitFor } from "../helpers/recorder.js";

/** Task events as `"task:event"`, to read the order of starts and queueings. */
function taskMoves(events: readonly LifecycleEvent[]): string[] {
  return events.flatMap((e) => (e.type === "task" ? [`${e.task}:${e.event}`] : []));
}

/** A body that counts the functions in flight and records the highest count. */
function inFlight(): { body: (gate: Promise<unknown>) => () => Promise<unknown>; max(): number } {
  let now = 0;
  let max = 0;
  return {
    body: (gate) => async () => {
      now++;
      max = Math.max(max, now);
      try {
        return await gate;
      } finally {
        now--;
      }
    },
    max: () => max,
  };
}

describe("spec section 8: maxConcurrency", () => {
  it("INV-37 INV-38: a level of six tasks under a limit of 2 runs two functions at a time, in every phase, starting them in the order the tasks were added", async () => {
    const rec = new Recorder();
    const g = gates();
    const names = ["a", "b", "c", "d", "e", "f"];
    const builder = AsyncTaskProcessor.builder();
    for (const n of names) {
      builder.addTask(
        rec.task(n, {
          pre: waitFor(g.gate(`${n}.pre`)),
          exec: waitFor(g.gate(`${n}.exec`)),
          post: waitFor(g.gate(`${n}.post`)),
        }),
        1,
      );
    }
    const processor = builder.build({ maxConcurrency: 2 });
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { onEvent });
    await flush();
    expect(rec.starts()).toEqual(["a.pre", "b.pre"]);
    expect(taskMoves(events).filter((m) => m.endsWith(":queuePre"))).toEqual(
      ["c", "d", "e", "f"].map((n) => `${n}:queuePre`),
    );
    for (const phase of ["pre", "exec", "post"]) {
      // Settle them out of order: a freed slot goes to the oldest waiting phase.
      for (const n of ["b", "a", "d", "c", "f", "e"]) {
        await g.open(`${n}.${phase}`);
        const running = rec
          .starts()
          .filter((k) => k.endsWith(`.${phase}`))
          .filter((k) => !g.gate(k).settled);
        expect(running.length, `${phase} functions running after ${n} settled`).toBeLessThanOrEqual(
          2,
        );
      }
    }
    await run;
    const starts = rec.starts();
    expect(starts.filter((k) => k.endsWith(".pre"))).toEqual(names.map((n) => `${n}.pre`));
    expect(starts.filter((k) => k.endsWith(".exec"))).toEqual(names.map((n) => `${n}.exec`));
    expect(starts.filter((k) => k.endsWith(".post"))).toEqual(names.map((n) => `${n}.post`));
    expect(events[0]).toMatchObject({ type: "run", event: "start", maxConcurrency: 2 });
  });

  it("INV-37: the number of functions really in flight never exceeds the limit, across levels and phases", async () => {
    const flight = inFlight();
    const gate = Promise.resolve();
    const builder = AsyncTaskProcessor.graphBuilder();
    for (let i = 0; i < 12; i++) {
      const fn = flight.body(gate);
      builder.addTask(
        task(`t${i}`, { preExecute: fn, execute: fn, postExecute: fn }),
        i < 4 ? [] : [`t${i % 4}`],
      );
    }
    await builder.build().processTasks(undefined, { maxConcurrency: 3 });
    expect(flight.max()).toBe(3);
  });

  it("INV-38: a task that becomes able to start waits behind phases queued before it", async () => {
    const rec = new Recorder();
    const g = gates();
    // a, b, c are roots; d depends on a. With one slot: a runs, b and c wait; when a
    // succeeds, its slot goes to b (queued first), and d queues behind c.
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("a", { pre: waitFor(g.gate("a.pre")) }), [])
      .addTask(rec.task("b", { pre: waitFor(g.gate("b.pre")) }), [])
      .addTask(rec.task("c", { pre: waitFor(g.gate("c.pre")) }), [])
      .addTask(rec.task("d", { pre: waitFor(g.gate("d.pre")) }), ["a"])
      .build();
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { maxConcurrency: 1, onEvent });
    await flush();
    await g.open("a.pre");
    expect(rec.starts()).toEqual(["a.pre", "b.pre"]);
    await g.open("b.pre");
    await g.open("c.pre");
    await g.open("d.pre");
    await run;
    expect(rec.starts()).toEqual(["a.pre", "b.pre", "c.pre", "d.pre"]);
    expect(taskMoves(events)).toContain("d:queuePre");
  });

  it("INV-38: postExecutes made able to start by one teardown are granted slots in the order their tasks were added, whatever the order of dependsOn", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("x", { post: true }), [])
      .addTask(rec.task("y", { post: true }), [])
      .addTask(rec.task("z", { post: true }), [])
      .addTask(rec.task("top", { post: true }), ["z", "x", "y"])
      .build();
    await processor.processTasks(undefined, { maxConcurrency: 1 });
    expect(rec.starts()).toEqual(["top.post", "x.post", "y.post", "z.post"]);
  });

  it("INV-39 INV-7: when a preExecute fails, queued preExecutes are skipped and get no postExecute; those started are cleaned up", async () => {
    const rec = new Recorder();
    const g = gates();
    const builder = AsyncTaskProcessor.builder();
    for (const n of ["a", "b", "c", "d"]) {
      builder.addTask(rec.task(n, { pre: waitFor(g.gate(`${n}.pre`)), post: true }), 1);
    }
    const { events, onEvent } = collectEvents();
    const run = executionErrorOf(
      builder.build().processTasks(undefined, { maxConcurrency: 2, onEvent }),
    );
    await flush();
    g.gate("a.pre").reject(new Error("a failed"));
    const error = await run;
    expect(error.failures.map((f) => f.task)).toEqual(["a"]);
    // b was running: cancelled, then cleaned up; c and d never started.
    expect(rec.starts()).toEqual(["a.pre", "b.pre", "a.post", "b.post"]);
    expect(taskMoves(events)).toEqual(
      expect.arrayContaining(["c:queuePre", "d:queuePre", "c:skip", "d:skip", "b:cancel"]),
    );
    const skips = taskMoves(events).filter((m) => m.endsWith(":skip"));
    expect(skips).toEqual(["c:skip", "d:skip"]); // in queue order
  });

  it("INV-39: when an execute fails, queued executes never start, and their tasks are still cleaned up", async () => {
    const rec = new Recorder();
    const g = gates();
    const builder = AsyncTaskProcessor.builder();
    for (const n of ["a", "b", "c"]) {
      builder.addTask(
        rec.task(n, { pre: true, exec: waitFor(g.gate(`${n}.exec`)), post: true }),
        1,
      );
    }
    const { events, onEvent } = collectEvents();
    const run = builder.build().processTasks(undefined, { maxConcurrency: 1, onEvent });
    await flush();
    g.gate("a.exec").reject(new Error("a failed"));
    const error = await executionErrorOf(run);
    expect(error.failures.map((f) => `${f.task}.${f.phase}`)).toEqual(["a.execute"]);
    expect(rec.starts().filter((k) => k.endsWith(".exec"))).toEqual(["a.exec"]);
    expect(
      rec
        .starts()
        .filter((k) => k.endsWith(".post"))
        .sort(),
    ).toEqual(["a.post", "b.post", "c.post"]);
    expect(taskMoves(events)).toEqual(
      expect.arrayContaining(["b:queueExec", "c:queueExec", "b:startPost", "c:startPost"]),
    );
    expect(taskMoves(events)).not.toContain("b:startExec");
  });

  it("INV-37: a phase keeps its slot through a retry delay, and a cancelled function keeps it until it settles", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    let calls = 0;
    const flaky = taskFunc(
      () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      },
      { retries: 1, initialDelayMs: 100 },
    );
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("flaky", { preExecute: flaky }), 1)
      .addTask(rec.task("next", { pre: true }), 1)
      .build();
    const run = processor.processTasks(undefined, { clock, maxConcurrency: 1, random: () => 0 });
    await flush();
    expect(calls).toBe(1);
    expect(rec.starts()).toEqual([]); // the retry delay still holds the slot
    await clock.runAll();
    await run;
    expect(calls).toBe(2);
    expect(rec.starts()).toEqual(["next.pre"]);
  });

  it("INV-37: an abandoned function gives its slot back, so cleanup goes on", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const hang = taskFunc(() => new Promise(() => {}), { timeoutMs: 10, abandonAfterMs: 5 });
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(rec.task("base", { post: true }), [])
      .addTask(task("stuck", { postExecute: hang }), ["base"])
      .addTask(rec.task("other", { post: true }), ["base"])
      .build();
    const run = processor.processTasks(undefined, { clock, maxConcurrency: 1 }).catch((e) => e);
    await flush();
    expect(rec.starts()).toEqual([]); // "stuck" holds the only slot; "other" waits
    await clock.advance(10); // timed out: cancelled, still holding the slot
    expect(rec.starts()).toEqual([]);
    await clock.advance(5); // abandoned: the slot is free
    await flush();
    expect(rec.starts()).toEqual(["other.post", "base.post"]);
    await run;
  });

  it("INV-15: concurrent runs of one processor have slots of their own", async () => {
    const g = gates();
    const started: string[] = [];
    const processor = AsyncTaskProcessor.builder<string>()
      .addTask(
        task("a", {
          preExecute: (run: string, scope: TaskScope) => {
            started.push(`${run}.a`);
            const body = waitFor<string>(g.gate(`${run}.a`)) as (
              c: string,
              s: TaskScope,
            ) => unknown;
            return body(run, scope);
          },
        }),
        1,
      )
      .addTask(
        task("b", {
          preExecute: (run: string) => {
            started.push(`${run}.b`);
          },
        }),
        1,
      )
      .build({ maxConcurrency: 1 });
    const one = processor.processTasks("one");
    const two = processor.processTasks("two");
    await flush();
    expect(started).toEqual(["one.a", "two.a"]);
    await g.open("one.a", "two.a");
    await Promise.all([one, two]);
    expect(started.sort()).toEqual(["one.a", "one.b", "two.a", "two.b"]);
  });

  it("a run's own maxConcurrency replaces the processor's default, and Infinity means no limit", async () => {
    const rec = new Recorder();
    const g = gates();
    const builder = AsyncTaskProcessor.builder();
    for (const n of ["a", "b", "c"]) builder.addTask(rec.task(n, { pre: waitFor(g.gate(n)) }), 1);
    const processor = builder.build({ maxConcurrency: 1 });
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { maxConcurrency: Infinity, onEvent });
    await flush();
    expect(rec.starts()).toEqual(["a.pre", "b.pre", "c.pre"]);
    expect(events[0]).not.toHaveProperty("maxConcurrency");
    await g.open("a", "b", "c");
    await run;
  });

  it("a phase runner honours the limit too", async () => {
    const rec = new Recorder();
    const g = gates();
    const builder = AsyncTaskProcessor.builder();
    for (const n of ["a", "b"]) builder.addTask(rec.task(n, { exec: waitFor(g.gate(n)) }), 1);
    const runner = builder.build().open(undefined, { maxConcurrency: 1 });
    await runner.runNext(); // preExecute: none
    const executing = runner.runNext();
    await flush();
    expect(rec.starts()).toEqual(["a.exec"]);
    await g.open("a", "b");
    await executing;
    await runner.close();
    expect(rec.starts()).toEqual(["a.exec", "b.exec"]);
  });

  describe("invalid limits are refused with the field named", () => {
    const bad: unknown[] = [0, -1, 1.5, Number.NaN, "2", null, Number.NEGATIVE_INFINITY, 2 ** 60];
    const one = () => AsyncTaskProcessor.builder().addTask(task("t", { execute: () => {} }), 1);

    for (const value of bad) {
      it(`build({ maxConcurrency: ${String(value)} }) throws an SdaxBuildError naming maxConcurrency`, () => {
        let thrown: unknown;
        try {
          one().build({ maxConcurrency: value as number });
        } catch (error) {
          thrown = error;
        }
        expect(isSdaxBuildError(thrown)).toBe(true);
        expect(thrown).toMatchObject({ code: "invalid-option", field: "maxConcurrency" });
        expect((thrown as Error).message).toContain("maxConcurrency");
      });

      it(`processTasks with maxConcurrency ${String(value)} rejects with a TypeError naming it; nothing runs`, async () => {
        const rec = new Recorder();
        const processor = AsyncTaskProcessor.builder()
          .addTask(rec.task("t", { pre: true }), 1)
          .build();
        const error = await processor
          .processTasks(undefined, { maxConcurrency: value as number })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain("maxConcurrency");
        expect(rec.log).toEqual([]);
      });
    }

    it("build() refuses an unknown option, naming it", () => {
      expect(() => one().build({ maxConcurency: 2 } as never)).toThrow(
        /unknown option `maxConcurency`/,
      );
    });
  });
});
