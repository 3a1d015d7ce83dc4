/** A serialisable description of any thrown value, as carried by lifecycle events. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
}

/**
 * Describes any thrown value without throwing: `Error`s by name and message, other values by
 * their type and a safe string form (a thrown `"boom"` is `{ name: "string", message: "boom" }`).
 */
export function describeError(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message };
  if (error === null) return { name: "null", message: "null" };
  return { name: typeof error, message: safeString(error) };
}

/** `String(value)` that never throws (objects with a throwing `toString` exist). */
export function safeString(value: unknown): string {
  try {
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null) {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    }
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Describes a value for an error message: `NaN (number)`, `"abc" (string)`, `[1] (array)`,
 * `{"a":1} (object)`, `a Map`, `a function`.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return `${JSON.stringify(value)} (string)`;
  if (value === null || value === undefined) return String(value);
  if (typeof value !== "object") return `${String(value)} (${typeof value})`;
  if (Array.isArray(value)) return `${safeString(value)} (array)`;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return `${safeString(value)} (object)`;
  const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name}` : "an object with a prototype";
}
