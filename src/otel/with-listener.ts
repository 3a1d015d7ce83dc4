import type { LifecycleEvent } from "../events/lifecycle-event.js";
import { isPlainObject } from "../functions/option-object.js";
import type { RunOptions } from "../scheduler/run-options.js";

/** An `onEvent` listener. */
export type Listener = (event: LifecycleEvent) => void;

/**
 * The caller's run options with `onEvent` replaced by the tracing's listener, made from the
 * user's own listener by `chain`. Each of the caller's options is read exactly once, here; the
 * engine then reads the copy. What the engine would refuse is left for it to refuse, with its
 * own message: options that are not a plain object, an `onEvent` that is not a function, and an
 * option whose getter throws (the copy's getter throws the same value when the engine reads it).
 */
export function withListener(
  options: RunOptions | undefined,
  chain: (user: Listener | undefined) => Listener,
): RunOptions | undefined {
  if (options === undefined) return { onEvent: chain(undefined) };
  if (!isPlainObject(options)) return options;
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch {
    return options; // the engine lists the keys too, and refuses them in its own words
  }
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    let value: unknown;
    try {
      value = (options as Record<string, unknown>)[key];
    } catch (error) {
      Object.defineProperty(copy, key, { enumerable: true, get: () => throwAgain(error) });
      continue;
    }
    if (key === "onEvent") {
      if (value !== undefined && typeof value !== "function") {
        define(copy, key, value);
        continue;
      }
      value = chain(value as Listener | undefined);
    }
    define(copy, key, value);
  }
  if (!keys.includes("onEvent")) define(copy, "onEvent", chain(undefined));
  return copy as RunOptions;
}

/** A plain data property, even for a key such as `__proto__`. */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function throwAgain(error: unknown): never {
  throw error;
}
