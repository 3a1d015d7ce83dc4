/**
 * Clocks with quirks (spec `task-functions.md` 5.2, INV-36): the run's clock wraps the runner's
 * and misbehaves in a way the engine must shrug off.
 *
 * - `noHandle`: `setTimeout` returns `undefined`, so `clearTimeout` cannot clear anything: a
 *   timer the engine cleared still fires later, and must find nothing to do.
 * - `syncZero`: `setTimeout` with 0 ms calls back synchronously, from inside `setTimeout`
 *   (other delays pass through); the engine must act on it only once its step is whole.
 * - `throwing`: every `throwEvery`th call of `setTimeout` throws (and sets no timer), and so
 *   does every `throwEvery`th call of `clearTimeout` (which then clears nothing): each such
 *   error fails the attempt whose timer it was, or is rethrown as an uncaught exception when
 *   no phase is left to fail (spec 5.2).
 */
import { type Clock, flattenErrors } from "../src/index.js";
import type { ClockQuirk } from "./model.js";

/** What a `throwing` clock throws: recognisable in failures and among uncaught exceptions. */
export class ClockFault extends Error {
  override readonly name = "ClockFault";
}

export function isClockFault(value: unknown): value is ClockFault {
  try {
    return value instanceof ClockFault;
  } catch {
    return false; // a revoked Proxy
  }
}

export class QuirkClock implements Clock {
  readonly #inner: Clock;
  readonly #quirk: ClockQuirk;
  readonly #every: number;
  #sets = 0;
  #clears = 0;
  /** `clearTimeout` calls that cleared nothing (`noHandle`, or a `throwing` one that threw). */
  uncleared = 0;
  /** Callbacks called from inside `setTimeout` (`syncZero`). */
  synchronous = 0;
  /** Everything a `throwing` clock threw, in order. */
  readonly thrown: ClockFault[] = [];

  constructor(inner: Clock, quirk: ClockQuirk, throwEvery = 4) {
    this.#inner = inner;
    this.#quirk = quirk;
    this.#every = Math.max(1, throwEvery);
  }

  now(): number {
    return this.#inner.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    switch (this.#quirk) {
      case "noHandle":
        this.#inner.setTimeout(callback, ms);
        return undefined;
      case "syncZero":
        if (ms !== 0) return this.#inner.setTimeout(callback, ms);
        this.synchronous++;
        callback();
        return SYNC_HANDLE;
      case "throwing":
        if (++this.#sets % this.#every === 0) this.#throw(`setTimeout(${ms}) #${this.#sets}`);
        return this.#inner.setTimeout(callback, ms);
    }
  }

  clearTimeout(handle: unknown): void {
    switch (this.#quirk) {
      case "noHandle":
        this.uncleared++;
        return;
      case "syncZero":
        if (handle !== SYNC_HANDLE) this.#inner.clearTimeout(handle);
        return;
      case "throwing":
        if (++this.#clears % this.#every === 0) {
          this.uncleared++;
          this.#throw(`clearTimeout #${this.#clears}`);
        }
        this.#inner.clearTimeout(handle);
    }
  }

  #throw(call: string): never {
    const fault = new ClockFault(`montecarlo: the run's clock threw in ${call}`);
    this.thrown.push(fault);
    throw fault;
  }
}

/** The handle of a timer that already fired, synchronously: clearing it does nothing. */
const SYNC_HANDLE = Object.freeze({ montecarlo: "a timer that fired inside setTimeout" });

/**
 * Whether a failure's error comes from the run's throwing clock: one of the errors it threw, or
 * an `AggregateError` holding one (an attempt's error joined with the clock's, spec 5.2).
 */
export function fromClock(error: unknown, clock: QuirkClock | undefined): boolean {
  if (clock === undefined || clock.thrown.length === 0) return false;
  return flattenErrors(error).some((leaf) => clock.thrown.includes(leaf as ClockFault));
}

/** Whether `error` is `value`, or an `AggregateError` of the clock's that holds it. */
export function isOrHolds(error: unknown, value: unknown, clock: QuirkClock | undefined): boolean {
  return error === value || (fromClock(error, clock) && flattenErrors(error).includes(value));
}
