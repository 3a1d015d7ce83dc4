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

/**
 * Workflows of up to `maxTasks` tasks named from `names` (each name must hold a character
 * that is not white space); a name drawn twice gets its task's index appended.
 */
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
    .map(({ mode, tasks }) => {
      const used = new Set<string>();
      // The name as drawn, unless taken: then with the task's index, so names stay unique.
      const unique = (name: string, i: number) => {
        const chosen = used.has(name) ? `${name}${i}` : name;
        used.add(chosen);
        return chosen;
      };
      return {
        mode,
        tasks: tasks.map((t, i) => ({
          name: unique(t.prefix, i),
          phases: t.phases,
          level: t.level,
          // Only earlier tasks, so the graph has no cycle; a dependency may repeat.
          dependsOn: i === 0 ? [] : t.deps.map((d) => d % i),
        })),
      };
    });
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

const HOSTILE_CHARS = Array.from(
  "\"'[](){}<>#;:%`|\\&-=>.,!?*~^$@/ \n\t\r\u0000\u2028\u202eendsubgraphé日本🙂\u0301\ud800",
);

/** Task names that mean something to Mermaid: keywords, brackets, quotes, entities, unicode. */
export const hostileName: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      "end",
      "END",
      "subgraph",
      "graph",
      "flowchart",
      "direction",
      "style",
      "classDef",
      "class",
      "click",
      "default",
      "section",
      "title",
      "dateFormat",
      "gantt",
      "%%",
      "%%{init: {}}%%",
      "-->",
      "A-->B",
      "a --- b",
      "[x]",
      "(y)",
      "((z))",
      "{w}",
      '"q"',
      "a#b;c",
      "#35;",
      "#quot;",
      "&amp;",
      "<b>x</b>",
      "<br/>",
      "`md`",
      "a:b",
      "line\nbreak",
      " padded ",
      "é",
      "日本",
      "🙂",
      "\u202eevil",
      "a\u0301",
      "\ud800",
    ),
    fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), minLength: 1, maxLength: 8 }),
  )
  .filter((name) => name.trim() !== "");
