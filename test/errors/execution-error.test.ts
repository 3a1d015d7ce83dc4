import { describe, expect, expectTypeOf, it } from "vitest";
import {
  flattenErrors,
  SdaxExecutionError,
  type TaskFailure,
  TaskTimeoutError,
} from "../../src/index.js";

function failure(overrides: Partial<TaskFailure> = {}): TaskFailure {
  return {
    task: "b",
    phase: "execute",
    error: new Error("rollback failed"),
    attempts: 1,
    afterCancel: false,
    ...overrides,
  };
}

describe("SdaxExecutionError: message and afterCancel", () => {
  it("INV-14 INV-32: the message names each failure; afterCancel is kept on the failure", () => {
    const own = failure({ afterCancel: true });
    const plain = failure({ task: "a", error: new RangeError("exec") });
    const error = new SdaxExecutionError([plain, own]);
    expect(error.failures).toEqual([plain, own]);
    expect(error.failures[1]!.afterCancel).toBe(true);
    expect(error.failures[0]!.afterCancel).toBe(false);
    expect(error.message).toBe(
      'sdax run failed: 2 phases failed: task "a" execute failed: RangeError: exec; ' +
        'task "b" execute failed after its cancellation: Error: rollback failed',
    );
  });

  it("INV-14 INV-32: a failure after its cancellation on a later attempt names both", () => {
    const error = new SdaxExecutionError([failure({ attempts: 2, afterCancel: true })]);
    expect(error.message).toBe(
      'sdax run failed: 1 phase failed: task "b" execute failed after 2 attempts, after its cancellation: Error: rollback failed',
    );
  });

  it("INV-14: non-Error values are shown with their type; an abort reason is the cause", () => {
    const reason = new DOMException("stop", "AbortError");
    const error = new SdaxExecutionError([failure({ error: "boom", attempts: 3 })], { reason });
    expect(error.message).toBe(
      'sdax run failed: run aborted: AbortError: stop; 1 phase failed: task "b" execute failed after 3 attempts: boom (thrown string)',
    );
    expect(error.cause).toBe(reason);
    expect(error.aborted).toBe(true);
  });

  it("INV-14: a failure's later errors follow its own in the message, in errors and in leafErrors; past three they are counted", () => {
    const later = [1, 2, 3, 4].map((n) => new Error(`later ${n}`));
    const own = new Error("rollback failed");
    const error = new SdaxExecutionError([failure({ error: own, laterErrors: later })]);
    expect(error.message).toBe(
      'sdax run failed: 1 phase failed: task "b" execute failed: Error: rollback failed (then 4 errors of its own: Error: later 1; Error: later 2; Error: later 3; ... (4 in all))',
    );
    expect(error.errors).toEqual([own, ...later]);
    expect(error.leafErrors()).toEqual([own, ...later]);
  });

  it("INV-33: an error with an empty name or message is shown as Error.prototype.toString shows it", () => {
    const unnamed = new Error("quota");
    unnamed.name = "";
    const silent = new RangeError("");
    const error = new SdaxExecutionError([
      failure({ error: unnamed }),
      failure({ task: "c", error: silent }),
    ]);
    expect(error.message).toBe(
      'sdax run failed: 2 phases failed: task "b" execute failed: quota; task "c" execute failed: RangeError',
    );
  });

  it("INV-33: made by hand, it checks its failures; with none and no abort its message says only that the run failed", () => {
    expect(() => new SdaxExecutionError(undefined as never)).toThrow(
      "SdaxExecutionError: failures must be an array of { task, phase, error, attempts, afterCancel, laterErrors? }, got undefined",
    );
    expect(() => new SdaxExecutionError([null as never])).toThrow("got null in it");
    expect(() => new SdaxExecutionError([undefined as never])).toThrow("got undefined in it");
    expect(() => new SdaxExecutionError([failure({ laterErrors: 5 as never })])).toThrow("in it");
    expect(new SdaxExecutionError([]).message).toBe("sdax run failed");
  });

  it("INV-14: more than ten failures are summarised", () => {
    const many = Array.from({ length: 12 }, (_, i) => failure({ task: `t${i}` }));
    const error = new SdaxExecutionError(many);
    expect(error.message).toContain('task "t9" execute failed');
    expect(error.message).not.toContain('task "t10"');
    expect(error.message).toMatch(/and 2 more$/);
    expect(error.leafErrors()).toHaveLength(12);
  });

  it("INV-33: leafErrors terminates on an AggregateError that contains itself, and lists each leaf once", () => {
    const x = new Error("x");
    const y = new TaskTimeoutError("t", "execute", 1, 10);
    const inner = new AggregateError([x], "inner");
    const outer = new AggregateError([inner, y], "outer");
    inner.errors.push(outer, inner); // inner -> outer -> inner, and inner -> inner
    const error = new SdaxExecutionError([failure({ error: inner })]);
    expect(error.leafErrors()).toEqual([x, y]);
    expect(flattenErrors(error)).toEqual([x, y]);
  });

  // `AggregateError` types `errors` as any[]: `error.errors[0].message` compiled, and threw
  // for a thrown string.
  it("errors and a timeout's phase are typed as what they hold: unknown values, a phase name", () => {
    const error = new SdaxExecutionError([failure({ error: "a string" })]);
    expect(error.errors).toEqual(["a string"]);
    expectTypeOf(error.errors).toEqualTypeOf<unknown[]>();
    expectTypeOf<TaskTimeoutError["phase"]>().toEqualTypeOf<
      "preExecute" | "execute" | "postExecute" | undefined
    >();
  });

  it("INV-33: leafErrors skips the SdaxExecutionError itself when its errors contain it", () => {
    const x = new Error("x");
    const error = new SdaxExecutionError([failure({ error: x })]);
    error.errors.push(error);
    expect(error.leafErrors()).toEqual([x]);
  });

  it("INV-14: leafErrors of an error with no failures (an abort) is empty", () => {
    const error = new SdaxExecutionError([], { reason: "stop" });
    expect(error.leafErrors()).toEqual([]);
    expect(error.message).toBe("sdax run failed: run aborted: stop");
  });

  it("INV-33: leafErrors never throws when errors was replaced by something unreadable", () => {
    const error = new SdaxExecutionError([failure()]);
    const { proxy, revoke } = Proxy.revocable([1], {});
    revoke();
    (error as { errors: unknown }).errors = proxy;
    expect(error.leafErrors()).toEqual([]);
  });
});

