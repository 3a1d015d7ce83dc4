import type { Clock } from "./clock.js";

interface VirtualTimer {
  readonly at: number;
  readonly callback: () => void;
}

let fireNext: (clock: VirtualClock) => boolean;

/**
 * A clock whose time moves only when told: for tests of timeouts, retries and abandonment
 * that take no real time. Timers due at the same time fire in the order they were set.
 * A start time that is not a finite number throws a `RangeError`, and `advance` rejects with
 * one for a step that is not a finite number >= 0, as both it and `runAll` do for a `limit`
 * that is not a number >= 1. A timer's handle is an object of its own, so clearing a handle on
 * a clock that did not give it does nothing. A timer's delay that is not a number
 * (never converted), is negative or is not finite counts as 0: the timer is due at once.
 *
 * @example
 * const clock = new VirtualClock();
 * const run = processor.processTasks(ctx, { clock });
 * await clock.runAll();      // fires every timer, letting promises settle in between
 * await run;
 */
export class VirtualClock implements Clock {
  #now: number;
  #timers: VirtualTimer[] = [];

  constructor(startMs = 0) {
    if (typeof startMs !== "number" || !Number.isFinite(startMs)) {
      throw new RangeError(
        `VirtualClock: the start time must be a finite number of ms, got ${String(startMs)} (${typeof startMs})`,
      );
    }
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    if (typeof callback !== "function") {
      throw new TypeError(
        `VirtualClock.setTimeout: the callback must be a function, got ${typeof callback}`,
      );
    }
    const delay = typeof ms === "number" && ms > 0 && ms <= Number.MAX_VALUE ? ms : 0;
    const timer: VirtualTimer = { at: this.#now + delay, callback };
    // Keep the list sorted by due time, then by creation: insert after every timer due no later.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    // The timer itself is its handle: no other clock, or copy of sdax, can clear it by mistake.
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const i = this.#timers.indexOf(handle as VirtualTimer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** How many timers are set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** The due time of the next timer, or undefined when none is set. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order; after each, lets pending promise
   * callbacks run, so work a timer starts can set further timers within the same window. Time
   * never moves back: an `advance` not awaited while another (or `runAll`) moved time further
   * leaves it there. At most `limit` timers fire, to stop a timer loop (a delay of 0 set again
   * and again), which rejects with an error saying so.
   */
  async advance(ms: number, limit = 100_000): Promise<void> {
    if (typeof ms !== "number" || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new RangeError(
        `VirtualClock.advance: the step must be a finite number of ms >= 0, got ${String(ms)} (${typeof ms})`,
      );
    }
    const until = this.#now + ms;
    await this.#fireUntil("advance", until, limit);
    this.#now = Math.max(this.#now, until);
  }

  /** Fires timers in order until none is left (at most `limit`, to stop a timer loop). */
  runAll(limit = 100_000): Promise<void> {
    return this.#fireUntil("runAll", Number.POSITIVE_INFINITY, limit);
  }

  /**
   * Fires the timers due at `until` or before, in order, letting promises settle before the
   * first and after each; rejects once `limit` fired and another is due.
   */
  async #fireUntil(method: "advance" | "runAll", until: number, limit: number): Promise<void> {
    if (typeof limit !== "number" || !(limit >= 1)) {
      throw new RangeError(
        `VirtualClock.${method}: the limit must be a number of timers >= 1 (Infinity for none), got ${String(limit)} (${typeof limit})`,
      );
    }
    await flushPromises();
    for (let fired = 0; ; fired++) {
      const next = this.#timers[0];
      if (next === undefined || next.at > until) return;
      if (fired >= limit) {
        throw new Error(
          `VirtualClock.${method}: more than ${limit} timers fired and more are due; a timer loop?`,
        );
      }
      this.#fireNext();
      await flushPromises();
    }
  }

  static {
    // A module function, not a member: sdax's explorer fires one timer at a time, and a
    // user's clock keeps the surface it documents.
    fireNext = (clock) => clock.#fireNext();
  }

  /** Fires the next timer, moving time to it; false if none is set. */
  #fireNext(): boolean {
    const next = this.#timers.shift();
    if (next === undefined) return false;
    this.#now = next.at;
    next.callback();
    return true;
  }
}

/**
 * Fires `clock`'s next timer only, moving its time to that timer's; false if none is set. One
 * at a time, so a loop of timers due at once (a delay of 0 set again and again) is counted
 * timer by timer, where `advance` would keep firing it.
 */
export function fireNextTimer(clock: VirtualClock): boolean {
  return fireNext(clock);
}

/**
 * Resolves after every promise callback queued so far (and those they queue) has run: on the
 * next macrotask, which the runtime starts only once the microtask queue is empty.
 */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => nextMacrotask(resolve));
}

/**
 * Calls `callback` on a fresh macrotask: `setImmediate` where there is one (Node, Bun), else a
 * `MessageChannel` message (browsers, web workers), else `setTimeout(0)`. Looked up at each
 * call, so a test's fake timers are seen as they are installed. A message is used rather than
 * `setTimeout(0)` because browsers clamp nested timeouts to 4 ms, which would make `runAll()`
 * over many timers take real seconds.
 */
function nextMacrotask(callback: () => void): void {
  const g = globalThis as { setImmediate?: (callback: () => void) => unknown };
  if (typeof g.setImmediate === "function") {
    g.setImmediate(callback);
  } else if (typeof MessageChannel === "function") {
    messageQueue.push(callback);
    messagePort ??= openMessagePort();
    messagePort.postMessage(undefined);
  } else {
    setTimeout(callback, 0);
  }
}

/** Callbacks waiting for their message, in order: each message runs the oldest. */
const messageQueue: (() => void)[] = [];
let messagePort: MessagePort | undefined;

function openMessagePort(): MessagePort {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => messageQueue.shift()?.();
  return channel.port2;
}
