import { PerformanceObserver } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { forceGc } from "./gc.js";
import type { Runner, RunnerFactory } from "./runner.js";
import { type Ctx, shrinkWorkload, type Workload } from "./workload.js";

const CTX: Ctx = { runId: 0 };
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Bytes one run allocates, from the heap growth across a run that no GC interrupted (GCs are
 * watched with a PerformanceObserver; a run with one is discarded). Unlike time, this is
 * deterministic and unaffected by other load on the machine. Median of the clean tries, or
 * undefined when no GC function is available or every try was interrupted.
 */
export async function bytesPerRun(runner: Runner, tries = 7): Promise<number | undefined> {
  if (forceGc === undefined) return undefined;
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ["gc"] });
  const clean: number[] = [];
  try {
    await runner.run(CTX);
    for (let i = 0; i < tries; i++) {
      forceGc();
      await settle();
      gcs = 0;
      const before = getHeapStatistics().used_heap_size;
      await runner.run(CTX);
      const after = getHeapStatistics().used_heap_size;
      await settle();
      if (gcs === 0) clean.push(after - before);
    }
  } finally {
    observer.disconnect();
  }
  clean.sort((a, b) => a - b);
  return clean[clean.length >> 1];
}

/** Tasks in the workload that allocation is measured on: small enough to fit between GCs. */
export const ALLOC_TASKS = 1000;

/**
 * Bytes per task and run of `factory` on `w` shrunk to at most ALLOC_TASKS tasks (the same
 * shape; per-task allocation hardly depends on size); NaN when it could not be measured.
 */
export async function bytesPerTask(factory: RunnerFactory, w: Workload): Promise<number> {
  const small = shrinkWorkload(w, ALLOC_TASKS);
  const bytes = await bytesPerRun(factory.create(small), 5);
  return bytes === undefined ? Number.NaN : bytes / small.taskCount;
}
