import type { AsyncTask } from "../builders/task.js";
import { SdaxBuildError } from "../errors/build-error.js";
import { nearestName } from "../errors/edit-distance.js";
import { quoted } from "../errors/quoted.js";
import { NameIndex, refuseDuplicateNames } from "./name-index.js";
import { type Plan, planFromDependencies } from "./plan.js";

/** A cycle's path longer than this (first task repeated, included) is shown by its ends. */
const MAX_CYCLE_SHOWN = 25;
/** How many steps of a long cycle's path are shown at each end. */
const CYCLE_ENDS = 10;

/**
 * Compiles level mode: between consecutive populated levels one barrier node depends on every
 * task of the lower level and every task of the upper level depends on it, so edges stay
 * linear in the number of tasks (spec 1).
 */
export function compileLevels<T>(
  tasks: readonly AsyncTask<T>[],
  levels: readonly number[],
): Plan<T> {
  refuseDuplicateNames(tasks);
  const byLevel = new Map<number, number[]>();
  // Builders are mostly filled level by level: look a level up only when it changes.
  let level = Number.NaN;
  let members: number[] = [];
  for (let i = 0; i < levels.length; i++) {
    if (levels[i] !== level) {
      level = levels[i]!;
      const known = byLevel.get(level);
      if (known === undefined) {
        members = [];
        byLevel.set(level, members);
      } else members = known;
    }
    members.push(i);
  }
  const order = [...byLevel.keys()].sort((a, b) => a - b);
  // Read-only lists, shared: every task of a level depends on the same barrier.
  const dependencyLists: (readonly number[])[] = new Array<readonly number[]>(tasks.length).fill(
    NO_DEPENDENCIES,
  );
  for (let k = 1; k < order.length; k++) {
    const lower = byLevel.get(order[k - 1]!)!;
    const upper = byLevel.get(order[k]!)!;
    const onBarrier = [dependencyLists.length];
    dependencyLists.push(lower);
    for (let i = 0; i < upper.length; i++) dependencyLists[upper[i]!] = onBarrier;
  }
  return planFromDependencies("levels", tasks, dependencyLists, levels);
}

/** Compiles graph mode, refusing missing dependencies, self-dependencies and cycles. */
export function compileGraph<T>(
  tasks: readonly AsyncTask<T>[],
  dependsOn: readonly (readonly string[])[],
): Plan<T> {
  const indexOf = new NameIndex(tasks);
  const dependencyLists = tasks.map((task, i) => {
    const names = dependsOn[i]!;
    const seen = new Set<number>();
    for (const name of names) {
      if (typeof name !== "string") {
        // The builders copy and check dependsOn; this guards direct callers of the compiler.
        throw new SdaxBuildError(
          "invalid-dependencies",
          `task ${quoted(task.name)}: dependsOn must hold only task names (strings)`,
          task.name,
          "dependsOn",
        );
      }
      if (name === task.name) {
        throw new SdaxBuildError(
          "self-dependency",
          `task ${quoted(name)} depends on itself (dependsOn: [${names.map(quoted).join(", ")}])`,
          name,
          "dependsOn",
        );
      }
      const index = indexOf.get(name);
      if (index === undefined) {
        throw new SdaxBuildError(
          "missing-dependency",
          `task ${quoted(task.name)} depends on ${quoted(name)}, which was not added to this builder` +
            suggestion(name, tasks),
          task.name,
          "dependsOn",
        );
      }
      seen.add(index);
    }
    // In the order the tasks were added, so phases made able to start by one teardown wait
    // for a concurrency slot in that order (spec INV-38).
    return [...seen].sort((a, b) => a - b);
  });
  const cycle = findCycle(dependencyLists);
  if (cycle !== undefined) {
    // A long cycle is shown by its ends: a message of thousands of names helps nobody.
    const shown =
      cycle.length <= MAX_CYCLE_SHOWN
        ? cycle
        : [...cycle.slice(0, CYCLE_ENDS), -1, ...cycle.slice(cycle.length - CYCLE_ENDS)];
    const path = shown
      .map((i) =>
        i < 0 ? `... ${cycle.length - 2 * CYCLE_ENDS} more ...` : quoted(tasks[i]!.name),
      )
      .join(" -> ");
    throw new SdaxBuildError(
      "cycle",
      `dependency cycle: ${path} (each task depends on the next)`,
      tasks[cycle[0]!]!.name,
      "dependsOn",
    );
  }
  return planFromDependencies(
    "graph",
    tasks,
    dependencyLists,
    tasks.map(() => undefined),
  );
}

const NO_DEPENDENCIES: readonly number[] = Object.freeze([]);

/** Names shorter than this get a hint only for the same letters in another case. */
const HINT_MIN_LENGTH = 4;
/** Names longer than this are not compared letter by letter for a hint. */
const HINT_MAX_LENGTH = 64;

/**
 * A "did you mean" hint for a missing name: a task's name with the same letters in another
 * case, else, for a name of 4 to 64 characters, the nearest by edit distance with at most one
 * edit in four characters, the first added among equals. Never throws.
 */
function suggestion<T>(name: unknown, tasks: readonly AsyncTask<T>[]): string {
  try {
    if (typeof name !== "string") return "";
    const near = name.length >= HINT_MIN_LENGTH && name.length <= HINT_MAX_LENGTH;
    const best = nearestName(
      name,
      tasks.map((t) => t.name),
      near ? Math.floor(name.length / 4) + 1 : 1,
    );
    return best === undefined ? "" : ` (did you mean ${quoted(best)}?)`;
  } catch {
    return "";
  }
}

/**
 * Returns one cycle as a path that starts and ends at the same node, or undefined.
 * Iterative depth-first search with colours, so deep graphs cannot overflow the stack.
 */
function findCycle(dependencyLists: readonly (readonly number[])[]): number[] | undefined {
  const n = dependencyLists.length;
  const colour = new Uint8Array(n); // 0 new, 1 on the current path, 2 finished
  const parent = new Int32Array(n).fill(-1);
  const nextEdge = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (colour[start] !== 0) continue;
    const stack = [start];
    colour[start] = 1;
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      const list = dependencyLists[node]!;
      if (nextEdge[node]! < list.length) {
        const dep = list[nextEdge[node]!++]!;
        if (colour[dep] === 0) {
          colour[dep] = 1;
          parent[dep] = node;
          stack.push(dep);
        } else if (colour[dep] === 1) {
          // Each node on the stack depends on the next; dep closes the loop back to itself.
          const path = [dep];
          for (let at = node; at !== dep; at = parent[at]!) path.push(at);
          path.push(dep);
          return path.reverse();
        }
      } else {
        colour[node] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}
