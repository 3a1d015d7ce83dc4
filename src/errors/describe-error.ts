import { hasBrand } from "./brand.js";
import { cutShort, escapedText, oneLine, quoted } from "./quoted.js";

/** A serialisable description of any thrown value, as carried by lifecycle events. */
export interface ErrorInfo {
  /** The error's `name` (`"Error"`, `"TimeoutError"`, ...), or the type of a non-`Error` value. */
  readonly name: string;
  /** The error's `message`, or a description of a non-`Error` value. */
  readonly message: string;
}

/** What is shown where nothing of a value can be read (`spec/lifecycle.md` section 6). */
export const UNREADABLE = "<unreadable>";

/**
 * `value instanceof Error`, never throwing: `instanceof` runs a `Proxy`'s `getPrototypeOf`
 * trap, and throws for a revoked `Proxy`; such a value is not taken for an `Error`.
 */
export function isErrorInstance(value: unknown): value is Error {
  if (typeof value !== "object" || value === null) return false;
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** `value[key]`, or `undefined` with `ok: false` when reading it throws. */
function read(value: object, key: "name" | "message"): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: (value as Record<string, unknown>)[key] };
  } catch {
    return { ok: false, value: undefined };
  }
}

/**
 * Describes any thrown value without ever throwing (`spec/lifecycle.md` section 6, INV-33):
 * an `Error`'s `name` and `message` where they read as strings; otherwise its `typeof` as
 * `name` and a safe string form as `message` (a thrown `"boom"` is
 * `{ name: "string", message: "boom" }`, an `Error` whose message is `Symbol("x")` is
 * `{ name: "Error", message: "Symbol(x)" }`); `"<unreadable>"` where nothing can be read (a
 * revoked `Proxy`, a throwing `message` getter).
 */
export function describeError(error: unknown): ErrorInfo {
  if (isErrorInstance(error)) {
    const name = read(error, "name");
    const message = read(error, "message");
    // The hot path: an ordinary Error.
    if (typeof name.value === "string" && typeof message.value === "string") {
      return { name: name.value, message: message.value };
    }
    return {
      name: typeof name.value === "string" ? name.value : typeof error,
      message:
        typeof message.value === "string"
          ? message.value
          : message.ok
            ? safeString(message.value)
            : UNREADABLE,
    };
  }
  if (error === null) return { name: "null", message: "null" };
  return { name: typeof error, message: safeString(error) };
}

/**
 * `String(value)` that never throws: a string as it is; an object as JSON where it has a JSON
 * form, else `String(value)`, else `Object.prototype.toString` (`[object Object]`: cyclic
 * objects, throwing `toJSON`, `toString` or `Symbol.toPrimitive`); `"<unreadable>"` where even
 * that throws (a revoked `Proxy`, a `Proxy` whose every trap throws). Symbols and BigInts are
 * fine (`Symbol(x)`, `12`).
 */
export function safeString(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    if (typeof value === "object" && value !== null) {
      const json = JSON.stringify(value);
      if (typeof json === "string") return json;
    }
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return UNREADABLE;
    }
  }
}

/**
 * Describes a value for an error message: `NaN (number)`, `"abc" (string)`, `[1] (array)`,
 * `{"a":1} (object)`, `a Map`, `a function`, `a task "b"`, `a taskFunc(...)`; `an unreadable
 * object` for a value that cannot be inspected (a revoked `Proxy`). One line, whatever the
 * value holds, and at most about 100 characters of it. Never throws.
 */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === "function") return "a function";
    if (typeof value === "string") {
      const shown = cutShort(value, SHOWN_CHARS);
      return `${quoted(shown)}${shown === value ? "" : "..."} (string)`;
    }
    if (value === null || value === undefined) return String(value);
    if (typeof value !== "object") return `${shortText(String(value))} (${typeof value})`;
    if (Array.isArray(value)) return `${shortJson(value)} (array)`;
    if (hasBrand(value, taskBrand)) return `a task ${quoted((value as { name: unknown }).name)}`;
    if (hasBrand(value, taskFunctionBrand)) return "a taskFunc(...)";
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      return `${shortJson(value)} (object)`;
    }
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name !== "string" || name === "") return "an object with a prototype";
    if (name === "Object") return "an object inheriting from another object";
    return `${/^[AEIO]/i.test(name) ? "an" : "a"} ${escapedText(name)}`;
  } catch {
    return `an unreadable ${typeof value}`;
  }
}

// The brands of sdax's own values, registered symbols (`src/builders/task.ts`,
// `src/functions/task-function.ts`): their classes are not public, so they are named by
// what they are.
const taskBrand = Symbol.for("sdax.AsyncTask");
const taskFunctionBrand = Symbol.for("sdax.TaskFunction");

/** How many characters of a value a message shows. */
const SHOWN_CHARS = 100;

/** Text of a value for a message: cut short past {@link SHOWN_CHARS}, then one line. */
function shortText(text: string): string {
  const shown = cutShort(text, SHOWN_CHARS);
  return shown === text ? oneLine(text) : `${oneLine(shown)}...`;
}

/**
 * An array or plain object as JSON for a message, with what JSON drops or cannot hold shown:
 * a function as `"[function name]"`, a symbol as `"Symbol(x)"`, a BigInt as `"12n"`.
 */
function shortJson(value: object): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, jsonForMessage);
  } catch {
    json = undefined; // cyclic, or a throwing toJSON: as safeString shows it
  }
  return shortText(typeof json === "string" ? json : safeString(value));
}

function jsonForMessage(_key: string, v: unknown): unknown {
  if (typeof v === "function") {
    const name: unknown = (v as { name?: unknown }).name;
    return `[function${typeof name === "string" && name !== "" ? ` ${name}` : ""}]`;
  }
  if (typeof v === "symbol") return String(v);
  if (typeof v === "bigint") return `${v}n`;
  return v;
}

/**
 * A thrown value for a message: `Name: message` for an `Error`, `value (thrown type)` for
 * anything else (`boom (thrown string)`). Never throws.
 */
export function thrownText(error: unknown): string {
  if (isErrorInstance(error)) return errorText(error);
  return `${safeString(error)} (thrown ${error === null ? "null" : typeof error})`;
}

/**
 * An `Error` as `Error.prototype.toString` shows it, never throwing: `Name: message`, or only
 * the one that is not empty (a class with no name, an error with no message).
 */
export function errorText(error: Error): string {
  const { name, message } = describeError(error);
  if (name === "") return message;
  if (message === "") return name;
  return `${name}: ${message}`;
}
