/**
 * VirtualClock without Node's `setImmediate`, as in a browser: `flushPromises` falls back to a
 * `MessageChannel` message, then to `setTimeout(0)`, and keeps its promise: it resolves after
 * every promise callback queued before it (and those they queue). The browser itself is
 * exercised by `npm run test:browser` (scripts/browser-check.ts).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { flushPromises } from "../../src/time/virtual-clock.js";

type Ctx = Record<string, unknown>;

/** Queues a chain of `depth` promise callbacks; the returned array fills as they run. */
function chain(depth: number): number[] {
  const ran: number[] = [];
  let p = Promise.resolve();
  for (let i = 0; i < depth; i++) p = p.then(() => void ran.push(i));
  return ran;
}

const environments = {
  MessageChannel: () => vi.stubGlobal("setImmediate", undefined),
  "setTimeout(0)": () => {
    vi.stubGlobal("setImmediate", undefined);
    vi.stubGlobal("MessageChannel", undefined);
  },
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe.each(Object.entries(environments))("without setImmediate, by %s", (_, stub) => {
  it("flushPromises resolves after every promise callback queued before it", async () => {
    stub();
    expect(typeof globalThis.setImmediate).toBe("undefined");
    const ran = chain(200);
    await flushPromises();
    expect(ran).toHaveLength(200);
  });

  it("flushPromises calls resolve in the order they were made", async () => {
    stub();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => flushPromises().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("advance fires due timers in order, letting promise work set further timers", async () => {
    stub();
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push("a@10");
      void Promise.resolve().then(() => clock.setTimeout(() => fired.push("c@15"), 5));
    }, 10);
    clock.setTimeout(() => fired.push("b@12"), 12);
    clock.setTimeout(() => fired.push("d@30"), 30);
    await clock.advance(20);
    expect(fired).toEqual(["a@10", "b@12", "c@15"]);
    expect(clock.now()).toBe(20);
    await clock.runAll();
    expect(fired).toEqual(["a@10", "b@12", "c@15", "d@30"]);
  });

  it("runs a workflow with a timeout, a retry and cleanup on virtual time", async () => {
    stub();
    const clock = new VirtualClock();
    const log: string[] = [];
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(
        task<Ctx>("db", {
          preExecute: () => void log.push("db open"),
          postExecute: () => void log.push("db close"),
        }),
        1,
      )
      .addTask(
        task<Ctx>("slow", {
          execute: taskFunc(
            (_ctx, { signal }) =>
              new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason)),
              ),
            { timeoutMs: 1000, retries: 1, initialDelayMs: 500 },
          ),
        }),
        2,
      )
      .build();
    const run = processor.processTasks({}, { clock }).then(
      () => "fulfilled",
      (error: unknown) => (isSdaxExecutionError(error) ? error.failures.map((f) => f.task) : error),
    );
    await clock.runAll();
    expect(await run).toEqual(["slow"]);
    expect(log).toEqual(["db open", "db close"]);
    expect(clock.now()).toBeGreaterThanOrEqual(2250); // two 1 s timeouts and a >= 250 ms delay
  });
});
