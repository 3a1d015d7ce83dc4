import {
  type AsyncTask,
  AsyncTaskProcessor,
  type TaskFn,
  type TaskPhases,
  task,
  taskFunc,
} from "../../src/index.js";
import type { Ctx, PhaseFn, Workload } from "../workload.js";
import type { Impl } from "./impl.js";

/** One phase as a sdax user writes it: the function itself, or with its signal or timeout. */
function phase(w: Workload, fn: PhaseFn) {
  // A bare workload's functions take only the context.
  const body: TaskFn<Ctx> = w.readsSignal ? readingSignal(fn) : (fn as (ctx: Ctx) => unknown);
  return w.timeoutMs === undefined ? body : taskFunc(body, { timeoutMs: w.timeoutMs });
}

// A function of its own, so that `phase` keeps `fn` on the stack: a closure made there would
// give every call of `phase` a context object, charged to W9's build as if sdax made it.
function readingSignal(fn: PhaseFn): TaskFn<Ctx> {
  return (ctx, scope) => fn(ctx, scope.signal);
}

/** The workload's tasks as sdax tasks, in the workload's order. */
export function sdaxTasks(w: Workload): AsyncTask<Ctx>[] {
  return w.tasks.map((t) => {
    const phases: TaskPhases<Ctx> = {
      preExecute: phase(w, t.pre),
      execute: phase(w, t.execute),
      postExecute: phase(w, t.post),
    };
    return task<Ctx>(t.name, phases);
  });
}

/** Builds the workload's processor: a level builder, or a graph builder in graph mode. */
export function buildProcessor(w: Workload, tasks = sdaxTasks(w)): AsyncTaskProcessor<Ctx> {
  // Plain index loops: `for (const [i, t] of w.tasks.entries())` makes a pair per task, which
  // W9 would charge to sdax.
  if (w.mode === "levels") {
    const builder = AsyncTaskProcessor.builder<Ctx>();
    for (let i = 0; i < tasks.length; i++) builder.addTask(tasks[i]!, w.tasks[i]!.level);
    return builder.build();
  }
  const builder = AsyncTaskProcessor.graphBuilder<Ctx>();
  for (let i = 0; i < tasks.length; i++) {
    builder.addTask(
      tasks[i]!,
      w.tasks[i]!.deps.map((d) => w.tasks[d]!.name),
    );
  }
  return builder.build();
}

/** sdax: the processor is built once; `processTasks(ctx)` is timed. */
export const sdax: Impl = {
  name: "sdax",
  prepare(w) {
    const processor = buildProcessor(w);
    if (w.maxConcurrency !== undefined) {
      const limited = { maxConcurrency: w.maxConcurrency };
      return (ctx) => processor.processTasks(ctx, limited);
    }
    if (!w.listener) return (ctx) => processor.processTasks(ctx);
    let events = 0;
    const options = {
      onEvent: () => {
        events++;
      },
    };
    return (ctx) => processor.processTasks(ctx, options).then(() => events);
  },
};
