import { dependentsOf, type PhaseFn, type Workload } from "./workload.js";

/**
 * A workload as a DAG of phase calls, for graph-style peers (p-graph, async.auto).
 *
 * Every phase call is one node; barriers are nodes without a function, which keeps the edge
 * count linear in tasks (a direct "every task of level L+1 waits for every task of level L"
 * would be 10,000 x 10,000 edges for a 10,000-task level). Levels 0..n-1:
 *   pre/i (level L)  depends on preDone/(L-1)   (nothing for L = 0)
 *   preDone/L        depends on every pre of level L
 *   exec/i           depends on preDone/(n-1)
 *   execDone         depends on every exec
 *   post/i (level L) depends on postDone/(L+1)  (execDone for L = n-1)
 *   postDone/L       depends on every post of level L
 * Graph mode: pre/i depends on its dependencies' pre; preDone on every pre; exec/i on
 * preDone; execDone on every exec; post/i on execDone and its dependents' post.
 */
export interface PhaseNode {
  readonly id: string;
  /** undefined for barrier nodes */
  readonly fn: PhaseFn | undefined;
  readonly deps: readonly string[];
}

export function toPhaseGraph(w: Workload): PhaseNode[] {
  const nodes: PhaseNode[] = [];
  const barrier = (id: string, deps: string[]) => nodes.push({ id, fn: undefined, deps });
  const execs = (after: string) => {
    for (const t of w.tasks) nodes.push({ id: `exec/${t.index}`, fn: t.execute, deps: [after] });
    barrier(
      "execDone",
      w.tasks.map((t) => `exec/${t.index}`),
    );
  };
  if (w.mode === "graph") {
    for (const t of w.tasks) {
      nodes.push({ id: `pre/${t.index}`, fn: t.pre, deps: t.deps.map((d) => `pre/${d}`) });
    }
    barrier(
      "preDone",
      w.tasks.map((t) => `pre/${t.index}`),
    );
    execs("preDone");
    const dependents = dependentsOf(w);
    for (const t of w.tasks) {
      const deps = ["execDone", ...dependents[t.index]!.map((d) => `post/${d}`)];
      nodes.push({ id: `post/${t.index}`, fn: t.post, deps });
    }
    return nodes;
  }
  const levels = w.levels.filter((l) => l !== undefined);
  const last = levels.length - 1;
  levels.forEach((level, L) => {
    const deps = L === 0 ? [] : [`preDone/${L - 1}`];
    for (const t of level) nodes.push({ id: `pre/${t.index}`, fn: t.pre, deps });
    barrier(
      `preDone/${L}`,
      level.map((t) => `pre/${t.index}`),
    );
  });
  execs(`preDone/${last}`);
  for (let L = last; L >= 0; L--) {
    const level = levels[L]!;
    const deps = L === last ? ["execDone"] : [`postDone/${L + 1}`];
    for (const t of level) nodes.push({ id: `post/${t.index}`, fn: t.post, deps });
    barrier(
      `postDone/${L}`,
      level.map((t) => `post/${t.index}`),
    );
  }
  return nodes;
}
