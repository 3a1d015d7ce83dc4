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
  const body: TaskFn<Ctx> = w.readsSignal
    ? (ctx, scope) => fn(ctx, scope.signal)
    : (fn as (ctx: Ctx) => unknown); // a bare workload's functions take only the context
  return w.timeoutMs === undefined ? body : taskFunc(body, { timeoutMs: w.timeoutMs });
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
  if (w.mode === "levels") {
    const builder = AsyncTaskProcessor.builder<Ctx>();
    for (const [i, t] of w.tasks.entries()) builder.addTask(tasks[i]!, t.level);
    return builder.build();
  }
  const builder = AsyncTaskProcessor.graphBuilder<Ctx>();
  for (const [i, t] of w.tasks.entries()) {
    builder.addTask(
      tasks[i]!,
      t.deps.map((d) => w.tasks[d]!.name),
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
