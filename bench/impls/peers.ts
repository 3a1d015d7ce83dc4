import { type AsyncAutoTasks, auto } from "async";
import { Effect } from "effect";
import { type DependencyList, PGraph, type PGraphNodeMap } from "p-graph";
import { toPhaseGraph } from "../phase-graph.js";
import type { Ctx, PhaseFn, Workload } from "../workload.js";
import type { Impl } from "./impl.js";

/**
 * The peers, each on the workloads it can express, written as one of its users would:
 *
 * - Effect: per level an unbounded `Effect.all` of `Effect.promise` calls, levels in
 *   sequence, then every execute, then each level's post in reverse; `Effect.promise` hands a
 *   function an `AbortSignal` when it asks for one, and `Effect.timeout` bounds a call. Not
 *   for dependency graphs: Effect has no DAG combinator (a hand-made one of Deferreds would
 *   be our code, not Effect's), and not with an event listener.
 * - p-graph and async.auto: every phase call is a node of the phase graph (phase-graph.ts).
 *   Neither has cancellation, signals, timeouts or events, so they run only the bare
 *   workloads; neither cleans up after a failure.
 *
 * The ctx of the current run is passed through a holder where the library's functions take
 * no arguments.
 */

interface Holder {
  ctx: Ctx;
}

function bare(w: Workload): boolean {
  return !w.readsSignal && w.timeoutMs === undefined && !w.listener;
}

function phaseEffect(w: Workload, fn: PhaseFn, holder: Holder): Effect.Effect<unknown> {
  const call = w.readsSignal
    ? Effect.promise((signal) => fn(holder.ctx, signal) as PromiseLike<unknown>)
    : Effect.promise(() => fn(holder.ctx) as PromiseLike<unknown>);
  return w.timeoutMs === undefined ? call : Effect.orDie(Effect.timeout(call, w.timeoutMs));
}

function allUnbounded(
  effects: readonly Effect.Effect<unknown>[],
  limit: number | undefined,
): Effect.Effect<void> {
  return Effect.all(effects, { concurrency: limit ?? "unbounded", discard: true });
}

export const effect: Impl = {
  name: "effect",
  prepare(w) {
    if (w.mode !== "levels" || w.listener) return undefined;
    const holder: Holder = { ctx: { runId: -1 } };
    const levels = w.levels.filter((l) => l !== undefined);
    const limit = w.maxConcurrency;
    const pre = levels.map((l) =>
      allUnbounded(
        l.map((t) => phaseEffect(w, t.pre, holder)),
        limit,
      ),
    );
    const exec = allUnbounded(
      w.tasks.map((t) => phaseEffect(w, t.execute, holder)),
      limit,
    );
    const post = [...levels].reverse().map((l) =>
      allUnbounded(
        l.map((t) => phaseEffect(w, t.post, holder)),
        limit,
      ),
    );
    const program = Effect.all([...pre, exec, ...post], { discard: true });
    return (ctx) => {
      holder.ctx = ctx;
      return Effect.runPromise(program);
    };
  },
};

export const pGraph: Impl = {
  name: "p-graph",
  prepare(w) {
    if (!bare(w)) return undefined;
    const holder: Holder = { ctx: { runId: -1 } };
    const nodeMap: PGraphNodeMap = new Map();
    const deps: DependencyList = [];
    for (const node of toPhaseGraph(w)) {
      const fn = node.fn;
      nodeMap.set(node.id, fn === undefined ? {} : { run: () => fn(holder.ctx) as Promise<void> });
      for (const dep of node.deps) deps.push([dep, node.id]);
    }
    const graph = new PGraph(nodeMap, deps);
    const options = w.maxConcurrency === undefined ? undefined : { concurrency: w.maxConcurrency };
    return (ctx) => {
      holder.ctx = ctx;
      return graph.run(options);
    };
  },
};

type Results = Record<string, unknown>;

/**
 * Above this many tasks async.auto is left out: it rescans its pending tasks whenever one
 * finishes, so a run grows with the square of the tasks (one run of W1's 1,000 tasks takes
 * about a second, W2's 10,000 would take minutes).
 */
export const ASYNC_AUTO_MAX_TASKS = 1_000;

export const asyncAuto: Impl = {
  name: "async",
  prepare(w) {
    if (!bare(w) || w.tasks.length > ASYNC_AUTO_MAX_TASKS) return undefined;
    const holder: Holder = { ctx: { runId: -1 } };
    const tasks: AsyncAutoTasks<Results, Error> = {};
    for (const node of toPhaseGraph(w)) {
      const fn = node.fn;
      const wrapped = fn === undefined ? async () => undefined : async () => fn(holder.ctx);
      tasks[node.id] = node.deps.length === 0 ? wrapped : [...node.deps, wrapped];
    }
    const limit = w.maxConcurrency;
    return (ctx) => {
      holder.ctx = ctx;
      return limit === undefined ? auto<Results, Error>(tasks) : auto<Results, Error>(tasks, limit);
    };
  },
};
