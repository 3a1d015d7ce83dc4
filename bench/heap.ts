import { setImmediate as turn } from "node:timers/promises";
import { getHeapStatistics } from "node:v8";
import { forceGc } from "./gc.js";
import type { Impl } from "./impls/impl.js";
import type { Workload } from "./workload.js";

/**
 * Heap bytes per in-flight run: `runs` concurrent runs of `impl` on the workload made by
 * `make`, held in their execute phase by a gate, measured after a full GC against the heap
 * before they started. NaN without a GC function.
 */
export async function heapPerRun(impl: Impl, make: () => Workload, runs: number): Promise<number> {
  if (forceGc === undefined) return Number.NaN;
  const w = make();
  const run = impl.prepare(w);
  if (run === undefined) return Number.NaN;
  await run({ runId: -1 }); // warm
  let release: () => void = () => {};
  w.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const atGate = w.counter.calls + runs * (w.callsPerRun / 3) * 2; // every pre and execute
  forceGc();
  await turn();
  const before = getHeapStatistics().used_heap_size;
  const all = new Array<Promise<unknown>>(runs);
  for (let i = 0; i < runs; i++) all[i] = run({ runId: i });
  while (w.counter.calls < atGate) await turn();
  forceGc();
  const after = getHeapStatistics().used_heap_size;
  release();
  await Promise.all(all);
  w.gate = undefined;
  return (after - before) / runs;
}
