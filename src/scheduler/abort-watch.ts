/**
 * The run's signal is user input: its getters and methods may have been replaced on it (or on
 * a subclass), and may throw. Every read and call here either throws to a caller that guards
 * it or is guarded itself, so a signal can at most abort its run, never crash it or skip a
 * cleanup (spec INV-33).
 *
 * One abort listener per signal, however many runs watch it. Node's `EventTarget` adds and
 * removes listeners in time linear in their number (and warns past ten), so a listener per run
 * would make thousands of concurrent runs sharing one signal quadratic; here each run joins or
 * leaves a set in constant time.
 */
import { reportUncaught } from "../errors/report-uncaught.js";

/**
 * `AbortSignal.prototype`'s own `aborted` getter, which checks its receiver's internal brand;
 * `null` where there is none (a polyfill with a plain property). Looked up on first use, so
 * importing sdax never depends on the platform's signal.
 */
let brandedAborted: ((this: unknown) => unknown) | null | undefined;

/**
 * True for an `AbortSignal` by its internal brand, not its prototype chain (an object made by
 * `Object.create(AbortSignal.prototype)` is none); by `instanceof` where the platform has no
 * such getter. Never throws.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== "object" || value === null) return false;
  try {
    brandedAborted ??=
      Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")?.get ?? null;
    if (brandedAborted === null) return inheritsFromAbortSignal(value);
    brandedAborted.call(value);
    return true;
  } catch {
    return false;
  }
}

/** `value instanceof AbortSignal`, never throwing (a Proxy whose prototype cannot be read). */
export function inheritsFromAbortSignal(value: unknown): boolean {
  try {
    return value instanceof AbortSignal;
  } catch {
    return false;
  }
}

interface Watch {
  readonly listener: () => void;
  readonly runs: Set<() => void>;
}

const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Calls `onAbort` when `signal` aborts, until {@link unwatchAbort}. Throws what the signal's
 * `addEventListener` throws, watching nothing then.
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const runs = new Set<() => void>();
    const listener = (): void => {
      // Removed first (forget never throws), so a run reaching cleanup as it handles the abort
      // finds nothing left to remove; then the runs watching now are told.
      forget(signal, listener);
      for (const run of [...runs]) run();
    };
    signal.addEventListener("abort", listener);
    watch = { listener, runs };
    watches.set(signal, watch);
  }
  watch.runs.add(onAbort);
}

/** Stops calling `onAbort`; removes the signal's listener when nobody watches it any more. */
export function unwatchAbort(signal: AbortSignal, onAbort: () => void): void {
  const watch = watches.get(signal);
  if (watch === undefined) return;
  watch.runs.delete(onAbort);
  if (watch.runs.size === 0) forget(signal, watch.listener);
}

/**
 * Removes the signal's listener. What its `removeEventListener` throws is rethrown as an
 * uncaught exception (no phase is left to fail, and the run goes on, its cleanup included),
 * and the listener is removed by `EventTarget`'s own method instead, so none is left behind.
 */
function forget(signal: AbortSignal, listener: () => void): void {
  if (watches.get(signal)?.listener === listener) watches.delete(signal);
  try {
    signal.removeEventListener("abort", listener);
  } catch (error) {
    reportUncaught(error);
    try {
      EventTarget.prototype.removeEventListener.call(signal, "abort", listener);
    } catch {
      // Not an EventTarget's own listener list after all: nothing more can be done.
    }
  }
}
