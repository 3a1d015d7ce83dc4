/**
 * Runs an example on a VirtualClock: fires the next timer whenever nothing else can happen,
 * until the example's promise settles. No real time passes.
 */

import type { DemoIO } from "../../examples/demo-kit.js";
import { VirtualClock } from "../../src/index.js";

export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A DemoIO on a fresh VirtualClock that records printed lines; jitter fixed at `random`. */
export function captureIO(
  random = 0,
): DemoIO & { readonly lines: string[]; readonly clock: VirtualClock } {
  const lines: string[] = [];
  return {
    lines,
    log: (line) => lines.push(line),
    clock: new VirtualClock(),
    random: () => random,
  };
}

export async function drive<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const settled = () => {
    done = true;
  };
  work.then(settled, settled);
  await flush();
  while (!done) {
    const next = clock.nextTimerAt();
    if (next === undefined) {
      await flush();
      if (!done && clock.nextTimerAt() === undefined) {
        throw new Error("the example is stuck: no timer is pending and it has not settled");
      }
      continue;
    }
    await clock.advance(next - clock.now());
  }
  return work;
}

/** Timeline lines (`"   30 ms  Task.phase   text"`) as `"30 Task.phase text"`; other lines dropped. */
export function timeline(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*(\d+) ms {2}(\S+)\s+(.*)$/.exec(line);
    if (m) out.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  return out;
}
