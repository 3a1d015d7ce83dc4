/**
 * Benchmark workloads: tasks on levels, each task with three phases.
 *
 * A workload is plain data (arrays of tasks holding phase functions). Every runner (the
 * hand-written baseline, sdax, and each competitor) receives the same workload object and
 * maps it onto its own structure once, outside the timed loop.
 */

/** The context object handed to every phase call. Zero-work phases ignore it. */
export interface Ctx {
  readonly runId: number;
}

export type PhaseFn = (ctx: Ctx) => unknown;
export type PhaseKey = "pre" | "execute" | "post";
export const PHASE_KEYS: readonly PhaseKey[] = ["pre", "execute", "post"];

/** "async": `async () => {}`; "sync": a plain function returning undefined. */
export type PhaseKind = "async" | "sync";

export interface BenchTask {
  readonly name: string;
  readonly level: number;
  readonly index: number;
  readonly pre: PhaseFn;
  readonly execute: PhaseFn;
  readonly post: PhaseFn;
}

export interface Workload {
  readonly label: string;
  readonly kind: PhaseKind;
  /** levels[L] holds the tasks of level L; level 0 runs its preExecute first. */
  readonly levels: readonly (readonly BenchTask[])[];
  readonly taskCount: number;
}

export type PhaseFactory = (phase: PhaseKey, level: number, index: number) => PhaseFn;

/** A fresh zero-work function per call, so tasks do not share one closure object. */
export function zeroWork(kind: PhaseKind): PhaseFactory {
  return kind === "async" ? () => async () => {} : () => () => undefined;
}

export function makeWorkload(
  label: string,
  levelCount: number,
  perLevel: number,
  kind: PhaseKind,
  makePhase: PhaseFactory = zeroWork(kind),
): Workload {
  const levels: BenchTask[][] = [];
  for (let level = 0; level < levelCount; level++) {
    const tasks: BenchTask[] = [];
    for (let index = 0; index < perLevel; index++) {
      tasks.push({
        name: `t${level}_${index}`,
        level,
        index,
        pre: makePhase("pre", level, index),
        execute: makePhase("execute", level, index),
        post: makePhase("post", level, index),
      });
    }
    levels.push(tasks);
  }
  return { label, kind, levels, taskCount: levelCount * perLevel };
}

/**
 * The same shape with at most `maxTasks` tasks: fewer levels if it has several, else fewer
 * tasks per level.
 */
export function shrinkWorkload(w: Workload, maxTasks: number): Workload {
  if (w.taskCount <= maxTasks) return w;
  const levels = w.levels.length;
  const perLevel = w.levels[0]?.length ?? 0;
  return levels > 1
    ? makeWorkload(w.label, Math.max(1, Math.floor(maxTasks / perLevel)), perLevel, w.kind)
    : makeWorkload(w.label, 1, maxTasks, w.kind);
}
