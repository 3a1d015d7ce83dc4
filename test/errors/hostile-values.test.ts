import { describe, expect, it } from "vitest";
import { describeError, describeValue, safeString } from "../../src/errors/describe-error.js";
import { SdaxExecutionError, type TaskFailure } from "../../src/index.js";

/** A revoked `Proxy`: every operation on it throws a `TypeError`. */
function revoked(target: object = {}): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** A `Proxy` whose every trap throws. */
function allTrapsThrow(target: object = {}): object {
  const boom = () => {
    throw new Error("trap");
  };
  return new Proxy(target, {
    get: boom,
    getPrototypeOf: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    defineProperty: boom,
    set: boom,
    deleteProperty: boom,
    isExtensible: boom,
    preventExtensions: boom,
    setPrototypeOf: boom,
    apply: boom,
    construct: boom,
  });
}

function throwingGetter(error: Error, key: "name" | "message"): Error {
  Object.defineProperty(error, key, {
    get() {
      throw new Error(`no ${key}`);
    },
  });
  return error;
}

const throwingObject = {
  toString() {
    throw new Error("toString");
  },
  toJSON() {
    throw new Error("toJSON");
  },
  [Symbol.toPrimitive]() {
    throw new Error("toPrimitive");
  },
};

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

const cyclicAggregate = new AggregateError([new Error("leaf")], "cyclic");
cyclicAggregate.errors.push(cyclicAggregate);

const errorWithSymbolMessage = new Error("placeholder");
Object.defineProperty(errorWithSymbolMessage, "message", { value: Symbol("sym") });

const errorWithObjectMessage = new Error("placeholder");
Object.defineProperty(errorWithObjectMessage, "message", { value: { code: 7 } });

/** Every hostile value the spec names (INV-33), and a few more. */
const hostile: readonly [string, unknown][] = [
  ["a revoked Proxy", revoked()],
  ["a revoked Proxy of an Error", revoked(new Error("x"))],
  ["a revoked Proxy of a function", revoked(() => 1)],
  ["a Proxy whose every trap throws", allTrapsThrow()],
  ["a Proxy of an Error whose every trap throws", allTrapsThrow(new Error("x"))],
  ["an Error with a throwing name getter", throwingGetter(new Error("m"), "name")],
  ["an Error with a throwing message getter", throwingGetter(new Error("m"), "message")],
  ["an Error with a Symbol message", errorWithSymbolMessage],
  ["an Error with an object message", errorWithObjectMessage],
  ["an object with throwing toString, toJSON and Symbol.toPrimitive", throwingObject],
  ["a Symbol", Symbol("s")],
  ["a BigInt", 12n],
  ["an object holding a BigInt", { n: 1n }],
  ["a cyclic object", cyclic],
  ["a null-prototype object", Object.create(null)],
  ["a cyclic null-prototype object", Object.assign(Object.create(null), { self: cyclic })],
  ["a cyclic AggregateError", cyclicAggregate],
  [
    "a function with a throwing toString",
    Object.assign(() => 1, { toString: throwingObject.toString }),
  ],
];

describe("hostile thrown values are described without throwing", () => {
  for (const [what, value] of hostile) {
    it(`INV-33: describeError, safeString and describeValue never throw for ${what}`, () => {
      const info = describeError(value);
      expect(typeof info.name).toBe("string");
      expect(typeof info.message).toBe("string");
      expect(typeof safeString(value)).toBe("string");
      expect(typeof describeValue(value)).toBe("string");
    });

    it(`INV-33 INV-14: SdaxExecutionError builds its message for ${what}, as error and as abort reason`, () => {
      const failure: TaskFailure = {
        task: "t",
        phase: "execute",
        error: value,
        attempts: 1,
        afterCancel: false,
      };
      const error = new SdaxExecutionError([failure], { reason: value });
      expect(error.message).toMatch(/^sdax run failed: run aborted: .+; 1 phase failed: task "t"/);
      expect(error.failures[0]!.error).toBe(value);
      expect(error.cause).toBe(value);
    });
  }

  it("INV-33: a revoked Proxy is an object with an unreadable message", () => {
    expect(describeError(revoked())).toEqual({ name: "object", message: "<unreadable>" });
    expect(safeString(revoked())).toBe("<unreadable>");
    expect(describeValue(revoked())).toBe("an unreadable object");
    expect(describeError(revoked(() => 1))).toEqual({ name: "function", message: "<unreadable>" });
  });

  it("INV-33: a Proxy whose every trap throws is unreadable too", () => {
    expect(describeError(allTrapsThrow())).toEqual({ name: "object", message: "<unreadable>" });
  });

  it("INV-33: an Error whose name getter throws keeps its message; its name falls back to typeof", () => {
    expect(describeError(throwingGetter(new Error("the message"), "name"))).toEqual({
      name: "object",
      message: "the message",
    });
  });

  it("INV-33: an Error whose message getter throws keeps its name; its message is <unreadable>", () => {
    expect(describeError(throwingGetter(new RangeError("m"), "message"))).toEqual({
      name: "RangeError",
      message: "<unreadable>",
    });
  });

  it("INV-33: an Error with a Symbol or object message shows it in a safe string form", () => {
    expect(describeError(errorWithSymbolMessage)).toEqual({
      name: "Error",
      message: "Symbol(sym)",
    });
    expect(describeError(errorWithObjectMessage)).toEqual({
      name: "Error",
      message: '{"code":7}',
    });
  });

  it("INV-33: an object with a throwing toString, toJSON and Symbol.toPrimitive is [object Object]", () => {
    expect(describeError(throwingObject)).toEqual({ name: "object", message: "[object Object]" });
    expect(safeString(throwingObject)).toBe("[object Object]");
    expect(describeValue(throwingObject)).toBe("[object Object] (object)");
  });

  it("INV-33: Symbols, BigInts, cyclic and null-prototype objects have a string form", () => {
    expect(describeError(Symbol("s"))).toEqual({ name: "symbol", message: "Symbol(s)" });
    expect(describeError(12n)).toEqual({ name: "bigint", message: "12" });
    expect(describeValue(12n)).toBe("12 (bigint)");
    expect(describeValue(Symbol("s"))).toBe("Symbol(s) (symbol)");
    expect(describeError(cyclic)).toEqual({ name: "object", message: "[object Object]" });
    expect(describeError({ n: 1n })).toEqual({ name: "object", message: "[object Object]" });
    expect(describeError(Object.create(null))).toEqual({ name: "object", message: "{}" });
    expect(describeValue(Object.create(null))).toBe("{} (object)");
  });

  it("INV-33: ordinary values are described as before", () => {
    expect(describeError(new TypeError("bad"))).toEqual({ name: "TypeError", message: "bad" });
    expect(describeError("boom")).toEqual({ name: "string", message: "boom" });
    expect(describeError(null)).toEqual({ name: "null", message: "null" });
    expect(describeError(undefined)).toEqual({ name: "undefined", message: "undefined" });
    expect(describeError(42)).toEqual({ name: "number", message: "42" });
    expect(describeError({ code: "E" })).toEqual({ name: "object", message: '{"code":"E"}' });
    expect(describeValue(Number.NaN)).toBe("NaN (number)");
    expect(describeValue("abc")).toBe('"abc" (string)');
    expect(describeValue([1])).toBe("[1] (array)");
    expect(describeValue({ a: 1 })).toBe('{"a":1} (object)');
    expect(describeValue(new Map())).toBe("a Map");
    expect(describeValue(() => 1)).toBe("a function");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
  });
});
