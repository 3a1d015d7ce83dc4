import { AsyncTaskProcessor, task } from "../src/index.js";
import type { RunnerFactory } from "./runner.js";
import type { Ctx } from "./workload.js";

/**
 * sdax in level mode: one `task(name, {preExecute, execute, postExecute})` per workload task,
 * added at its level. The processor is built once here; only processTasks(ctx) is timed.
 */
export const sdaxFactory: RunnerFactory = {
  name: "sdax",
  create(workload) {
    let builder = AsyncTaskProcessor.builder<Ctx>();
    for (const level of workload.levels) {
      for (const t of level) {
        const phases = { preExecute: t.pre, execute: t.execute, postExecute: t.post };
        builder = builder.addTask(task<Ctx>(t.name, phases), t.level);
      }
    }
    const processor = builder.build();
    return { name: "sdax", run: (ctx: Ctx) => processor.processTasks(ctx) };
  },
};
