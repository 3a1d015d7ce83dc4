import { nativeThen } from "../functions/native-then.js";

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
 *
 * A timer's delay counts from a reading taken in a microtask queued when it was set, shared by
 * every timer set before that microtask runs: a run that starts a level of timed functions
 * reads the clock once, not once per timer. A timer may so run later than its delay by the
 * rest of the synchronous job that set it, never earlier.
 */
export const realClock: Readonly<Clock> = Object.freeze({
  now: () => performance.now(),
  setTimeout(callback: () => void, ms: number): unknown {
    const handle: RealTimer = { timer: undefined, due: UNREAD, ms, callback };
    if (unread.length === 0) nativeThen.call(READ_SOON, readTheClock);
    unread.push(handle);
    handle.timer = setTimeout(fireRealTimer, ms, handle);
    return handle;
  },
  clearTimeout(handle: unknown): void {
    // Any value, like the global clearTimeout: only a handle this clock gave clears anything.
    if (typeof handle === "object" && handle !== null) clearTimeout((handle as RealTimer).timer);
  },
});

/** A real clock's timer: the global timer now running, its delay, and when it is due. */
interface RealTimer {
  timer: ReturnType<typeof setTimeout> | undefined;
  /** `UNREAD` until the clock was read after it was set; then that reading plus `ms`. */
  due: number;
  readonly ms: number;
  readonly callback: () => void;
}

/** The `due` of a timer set since the clock was last read. */
const UNREAD = -1;

/** Timers set since the clock was last read, all due `ms` after the next reading. */
const unread: RealTimer[] = [];
const READ_SOON: Promise<void> = Promise.resolve();

function readTheClock(): void {
  const now = performance.now();
  for (let i = 0; i < unread.length; i++) {
    const handle = unread[i]!;
    handle.due = now + handle.ms;
  }
  unread.length = 0;
}

/**
 * A module-level function given the handle as the timer's argument, so setting a timer
 * creates no closure.
 */
function fireRealTimer(handle: RealTimer): void {
  // Timers fire only after the microtasks have run, so the clock has been read; if a host
  // ever fires one sooner, reading now counts its delay from now, which is late, never early.
  if (handle.due === UNREAD) readTheClock();
  const left = handle.due - performance.now();
  if (left > 0) handle.timer = setTimeout(fireRealTimer, Math.ceil(left), handle);
  else handle.callback();
}
