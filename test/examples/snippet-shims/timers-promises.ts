/**
 * What a documentation example gets when it imports "node:timers/promises": `setTimeout` waits
 * on the VirtualClock the snippet runner set, so an example's sleeps take no real time.
 */
import type { VirtualClock } from "../../../src/index.js";

let clock: VirtualClock | undefined;
let waiting: (() => void)[] = [];

/** The clock the next example's sleeps wait on (undefined: none; sleeping then throws). */
export function useClock(next: VirtualClock | undefined): void {
  clock = next;
}

/** Resolves the next time an example sleeps (sets a timer on the clock). */
export function nextSleep(): Promise<void> {
  return new Promise((resolve) => waiting.push(resolve));
}

export function setTimeout<T = void>(
  ms?: number,
  value?: T,
  options?: { signal?: AbortSignal },
): Promise<T> {
  const c = clock;
  if (c === undefined) return Promise.reject(new Error("no virtual clock set for this example"));
  const signal = options?.signal;
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      c.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = c.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(value as T);
    }, ms ?? 0);
    signal?.addEventListener("abort", onAbort, { once: true });
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
  });
}
