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

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;
const removeListener = EventTarget.prototype.removeEventListener;

/**
 * True for an `AbortSignal` by its internal brand, not its prototype chain (an object made by
 * `Object.create(AbortSignal.prototype)` is none). Never throws.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== "object" || value === null) return false;
  try {
    abortedGetter.call(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether the signal aborted. May throw (a getter replaced on the signal). */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** The signal's reason. May throw (a getter replaced on the signal). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason;
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
      // A run may leave the set while it handles the abort: call the ones watching now.
      for (const run of [...runs]) run();
      forget(signal, listener);
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
      removeListener.call(signal, "abort", listener);
    } catch {
      // Not an EventTarget's own listener list after all: nothing more can be done.
    }
  }
}
