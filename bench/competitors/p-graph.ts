import { type DependencyList, PGraph, type PGraphNodeMap } from "p-graph";
import { toPhaseGraph } from "../phase-graph.js";
import type { RunnerFactory } from "../runner.js";
import type { Ctx } from "../workload.js";

/**
 * p-graph: every phase call is a PGraph node and the per-level barriers are nodes without a
 * `run` (see phase-graph.ts). The PGraph is constructed once (it validates the graph and
 * computes priorities); `run()` copies the dependency map per run, which is p-graph's own
 * per-run cost. The ctx of the current run is passed through a holder, since node functions
 * take no arguments.
 */
export const pGraphFactory: RunnerFactory = {
  name: "p-graph",
  create(workload) {
    const holder: { ctx: Ctx } = { ctx: { runId: -1 } };
    const nodeMap: PGraphNodeMap = new Map();
    const deps: DependencyList = [];
    for (const node of toPhaseGraph(workload)) {
      const fn = node.fn;
      nodeMap.set(node.id, fn === undefined ? {} : { run: () => fn(holder.ctx) });
      for (const dep of node.deps) deps.push([dep, node.id]);
    }
    const graph = new PGraph(nodeMap, deps);
    return {
      name: "p-graph",
      run(ctx: Ctx) {
        holder.ctx = ctx;
        return graph.run();
      },
    };
  },
};
