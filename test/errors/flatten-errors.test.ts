import { describe, expect, it } from "vitest";
import { flattenErrors, isRetryable, TaskTimeoutError } from "../../src/index.js";

describe("flattenErrors", () => {
  it("INV-33: an AggregateError's errors, recursively, depth first and in order", () => {
    const [a, b, c, d] = ["a", new Error("b"), new Error("c"), 4];
    const nested = new AggregateError([a, new AggregateError([b, new AggregateError([c])]), d]);
    expect(flattenErrors(nested)).toEqual([a, b, c, d]);
    expect(flattenErrors(nested)[1]).toBe(b);
  });

  it("INV-33: any other value is its own single leaf", () => {
    const error = new TaskTimeoutError("t", "execute", 1, 10);
    expect(flattenErrors(error)).toEqual([error]);
    expect(flattenErrors(undefined)).toEqual([undefined]);
    expect(flattenErrors(null)).toEqual([null]);
    expect(flattenErrors([1, 2])).toEqual([[1, 2]]);
  });

  it("INV-33: an empty AggregateError is a leaf itself, alone or nested", () => {
    const empty = new AggregateError([]);
    expect(flattenErrors(empty)).toEqual([empty]);
    const x = new Error("x");
    expect(flattenErrors(new AggregateError([x, empty]))).toEqual([x, empty]);
  });

  it("INV-33: an AggregateError that contains itself terminates and lists each leaf once", () => {
    const x = new Error("x");
    const y = new Error("y");
    const self = new AggregateError([x], "self");
    self.errors.push(self, y);
    expect(flattenErrors(self)).toEqual([x, y]);
  });

  // A failure used to flatten to nothing, so a failed run could have no leaf error.
  it("INV-33: an aggregate that gives no leaf at all, holding only itself or a cycle, is its own leaf", () => {
    const onlySelf = new AggregateError([], "only itself");
    onlySelf.errors.push(onlySelf);
    expect(flattenErrors(onlySelf)).toEqual([onlySelf]);
    expect(flattenErrors(onlySelf)[0]).toBe(onlySelf);
    expect(isRetryable(onlySelf)).toBe(false);
    const a = new AggregateError([], "a");
    const b = new AggregateError([a], "b");
    a.errors.push(b);
    expect(flattenErrors(a)).toEqual([a]);
    // Nested, it gives nothing: the leaves are those of the rest.
    const x = new Error("x");
    expect(flattenErrors(new AggregateError([onlySelf, x, onlySelf]))).toEqual([x]);
  });

  it("INV-33: an aggregate met twice gives its leaves once, and is no leaf itself", () => {
    const t1 = new TaskTimeoutError("a", "execute", 1, 10);
    const t2 = new TaskTimeoutError("b", "execute", 1, 10);
    const shared = new AggregateError([t1, t2]);
    const outer = new AggregateError([shared, new AggregateError([shared])]);
    expect(flattenErrors(outer)).toEqual([t1, t2]);
    expect(isRetryable(outer)).toBe(true);
  });

  it("INV-33: an indirect cycle terminates, each aggregate expanded once", () => {
    const x = new Error("x");
    const y = new Error("y");
    const a = new AggregateError([x]);
    const b = new AggregateError([a, y]);
    a.errors.push(b);
    expect(flattenErrors(a)).toEqual([x, y]);
    expect(flattenErrors(b)).toEqual([x, y]);
  });

  it("INV-33: a deep chain of repeated aggregates neither overflows the stack nor grows exponentially", () => {
    const leaf = new Error("leaf");
    let deep: unknown = leaf;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // building 100 000 errors fast
    try {
      for (let i = 0; i < 100_000; i++) deep = new AggregateError([deep]);
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(flattenErrors(deep)).toEqual([leaf]);
    let doubled: AggregateError = new AggregateError([leaf]);
    for (let i = 0; i < 64; i++) doubled = new AggregateError([doubled, doubled]);
    expect(flattenErrors(doubled)).toEqual([leaf]);
  });

  it("INV-33: an aggregate whose errors cannot be read, or are not an array, is a leaf", () => {
    const throwing = new AggregateError([new Error("hidden")]);
    Object.defineProperty(throwing, "errors", {
      get() {
        throw new Error("no errors");
      },
    });
    expect(flattenErrors(throwing)).toEqual([throwing]);
    const notArray = new AggregateError([]);
    Object.defineProperty(notArray, "errors", { value: new Set([new Error("s")]) });
    expect(flattenErrors(notArray)).toEqual([notArray]);
    const badElement = new AggregateError([]);
    Object.defineProperty(badElement, "errors", {
      value: Object.defineProperty([], 0, {
        get() {
          throw new Error("element");
        },
      }),
    });
    expect(flattenErrors(badElement)).toEqual([badElement]);
  });

  it("INV-33: a revoked Proxy is a leaf, alone or inside an aggregate", () => {
    const { proxy, revoke } = Proxy.revocable(new AggregateError([new Error("x")]), {});
    revoke();
    // (toEqual would itself touch the revoked proxy: compare by identity.)
    const alone = flattenErrors(proxy);
    expect(alone).toHaveLength(1);
    expect(alone[0]).toBe(proxy);
    const outer = new AggregateError([proxy, "s"]);
    const leaves = flattenErrors(outer);
    expect(leaves).toHaveLength(2);
    expect(leaves[0]).toBe(proxy);
    expect(leaves[1]).toBe("s");
  });
});
