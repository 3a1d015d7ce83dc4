/**
 * The time source of a run: sdax reads the time and sets timers only through this, so tests
 * can drive time with a {@link VirtualClock}.
 *
 * A clock of your own must fire a timer no earlier than `ms` after it was set, by its own
 * `now()`: sdax's timeouts and retry delays, and `checkTrace`, rely on it. Node's global
 * `setTimeout` may fire up to a millisecond early by `performance.now()`; {@link realClock}
 * sets such a timer again for what is left, and a clock forwarding to the global timers must
 * do the same.
 */
export interface Clock {
  /** The current time in ms. */
  now(): number;
  /** Calls `callback` once after `ms` ms; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer; harmless for a timer that already fired or was cleared. */
  clearTimeout(handle: unknown): void;
}

/**
 * Real time: `performance.now()` and the global timers, the default clock. Node may fire a
 * timer up to a millisecond before its delay by `performance.now()`; this clock then waits
 * out the rest, so a timeout or a retry delay never ends early by the clock's own reading.
 */
export const realClock: Readonly<Clock> = Object.freeze({
  now: () => performance.now(),
  setTimeout(callback: () => void, ms: number): unknown {
    const handle: RealTimer = { timer: undefined, due: performance.now() + ms, callback };
    handle.timer = setTimeout(fireRealTimer, ms, handle);
    return handle;
  },
  clearTimeout(handle: unknown): void {
    // Any value, like the global clearTimeout: only a handle this clock gave clears anything.
    if (typeof handle === "object" && handle !== null) clearTimeout((handle as RealTimer).timer);
  },
});

/** A real clock's timer: the global timer now running, and when the callback is due. */
interface RealTimer {
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A module-level function given the handle as the timer's argument, so setting a timer
 * creates no closure.
 */
function fireRealTimer(handle: RealTimer): void {
  const left = handle.due - performance.now();
  if (left > 0) handle.timer = setTimeout(fireRealTimer, Math.ceil(left), handle);
  else handle.callback();
}
