import { type AsyncAutoTasks, auto } from "async";
import { toPhaseGraph } from "../phase-graph.js";
import type { RunnerFactory } from "../runner.js";
import type { Ctx } from "../workload.js";

type Results = Record<string, unknown>;

/**
 * async.auto: every phase call is an auto task `[...deps, fn]`, with the per-level barriers
 * as no-op tasks (see phase-graph.ts). Each phase is wrapped in a native `async` function,
 * which auto recognises and awaits. (Sync phases wrapped with `asyncify` instead call back
 * synchronously; 100 levels of that recurse until the stack overflows, and asyncify rethrows
 * the RangeError from a setImmediate, killing the process.) The task object is built once;
 * `auto(tasks)` (promise form) is timed. The ctx of the current run is passed through a
 * holder, since auto passes its own results object instead.
 */
export const asyncAutoFactory: RunnerFactory = {
  name: "async.auto",
  create(workload) {
    const holder: { ctx: Ctx } = { ctx: { runId: -1 } };
    const tasks: AsyncAutoTasks<Results, Error> = {};
    for (const node of toPhaseGraph(workload)) {
      const fn = node.fn;
      const wrapped = fn === undefined ? async () => undefined : async () => fn(holder.ctx);
      tasks[node.id] = node.deps.length === 0 ? wrapped : [...node.deps, wrapped];
    }
    return {
      name: "async.auto",
      run(ctx: Ctx) {
        holder.ctx = ctx;
        return auto<Results, Error>(tasks);
      },
    };
  },
};
