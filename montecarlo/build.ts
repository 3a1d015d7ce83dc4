/** Builds the processor a {@link WorkflowSpec} describes, with the dispatching phase functions. */
import {
  type AsyncTask,
  AsyncTaskProcessor,
  join,
  type PhaseFn,
  type TaskFunctionOptions,
  task,
  taskFunc,
} from "../src/index.js";
import { phaseFunction } from "./behaviours.js";
import { type FnSpec, PHASES, type PhaseName, type WorkflowSpec } from "./model.js";
import type { RunCtx } from "./run-context.js";

/** A built workflow: the processor and how its tasks are indexed. */
export interface BuiltWorkflow {
  readonly spec: WorkflowSpec;
  readonly processor: AsyncTaskProcessor<RunCtx>;
  /** Task names by index (the order of `spec.tasks`). */
  readonly names: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
}

export function buildWorkflow(spec: WorkflowSpec): BuiltWorkflow {
  const names = spec.tasks.map((t) => t.name);
  const indexOf = new Map(names.map((n, i) => [n, i]));
  const tasks = spec.tasks.map((t, i) => makeTask(t.name, t.phases, i));
  // INV-35: `addTask` adds in place and returns the builder, so a loop that ignores the
  // result builds what a chain does. Half the workflows are built each way.
  const chain = spec.tasks.length % 2 === 1;
  let processor: AsyncTaskProcessor<RunCtx>;
  const options =
    spec.maxConcurrency === undefined ? undefined : { maxConcurrency: spec.maxConcurrency };
  if (spec.mode === "levels") {
    let b = AsyncTaskProcessor.builder<RunCtx>();
    spec.tasks.forEach((t, i) => {
      if (chain) b = b.addTask(tasks[i]!, t.level ?? 0);
      else b.addTask(tasks[i]!, t.level ?? 0);
    });
    processor = b.build(options);
  } else {
    let b = AsyncTaskProcessor.graphBuilder<RunCtx>();
    spec.tasks.forEach((t, i) => {
      if (chain) b = b.addTask(tasks[i]!, t.deps ?? []);
      else b.addTask(tasks[i]!, t.deps ?? []);
    });
    processor = b.build(options);
  }
  return { spec, processor, names, indexOf };
}

function makeTask(
  name: string,
  phases: Readonly<Partial<Record<PhaseName, FnSpec>>>,
  index: number,
): AsyncTask<RunCtx> {
  const made: Partial<Record<PhaseName, PhaseFn<RunCtx>>> = {};
  PHASES.forEach((phase, p) => {
    const fn = phases[phase];
    if (fn === undefined) return;
    const body = phaseFunction(index * 3 + p);
    const options = toOptions(fn);
    // A phase without options is given bare, as users mostly write it.
    made[phase] = options === undefined ? body : taskFunc(body, options);
  });
  return Object.keys(made).length === 0 ? join(name) : task(name, made);
}

function toOptions(fn: FnSpec): TaskFunctionOptions | undefined {
  // A FnSpec holds only option fields, each set only when chosen.
  return Object.keys(fn).length === 0 ? undefined : fn;
}
