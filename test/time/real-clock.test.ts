/**
 * spec/task-functions.md: timers never end early by the clock's own reading (INV-25, INV-26).
 * Node may fire a timer up to a millisecond before its delay by performance.now(); realClock
 * waits out the rest. Its delays count from one reading taken in a microtask after the job that
 * set them. Node's timers and performance.now() are both faked here.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { realClock } from "../../src/index.js";

let now = 0;
let readings = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  now = 0;
  readings = 0;
  vi.spyOn(performance, "now").mockImplementation(() => {
    readings++;
    return now;
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Lets the microtasks queued so far run: the clock's reading among them. */
const afterThisJob = () => Promise.resolve();

describe("realClock", () => {
  it("INV-26 a timer Node fires early by performance.now() is re-armed for the rest of its delay", async () => {
    now = 100;
    const fired: number[] = [];
    realClock.setTimeout(() => fired.push(now), 10);
    await afterThisJob();
    now = 109.2; // Node's timer fires, but by performance.now() 0.8 ms are left
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([]);
    now = 110.1;
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([110.1]);
  });

  it("INV-26 a delay counts from the reading after the job that set it: later, never earlier", async () => {
    now = 100;
    const fired: number[] = [];
    realClock.setTimeout(() => fired.push(now), 10);
    now = 103; // the job that set it goes on for 3 ms
    await afterThisJob();
    now = 110.5;
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([]); // due at 113 by the reading after the job
    now = 113;
    vi.advanceTimersByTime(3);
    expect(fired).toEqual([113]);
  });

  it("every timer set in one job shares one reading of performance.now()", async () => {
    const handles = Array.from({ length: 50 }, () => realClock.setTimeout(() => {}, 5));
    expect(readings).toBe(0);
    await afterThisJob();
    expect(readings).toBe(1);
    realClock.setTimeout(() => {}, 5); // a later job reads the clock again
    await afterThisJob();
    expect(readings).toBe(2);
    for (const handle of handles) realClock.clearTimeout(handle);
  });

  it("INV-26 a timer that fires before the clock was read waits its whole delay from then", () => {
    // Not possible on Node, where timers fire after the microtasks; the fake timers fire it
    // within the job that set it.
    now = 100;
    const fired: number[] = [];
    realClock.setTimeout(() => fired.push(now), 10);
    now = 110;
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([]); // read now: due at 120
    now = 120;
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([120]);
  });

  it("clearTimeout cancels a timer, also after it was re-armed", async () => {
    let fired = 0;
    const handle = realClock.setTimeout(() => fired++, 5);
    await afterThisJob();
    now = 4.5;
    vi.advanceTimersByTime(5); // re-armed
    realClock.clearTimeout(handle);
    now = 10;
    vi.advanceTimersByTime(10);
    expect(fired).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  // `(handle as RealTimer).timer` threw a TypeError for undefined or null.
  it("clearTimeout of a value it did not give does nothing, as the global clearTimeout", async () => {
    let fired = 0;
    realClock.setTimeout(() => fired++, 5);
    await afterThisJob();
    now = 5;
    for (const foreign of [undefined, null, 1, "x", {}]) realClock.clearTimeout(foreign);
    vi.advanceTimersByTime(5);
    expect(fired).toBe(1);
  });
});
