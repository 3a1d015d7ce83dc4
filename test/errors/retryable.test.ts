import { describe, expect, it } from "vitest";
import {
  isRetryable,
  RetryableError,
  SdaxExecutionError,
  type TaskFailure,
  TaskTimeoutError,
} from "../../src/index.js";

const timeout = (task: string) => new TaskTimeoutError(task, "execute", 1, 10);

function failed(error: unknown, task = "t"): TaskFailure {
  return { task, phase: "execute", error, attempts: 1, afterCancel: false };
}

describe("isRetryable and aggregates", () => {
  it("INV-22: a nested run's SdaxExecutionError whose failures are all timeouts is retryable", () => {
    const nested = new SdaxExecutionError([failed(timeout("a"), "a"), failed(timeout("b"), "b")]);
    expect(isRetryable(nested)).toBe(true);
    const outer = new SdaxExecutionError([failed(nested, "outer")]);
    expect(isRetryable(outer)).toBe(true);
  });

  it("INV-22: an AggregateError of retryable leaves (timeouts, RetryableErrors, connection codes) is retryable", () => {
    const reset = Object.assign(new Error("reset"), { code: "ECONNRESET" });
    expect(isRetryable(new AggregateError([timeout("a"), new RetryableError("busy"), reset]))).toBe(
      true,
    );
    expect(isRetryable(new AggregateError([new AggregateError([new RetryableError("x")])]))).toBe(
      true,
    );
  });

  it("INV-22: a mixed aggregate is not retryable", () => {
    expect(isRetryable(new AggregateError([timeout("a"), new Error("bug")]))).toBe(false);
    expect(isRetryable(new SdaxExecutionError([failed(timeout("a")), failed("boom")]))).toBe(false);
    expect(isRetryable(new AggregateError([timeout("a"), new AggregateError([])]))).toBe(false);
  });

  it("INV-22: an empty aggregate is not retryable", () => {
    expect(isRetryable(new AggregateError([]))).toBe(false);
    expect(isRetryable(new SdaxExecutionError([], { reason: timeout("a") }))).toBe(false);
    const onlySelf = new AggregateError([]);
    onlySelf.errors.push(onlySelf);
    expect(isRetryable(onlySelf)).toBe(false);
  });

  it("INV-22 INV-33: a cyclic aggregate of timeouts is retryable and terminates", () => {
    const cyclic = new AggregateError([timeout("a")]);
    cyclic.errors.push(cyclic);
    expect(isRetryable(cyclic)).toBe(true);
  });

  it("INV-22 INV-33: isRetryable on a revoked Proxy returns false", () => {
    for (const target of [{}, new RetryableError("x"), new AggregateError([timeout("a")])]) {
      const { proxy, revoke } = Proxy.revocable(target, {});
      revoke();
      expect(isRetryable(proxy)).toBe(false);
      expect(isRetryable(new AggregateError([proxy]))).toBe(false);
    }
  });

  it("INV-22 INV-33: isRetryable returns false for values whose properties throw", () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error("get");
        },
      },
    );
    expect(isRetryable(throwing)).toBe(false);
    const throwingCause = Object.defineProperty(new Error("x"), "cause", {
      get() {
        throw new Error("cause");
      },
    });
    expect(isRetryable(throwingCause)).toBe(false);
    const throwingErrors = Object.defineProperty(new AggregateError([timeout("a")]), "errors", {
      get() {
        throw new Error("errors");
      },
    });
    expect(isRetryable(throwingErrors)).toBe(false);
  });

  it("INV-22: a connection code along an aggregate leaf's cause chain counts", () => {
    const fetchFailed = new TypeError("fetch failed", {
      cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
    });
    expect(isRetryable(new AggregateError([fetchFailed]))).toBe(true);
  });

  it("INV-22: the cause chain is followed five links deep, and no further", () => {
    const chain = (links: number): Error => {
      let error: Error = Object.assign(new Error("reset"), { code: "ECONNRESET" });
      for (let i = 0; i < links; i++) error = new Error(`wrapper ${i}`, { cause: error });
      return error;
    };
    expect(isRetryable(chain(0))).toBe(true);
    expect(isRetryable(chain(5))).toBe(true);
    expect(isRetryable(chain(6))).toBe(false);
  });

  it("INV-22 INV-33: a RetryableError subclass made without a name keeps RetryableError's", () => {
    const Busy = (() => class extends RetryableError {})();
    const error = new Busy("quota");
    expect(Busy.name).toBe("");
    expect(error.name).toBe("RetryableError");
    expect(String(error)).toBe("RetryableError: quota");
    expect(isRetryable(error)).toBe(true);
  });
});
