/**
 * A workflow as a Mermaid flowchart: what `processor.toMermaid()` returns.
 */
import type { AsyncTask } from "../builders/task.js";
import { describeValue } from "../errors/describe-error.js";
import { readOptionObject } from "../functions/option-object.js";
import type { Plan } from "../graph/plan.js";
import { mermaidLabel } from "./mermaid-text.js";

/** How {@link AsyncTaskProcessor.toMermaid} draws a workflow. */
export interface FlowchartOptions {
  /**
   * Which way dependencies point: `"TB"` top to bottom, `"LR"` left to right, or the reverse
   * of either.
   * @default "TB"
   */
  readonly direction?: "TB" | "BT" | "LR" | "RL" | undefined;
  /**
   * Whether each task shows the phases it has under its name (`pre · exec · post`).
   * @default true
   */
  readonly phases?: boolean | undefined;
}

const DIRECTIONS: ReadonlySet<string> = new Set(["TB", "BT", "LR", "RL"]);
const SHORT = [
  ["preExecute", "pre"],
  ["execute", "exec"],
  ["postExecute", "post"],
] as const;

/**
 * The flowchart of `plan`. Level mode: one subgraph per populated level, in level order, and
 * one arrow from each level to the next (every task of a level depends on every task of the
 * level below, so one arrow says it without n x m edges). Graph mode: one arrow per
 * dependency, from the dependency to its dependent. A join is a circle. Node ids are `t0`,
 * `t1`... by insertion order and levels `L0`, `L1`...: never a name, so no name can collide
 * with Mermaid's keywords; names are labels, escaped.
 */
export function flowchart<T>(plan: Plan<T>, options?: FlowchartOptions): string {
  const { direction, phases } = readOptions(options);
  const lines = [`flowchart ${direction}`];
  const node = (i: number) => nodeLine(i, plan.tasks[i]!, phases);
  if (plan.mode === "levels") {
    const byLevel = tasksByLevel(plan);
    byLevel.forEach(([level, members], k) => {
      lines.push(`  subgraph L${k}["level ${level}"]`);
      // Mermaid lays a subgraph that arrows touch out on its own, by default across the
      // chart's direction, which would stack the tasks of a level; its own direction, the
      // chart's, puts them side by side, as they run.
      lines.push(`    direction ${direction}`);
      for (const i of members) lines.push(`    ${node(i)}`);
      lines.push("  end");
    });
    for (let k = 1; k < byLevel.length; k++) lines.push(`  L${k - 1} --> L${k}`);
  } else {
    for (let i = 0; i < plan.taskCount; i++) lines.push(`  ${node(i)}`);
    for (let i = 0; i < plan.taskCount; i++) {
      for (let e = plan.dependenciesStart[i]!; e < plan.dependenciesStart[i + 1]!; e++) {
        lines.push(`  t${plan.dependencies[e]} --> t${i}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

function nodeLine<T>(i: number, task: AsyncTask<T>, showPhases: boolean): string {
  const name = mermaidLabel(task.name);
  const present = SHORT.filter(([phase]) => task[phase] !== undefined).map(([, short]) => short);
  if (present.length === 0) return `t${i}(("${name}"))`;
  // `#183;` is a middle dot, written as the entity code mermaidLabel would give it.
  return showPhases ? `t${i}["${name}<br/>${present.join(" #183; ")}"]` : `t${i}["${name}"]`;
}

/** Populated levels in ascending order, each with its tasks in insertion order. */
function tasksByLevel<T>(plan: Plan<T>): [number, number[]][] {
  const byLevel = new Map<number, number[]>();
  for (let i = 0; i < plan.taskCount; i++) {
    const level = plan.levels[i]!;
    const members = byLevel.get(level);
    if (members) members.push(i);
    else byLevel.set(level, [i]);
  }
  return [...byLevel].sort(([a], [b]) => a - b);
}

function readOptions(options: FlowchartOptions | undefined): {
  direction: string;
  phases: boolean;
} {
  if (options === undefined) return { direction: "TB", phases: true };
  const copy = readOptionObject(options, "toMermaid", ["direction", "phases"], "{ direction }");
  const { direction = "TB", phases = true } = copy;
  if (typeof direction !== "string" || !DIRECTIONS.has(direction)) {
    throw new TypeError(
      `toMermaid: expected \`direction\` to be "TB", "BT", "LR" or "RL", got ${describeValue(direction)}`,
    );
  }
  if (typeof phases !== "boolean") {
    throw new TypeError(
      `toMermaid: expected \`phases\` to be a boolean, got ${describeValue(phases)}`,
    );
  }
  return { direction, phases };
}
