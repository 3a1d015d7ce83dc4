/**
 * Values hostile to whoever describes them (spec INV-33), thrown by functions and given as
 * abort reasons, and {@link show}, the runner's own way of naming any value in a message
 * without ever throwing (`String(value)` throws for most of them).
 */
import type { HostileKind } from "./model.js";

/** A fresh hostile value of `kind`; `label` says where it comes from, where it can be read. */
export function hostileValue(kind: HostileKind, label: string): unknown {
  switch (kind) {
    case "revokedProxy": {
      const { proxy, revoke } = Proxy.revocable({ montecarlo: label }, {});
      revoke();
      return proxy;
    }
    case "throwingName":
      return withGetter(new Error(label), "name");
    case "throwingMessage":
      return withGetter(new Error(label), "message");
    case "symbolMessage": {
      const error = new Error();
      Object.defineProperty(error, "message", { value: Symbol(label), configurable: true });
      return error;
    }
    case "throwingToString": {
      const boom = (): never => {
        throw new Error(`montecarlo: toString of a hostile value (${label})`);
      };
      return { toString: boom, toJSON: boom, [Symbol.toPrimitive]: boom };
    }
  }
}

function withGetter(error: Error, key: "name" | "message"): Error {
  Object.defineProperty(error, key, {
    get(): never {
      throw new Error(`montecarlo: the ${key} getter of a hostile error`);
    },
    configurable: true,
  });
  return error;
}

/** A readable name for any value, for the runner's messages; never throws. */
export function show(value: unknown): string {
  try {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "symbol") return value.toString();
    if (typeof value !== "object" || value === null) return String(value);
  } catch {
    return "<unshowable>";
  }
  let error = false;
  try {
    error = value instanceof Error;
  } catch {
    return "<a revoked Proxy or another object that cannot be inspected>";
  }
  if (error) return `${part(value, "name")}: ${part(value, "message")}`;
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "<unshowable object>";
    }
  }
}

function part(value: object, key: "name" | "message"): string {
  try {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === "string") return v;
    if (typeof v === "symbol") return v.toString();
    return `<${key} ${typeof v}>`;
  } catch {
    return `<${key} getter throws>`;
  }
}
