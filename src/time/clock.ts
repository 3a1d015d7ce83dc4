/**
 * The time source of a run: sdax reads the time and sets timers only through this, so tests
 * can drive time with a {@link VirtualClock}.
 */
export interface Clock {
  /** The current time in ms. */
  now(): number;
  /** Calls `callback` once after `ms` ms; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer; harmless for a timer that already fired or was cleared. */
  clearTimeout(handle: unknown): void;
}

/** Real time: `performance.now()` and the global timers. The default clock. */
export const realClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
