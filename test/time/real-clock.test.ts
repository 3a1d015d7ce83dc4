/**
 * spec/task-functions.md: timers never end early by the clock's own reading (INV-25).
 * Node may fire a timer up to a millisecond before its delay by performance.now(); realClock
 * waits out the rest. Node's timers and performance.now() are both faked here.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { realClock } from "../../src/index.js";

/** What the faked performance.now() answers. */
let now = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  now = 0;
  vi.spyOn(performance, "now").mockImplementation(() => now);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("realClock", () => {
  it("INV-25 a timer Node fires early by performance.now() is re-armed for the rest of its delay", () => {
    now = 100;
    const fired: number[] = [];
    realClock.setTimeout(() => fired.push(now), 10);
    now = 109.2; // Node's timer fires, but by performance.now() 0.8 ms are left
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([]);
    now = 110.1;
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([110.1]);
  });

  // A clock that read the time once for all the timers set in a job (a saving of one
  // performance.now() a timer) would count this one from 103: a run's deadline would wait for
  // every function of its first level to run its synchronous part.
  it("INV-26 a delay counts from when the timer was set, not from later in the job that set it", async () => {
    now = 100;
    const fired: number[] = [];
    realClock.setTimeout(() => fired.push(now), 10);
    now = 103; // the job that set it goes on for 3 ms
    await Promise.resolve();
    now = 110;
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([110]);
  });

  it("clearTimeout cancels a timer, also after it was re-armed", () => {
    let fired = 0;
    const handle = realClock.setTimeout(() => fired++, 5);
    now = 4.5;
    vi.advanceTimersByTime(5); // re-armed
    realClock.clearTimeout(handle);
    now = 10;
    vi.advanceTimersByTime(10);
    expect(fired).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  // `(handle as RealTimer).timer` threw a TypeError for undefined or null.
  it("clearTimeout of a value it did not give does nothing, as the global clearTimeout", () => {
    let fired = 0;
    realClock.setTimeout(() => fired++, 5);
    now = 5;
    for (const foreign of [undefined, null, 1, "x", {}]) realClock.clearTimeout(foreign);
    vi.advanceTimersByTime(5);
    expect(fired).toBe(1);
  });
});
