/**
 * The VirtualClock of the test kit: time moves only when told, timers fire in due order, and
 * input it cannot use is refused with a clear error instead of turning its time into NaN.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/index.js";

describe("VirtualClock", () => {
  it("fires timers in due order, those due together in the order they were set", async () => {
    const clock = new VirtualClock(5);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@10"), 10);
    clock.setTimeout(() => fired.push("a@0"), 0);
    clock.setTimeout(() => fired.push("c@10"), 10);
    await clock.advance(9);
    expect(fired).toEqual(["a@0"]);
    expect(clock.now()).toBe(14);
    await clock.runAll();
    expect(fired).toEqual(["a@0", "b@10", "c@10"]);
    expect(clock.now()).toBe(15);
  });

  it("a delay that is not a number >= 0 counts as 0, as Node fires such a timer at once", async () => {
    const clock = new VirtualClock();
    const fired: unknown[] = [];
    for (const ms of [Number.NaN, undefined, -5, "7", Number.POSITIVE_INFINITY]) {
      clock.setTimeout(() => fired.push(ms), ms as number);
    }
    expect(clock.nextTimerAt()).toBe(0);
    await clock.advance(0);
    expect(fired).toHaveLength(5);
    expect(clock.now()).toBe(0);
  });

  it("a step or a start time that is not a finite number is refused, and time stays as it was", async () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => {}, 1);
    for (const ms of [Number.NaN, -5, Number.POSITIVE_INFINITY, "5", undefined]) {
      await expect(clock.advance(ms as number)).rejects.toThrow(
        /^VirtualClock\.advance: the step must be a finite number of ms >= 0, got /,
      );
    }
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(1);
    for (const start of [Number.NaN, "5", Number.NEGATIVE_INFINITY]) {
      expect(() => new VirtualClock(start as number)).toThrow(RangeError);
    }
    expect(() => clock.setTimeout(undefined as never, 1)).toThrow(
      "VirtualClock.setTimeout: the callback must be a function, got undefined",
    );
  });

  // Each clock numbered its handles from 1: clearing clock A's first timer on clock B cleared B's.
  it("a handle clears only the timer of the clock that gave it", async () => {
    const a = new VirtualClock();
    const b = new VirtualClock();
    const fired: string[] = [];
    const handleA = a.setTimeout(() => fired.push("a"), 1);
    b.setTimeout(() => fired.push("b"), 1);
    b.clearTimeout(handleA);
    for (const foreign of [undefined, null, 1, 2, "1", {}]) b.clearTimeout(foreign);
    await b.runAll();
    await a.runAll();
    expect(fired).toEqual(["b", "a"]);
  });

  it("time never moves back: an advance not awaited ends where a later runAll left it", async () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => {}, 5);
    clock.setTimeout(() => {}, 500);
    const stray = clock.advance(10); // not awaited
    await clock.runAll();
    await stray;
    expect(clock.now()).toBe(500);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 1);
    await clock.runAll();
    expect(fired).toEqual([501]);
  });

  it("a timer loop stops advance and runAll with an error after their limit of timers", async () => {
    const loop = (clock: VirtualClock) => {
      const again = () => clock.setTimeout(again, 0);
      again();
    };
    const advancing = new VirtualClock();
    loop(advancing);
    await expect(advancing.advance(1, 50)).rejects.toThrow(
      "VirtualClock.advance: more than 50 timers fired and more are due; a timer loop?",
    );
    const running = new VirtualClock();
    loop(running);
    await expect(running.runAll(50)).rejects.toThrow(
      "VirtualClock.runAll: more than 50 timers fired and more are due; a timer loop?",
    );
  });

  it("a limit that is not a number >= 1 is refused before any timer fires", async () => {
    const clock = new VirtualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    for (const limit of [Number.NaN, 0, -1, "3", null]) {
      await expect(clock.runAll(limit as number)).rejects.toThrow(
        /^VirtualClock\.runAll: the limit must be a number of timers >= 1 \(Infinity for none\), got /,
      );
      await expect(clock.advance(1, limit as number)).rejects.toThrow(
        /^VirtualClock\.advance: the limit must be a number of timers >= 1/,
      );
    }
    expect(fired).toBe(0);
    await clock.runAll(Number.POSITIVE_INFINITY);
    expect(fired).toBe(1);
  });
});