describe("SdaxExecutionError: JSON for logs", () => {
  it("INV-14: JSON.stringify writes every failure with its error as { name, message }, later errors too", () => {
    const error = new SdaxExecutionError([
      failure({ task: "a", error: new RangeError("exec"), attempts: 2 }),
      failure({ error: "boom", afterCancel: true, laterErrors: [new Error("child")] }),
    ]);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "SdaxExecutionError",
      message: error.message,
      aborted: false,
      failures: [
        {
          task: "a",
          phase: "execute",
          attempts: 2,
          afterCancel: false,
          error: { name: "RangeError", message: "exec" },
        },
        {
          task: "b",
          phase: "execute",
          attempts: 1,
          afterCancel: true,
          error: { name: "string", message: "boom" },
          laterErrors: [{ name: "Error", message: "child" }],
        },
      ],
    });
  });

  it("INV-14 INV-33: after an abort it gives the cause; values that cannot be read or stringified are described", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const error = new SdaxExecutionError([failure({ error: proxy }), failure({ error: 10n })], {
      reason: new DOMException("user left", "AbortError"),
    });
    const json = JSON.parse(JSON.stringify(error));
    expect(json.aborted).toBe(true);
    expect(json.cause).toEqual({ name: "AbortError", message: "user left" });
    expect(json.failures.map((f: { error: unknown }) => f.error)).toEqual([
      { name: "object", message: "<unreadable>" },
      { name: "bigint", message: "10" },
    ]);
  });
});
