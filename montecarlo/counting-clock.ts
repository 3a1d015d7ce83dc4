/** A clock that passes timers through and counts those still pending (spec INV-28). */
import type { Clock } from "../src/index.js";

export class CountingClock implements Clock {
  readonly #inner: Clock;
  readonly #live = new Set<unknown>();

  constructor(inner: Clock) {
    this.#inner = inner;
  }

  /** Timers set through this clock that have neither fired nor been cleared. */
  get pending(): number {
    return this.#live.size;
  }

  now(): number {
    return this.#inner.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.#inner.setTimeout(() => {
      this.#live.delete(handle);
      callback();
    }, ms);
    this.#live.add(handle);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#live.delete(handle);
    this.#inner.clearTimeout(handle);
  }
}
