import { describe, expect, it } from "vitest";
import { describeValue } from "../../src/errors/describe-error.js";
import { escapedText, quoted } from "../../src/errors/quoted.js";
import {
  AsyncTaskProcessor,
  checkTrace,
  type LifecycleEvent,
  SdaxBuildError,
  SdaxExecutionError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { untilAborted } from "../functions/helpers.js";

/** A name that would forge a log line, and close its quotes early, if printed as it is. */
const FORGER = 'db"\nINFO all good';
const FORGER_SHOWN = '"db\\"\\nINFO all good"';

/** The error of a run whose one task, `name`, fails its execute with "down". */
async function failedRun(name: string): Promise<SdaxExecutionError> {
  const processor = AsyncTaskProcessor.builder()
    .addTask(
      task(name, {
        execute: async () => {
          throw new Error("down");
        },
      }),
      0,
    )
    .build();
  const error = await processor.processTasks(undefined).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SdaxExecutionError);
  return error as SdaxExecutionError;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("INV-33: task names and option keys are escaped in messages", () => {
  it("INV-33: quoted() escapes what could mislead and keeps ordinary text of any script", () => {
    expect(quoted("fetch")).toBe('"fetch"');
    expect(quoted(FORGER)).toBe(FORGER_SHOWN);
    expect(quoted("a\\b\tc\r")).toBe('"a\\\\b\\tc\\r"');
    expect(quoted("naïve 数据 🙂 👨‍👩‍👧")).toBe('"naïve 数据 🙂 👨‍👩‍👧"');
    expect(quoted("\u202eevil\u2028x\u0000\u0085")).toBe('"\\u202eevil\\u2028x\\u0000\\u0085"');
    expect(quoted("\ud800 lone")).toBe('"\\ud800 lone"');
    expect(quoted(42)).toBe('"42"');
    expect(quoted("d\u200bb\ufeff")).toBe('"d\\u200bb\\ufeff"');
    expect(quoted("x\u{1d173}")).toBe('"x\\u{1d173}"');
    expect(describeValue("a\u2028b")).toBe('"a\\u2028b" (string)');
    expect(escapedText("a`b")).toBe("a`b");
  });

  it("INV-33: a given value is described on one line, cut short, with the functions an array holds", () => {
    expect(describeValue(Symbol("x\nFORGED: line"))).toBe("Symbol(x\\nFORGED: line) (symbol)");
    expect(describeValue(["a\u2028FORGED"])).toBe('["a\\u2028FORGED"] (array)');
    expect(describeValue({ k: "\u202eevil" })).toBe('{"k":"\\u202eevil"} (object)');
    expect(describeValue([TypeError, () => true, 1n, Symbol("s")])).toBe(
      '["[function TypeError]","[function]","1n","Symbol(s)"] (array)',
    );
    const long = describeValue(["x".repeat(500)]);
    expect(long).toBe(`["${"x".repeat(98)}... (array)`);
    expect(describeValue("y".repeat(5000))).toBe(`"${"y".repeat(100)}"... (string)`);
    // Never half of a surrogate pair: the emoji is left out whole.
    expect(describeValue([`${"a".repeat(97)}\u{1F600}`])).toBe(`["${"a".repeat(97)}... (array)`);
    for (const value of [Symbol("a\nb"), ["a\nb"], { a: "\r" }, new Map()]) {
      const message = thrown(() => task("t", { execute: value } as never)).message;
      expect(message.split(/[\n\r\u2028\u2029]/)).toHaveLength(1);
    }
  });

  it("INV-33: sdax's own values are described by what they are, not by their internal class", () => {
    const b = task("b", { execute: () => {} });
    expect(describeValue(b)).toBe('a task "b"');
    expect(describeValue(taskFunc(() => {}))).toBe("a taskFunc(...)");
    expect(
      thrown(() => AsyncTaskProcessor.graphBuilder().addTask(b, [b as never])).message,
    ).toContain('got a task "b"');
    expect(thrown(() => task("t", { execute: b as never })).message).toContain('got a task "b"');
    expect(
      thrown(() => AsyncTaskProcessor.builder().addTask(taskFunc(() => {}) as never, 1)).message,
    ).toContain("a taskFunc(...)");
  });

  it("INV-33 INV-14: a failed run's message shows the name escaped; the failure keeps it as given", async () => {
    const failure = await failedRun(FORGER);
    expect(failure.message).toBe(
      `sdax run failed: 1 phase failed: task ${FORGER_SHOWN} execute failed: Error: down`,
    );
    expect(failure.message).not.toContain("\n");
    expect(failure.failures[0]!.task).toBe(FORGER);
  });

  // A name of a million characters made every message about its task a megabyte long.
  it("INV-33 INV-14: a name over 200 characters is cut in messages, with its length; the failure keeps it whole", async () => {
    expect(quoted("n".repeat(200))).toBe(`"${"n".repeat(200)}"`);
    expect(quoted("n".repeat(201))).toBe(`"${"n".repeat(200)}"... (201 characters)`);
    // An emoji is one character and is never cut in half; what is shown is still escaped.
    expect(quoted(`${"a".repeat(199)}\u{1F600}b`)).toBe(`"${"a".repeat(199)}"... (201 characters)`);
    expect(quoted(`\n${"b".repeat(300)}`)).toBe(`"\\n${"b".repeat(199)}"... (301 characters)`);
    expect(escapedText(`${"k".repeat(250)}`)).toBe(`${"k".repeat(200)}...`);

    const huge = `${"h".repeat(1_000_000)}\nINFO forged`;
    const error = await failedRun(huge);
    expect(error.message).toBe(
      `sdax run failed: 1 phase failed: task "${"h".repeat(200)}"... (1000012 characters) execute failed: Error: down`,
    );
    expect(error.failures[0]!.task).toBe(huge);
    const twice = thrown(() =>
      AsyncTaskProcessor.builder()
        .addTask(task(huge, { execute: async () => {} }), 0)
        .addTask(task(huge, { execute: async () => {} }), 0)
        .build(),
    );
    expect(twice.message.length).toBeLessThan(500);
  });

  it("INV-33: a timeout's message shows the name escaped", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task(FORGER, {
          execute: taskFunc((_ctx, scope) => untilAborted(scope.signal), { timeoutMs: 5 }),
        }),
        0,
      )
      .build();
    const run = processor.processTasks(undefined, { clock }).catch((e: unknown) => e);
    await clock.runAll();
    const error = (await run) as SdaxExecutionError;
    const cause = error.failures[0]!.error as Error;
    expect(cause.message).toBe(`task ${FORGER_SHOWN} execute attempt 1 timed out after 5 ms`);
  });

  it("INV-33: build errors show names and unknown keys escaped", () => {
    const twice = thrown(() =>
      AsyncTaskProcessor.builder()
        .addTask(task(FORGER, { execute: async () => {} }), 0)
        .addTask(task(FORGER, { execute: async () => {} }), 0)
        .build(),
    );
    expect(twice).toBeInstanceOf(SdaxBuildError);
    expect(twice.message).toContain(`task name ${FORGER_SHOWN} is used twice`);

    const missing = thrown(() =>
      AsyncTaskProcessor.graphBuilder()
        .addTask(task("a", { execute: async () => {} }), [FORGER])
        .build(),
    );
    expect(missing.message).toContain(`task "a" depends on ${FORGER_SHOWN}, which was not added`);

    const itself = thrown(() =>
      AsyncTaskProcessor.graphBuilder()
        .addTask(task(FORGER, { execute: async () => {} }), [FORGER])
        .build(),
    );
    expect(itself.message).toBe(
      `task ${FORGER_SHOWN} depends on itself (dependsOn: [${FORGER_SHOWN}])`,
    );

    const phase = thrown(() =>
      task(FORGER, { execute: async () => {}, "pre\nExecute": 1 } as never),
    );
    expect(phase.message).toBe(
      `task ${FORGER_SHOWN}: unknown phase \`pre\\nExecute\`; the phases are preExecute, execute and postExecute`,
    );

    const option = thrown(() => taskFunc(async () => {}, { "x\ny": 1 } as never));
    expect(option.message).toMatch(/^taskFunc: unknown option `x\\ny`/);
  });

  it("INV-33: checkTrace's messages show names escaped", async () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task(FORGER, { preExecute: async () => {}, execute: async () => {} }), 0)
      .build();
    const events: LifecycleEvent[] = [];
    await processor.processTasks(undefined, { onEvent: (e) => events.push(e) });
    const entered = events.findIndex((e) => e.type === "task" && e.event === "startPre");
    const twice = [...events.slice(0, entered + 1), events[entered]!, ...events.slice(entered + 1)];
    const violations = checkTrace(twice, processor);
    expect(violations.map((v) => v.message)).toContain(`task ${FORGER_SHOWN} was entered twice`);
    for (const v of violations) expect(v.message).not.toContain("\n");
  });

  // The functions still running at settlement were listed by their raw key.
  it("INV-33 INV-13: checkTrace's list of functions still running when the run settled shows names escaped", async () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task(FORGER, { execute: async () => {} }), 1)
      .build();
    const events: LifecycleEvent[] = [];
    await processor.processTasks(undefined, { onEvent: (e) => events.push(e) });
    const succeeded = events.findIndex((e) => e.type === "attempt" && e.event === "succeed");
    const forged = events
      .filter((_, i) => i !== succeeded)
      .map((e, seq) => ({ ...e, seq })) as LifecycleEvent[];
    const messages = checkTrace(forged, processor).map((v) => v.message);
    expect(messages).toContain(
      `the run settled while functions were still running: ${FORGER_SHOWN} execute #1`,
    );
    for (const message of messages) expect(message).not.toContain("\n");
  });

  // The other fields of a forged event (its event, states, phase) were printed as they were.
  it("INV-33: checkTrace's messages are one line, whatever text a forged event holds", async () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { execute: async () => {} }), 1)
      .build();
    const events: LifecycleEvent[] = [];
    await processor.processTasks(undefined, { onEvent: (e) => events.push(e) });
    const forger = "x\nINV-7 all good\u2028\u202e";
    const forged = events.map((e) =>
      e.type === "run" ? e : { ...e, event: forger, from: forger, to: forger, phase: forger },
    ) as LifecycleEvent[];
    const messages = checkTrace(forged, processor).map((v) => v.message);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.some((m) => m.includes("x\\nINV-7 all good\\u2028\\u202e"))).toBe(true);
    for (const message of messages) expect(message).not.toMatch(/[\n\u2028\u202e]/);
  });
});
