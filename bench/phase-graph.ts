import type { PhaseFn, Workload } from "./workload.js";

/**
 * A workload as a DAG of phase calls, for graph-style competitors (p-graph, async.auto).
 *
 * Every phase call is one node. The per-level `await Promise.all` barriers of the baseline
 * become no-op barrier nodes, which keeps the edge count O(tasks): a direct "every task of
 * level L+1 waits for every task of level L" mapping would be 10,000 x 10,000 edges for a
 * 10,000-task level. Shape, for levels 0..n-1:
 *   pre/L/i      depends on preDone/(L-1)   (nothing for L = 0)
 *   preDone/L    depends on every pre/L/i
 *   exec/L/i     depends on preDone/(n-1)
 *   execDone     depends on every exec/L/i
 *   post/L/i     depends on postDone/(L+1)  (execDone for L = n-1)
 *   postDone/L   depends on every post/L/i
 */
export interface PhaseNode {
  readonly id: string;
  /** undefined for barrier nodes */
  readonly fn: PhaseFn | undefined;
  readonly deps: readonly string[];
}

export function toPhaseGraph(workload: Workload): PhaseNode[] {
  const nodes: PhaseNode[] = [];
  const levels = workload.levels;
  const last = levels.length - 1;
  const barrier = (id: string, deps: string[]) => nodes.push({ id, fn: undefined, deps });
  levels.forEach((level, L) => {
    const deps = L === 0 ? [] : [`preDone/${L - 1}`];
    for (const t of level) nodes.push({ id: `pre/${L}/${t.index}`, fn: t.pre, deps });
    barrier(
      `preDone/${L}`,
      level.map((t) => `pre/${L}/${t.index}`),
    );
  });
  const execIds: string[] = [];
  for (const [L, level] of levels.entries()) {
    for (const t of level) {
      const id = `exec/${L}/${t.index}`;
      execIds.push(id);
      nodes.push({ id, fn: t.execute, deps: [`preDone/${last}`] });
    }
  }
  barrier("execDone", execIds);
  for (let L = last; L >= 0; L--) {
    const level = levels[L] ?? [];
    const deps = L === last ? ["execDone"] : [`postDone/${L + 1}`];
    for (const t of level) nodes.push({ id: `post/${L}/${t.index}`, fn: t.post, deps });
    barrier(
      `postDone/${L}`,
      level.map((t) => `post/${L}/${t.index}`),
    );
  }
  return nodes;
}
