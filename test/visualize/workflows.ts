/**
 * Random workflows for the visualisation tests: level workflows (sparse, negative levels) and
 * DAGs, each task with any set of phases (none: a join), named from a given alphabet.
 */
import fc from "fast-check";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  join,
  type PhaseName,
  type TaskFn,
  task,
} from "../../src/index.js";

/** One task of a generated workflow. */
export interface TaskSpec {
  readonly name: string;
  readonly phases: readonly PhaseName[];
  /** Level mode: its level. */
  readonly level: number;
  /** Graph mode: indexes of earlier tasks it depends on. */
  readonly dependsOn: readonly number[];
}

/** A generated workflow: its mode and tasks, in the order they are added. */
export interface WorkflowSpec {
  readonly mode: "levels" | "graph";
  readonly tasks: readonly TaskSpec[];
}

const PHASE_SETS: readonly (readonly PhaseName[])[] = [
  [],
  ["preExecute"],
  ["execute"],
  ["postExecute"],
  ["preExecute", "execute"],
  ["preExecute", "postExecute"],
  ["execute", "postExecute"],
  ["preExecute", "execute", "postExecute"],
];

/** Names unique by construction: a prefix from `names` and the task's index. */
export function workflowArb(
  names: fc.Arbitrary<string> = fc.constant("t"),
  maxTasks = 12,
): fc.Arbitrary<WorkflowSpec> {
  const taskArb = fc.record({
    prefix: names,
    phases: fc.constantFrom(...PHASE_SETS),
    level: fc.integer({ min: -3, max: 4 }),
    deps: fc.array(fc.nat(), { maxLength: 3 }),
  });
  return fc
    .record({
      mode: fc.constantFrom("levels" as const, "graph" as const),
      tasks: fc.array(taskArb, { maxLength: maxTasks }),
    })
    .map(({ mode, tasks }) => ({
      mode,
      tasks: tasks.map((t, i) => ({
        name: `${t.prefix}${i}`,
        phases: t.phases,
        level: t.level,
        // Only earlier tasks, so the graph has no cycle; a dependency may repeat.
        dependsOn: i === 0 ? [] : t.deps.map((d) => d % i),
      })),
    }));
}

/** The functions each phase of a built workflow runs, by phase. */
export type PhaseBodies = Partial<Record<PhaseName, TaskFn<unknown>>>;

/** Builds the processor of `spec`; every phase runs `bodies[phase]`, or does nothing. */
export function buildWorkflow(
  spec: WorkflowSpec,
  bodies: PhaseBodies = {},
): AsyncTaskProcessor<unknown> {
  const made = spec.tasks.map((t): AsyncTask<unknown> => {
    if (t.phases.length === 0) return join(t.name);
    const phases: Partial<Record<PhaseName, TaskFn<unknown>>> = {};
    for (const phase of t.phases) phases[phase] = bodies[phase] ?? (() => {});
    return task(t.name, phases);
  });
  if (spec.mode === "levels") {
    const builder = AsyncTaskProcessor.builder<unknown>();
    for (const [i, t] of spec.tasks.entries()) builder.addTask(made[i]!, t.level);
    return builder.build();
  }
  const builder = AsyncTaskProcessor.graphBuilder<unknown>();
  for (const [i, t] of spec.tasks.entries()) {
    builder.addTask(
      made[i]!,
      t.dependsOn.map((d) => spec.tasks[d]!.name),
    );
  }
  return builder.build();
}

/** Every task `name` depends on, directly or through others (levels: every lower level). */
export function ancestors(spec: WorkflowSpec, index: number): Set<number> {
  const found = new Set<number>();
  if (spec.mode === "levels") {
    const level = spec.tasks[index]!.level;
    spec.tasks.forEach((t, i) => {
      if (t.level < level) found.add(i);
    });
    return found;
  }
  const stack = [...spec.tasks[index]!.dependsOn];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (found.has(d)) continue;
    found.add(d);
    stack.push(...spec.tasks[d]!.dependsOn);
  }
  return found;
}
