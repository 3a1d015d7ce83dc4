import type { RunnerFactory } from "./runner.js";
import type { BenchTask, Ctx } from "./workload.js";

/**
 * Hand-written reference: the same calls in the same order, with nothing but Promise.all.
 *   for each level in order:    await Promise.all(level.map(t => t.pre(ctx)))
 *   then:                       await Promise.all(allTasks.map(t => t.execute(ctx)))
 *   for each level in reverse:  await Promise.all(level.map(t => t.post(ctx)))
 * The flattened and reversed arrays are prepared once, like any engine's compile step.
 */
export const baselineFactory: RunnerFactory = {
  name: "baseline",
  create(workload) {
    const levels = workload.levels;
    const all: readonly BenchTask[] = levels.flat();
    const reversed = [...levels].reverse();
    return {
      name: "baseline",
      async run(ctx: Ctx) {
        for (const level of levels) await Promise.all(level.map((t) => t.pre(ctx)));
        await Promise.all(all.map((t) => t.execute(ctx)));
        for (const level of reversed) await Promise.all(level.map((t) => t.post(ctx)));
      },
    };
  },
};
