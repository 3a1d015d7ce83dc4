import {
  type BenchTask,
  type Ctx,
  dependentsOf,
  type PhaseFn,
  type Workload,
} from "../workload.js";
import type { Impl } from "./impl.js";

const noop = (): void => {};

/** One call as hand-written code makes it: with a fresh AbortController, or a timer, if asked. */
function caller(w: Workload): (fn: PhaseFn, ctx: Ctx) => unknown {
  if (w.timeoutMs !== undefined) {
    const ms = w.timeoutMs;
    return async (fn, ctx) => {
      const timer = setTimeout(noop, ms);
      try {
        return await fn(ctx);
      } finally {
        clearTimeout(timer);
      }
    };
  }
  if (w.readsSignal) return (fn, ctx) => fn(ctx, new AbortController().signal);
  return (fn, ctx) => fn(ctx);
}

/**
 * Levels under a limit, as p-limit users write it by hand: a pool of `limit` workers takes the
 * level's calls in order, level by level, then every execute, then each level's post in
 * reverse.
 */
function limitedLevels(w: Workload, limit: number): (ctx: Ctx) => Promise<void> {
  const levels = w.levels.filter((l) => l !== undefined);
  const reversed = [...levels].reverse();
  const pool = async (
    tasks: readonly BenchTask[],
    pick: (t: BenchTask) => PhaseFn,
    ctx: Ctx,
  ): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tasks.length) await pick(tasks[next++]!)(ctx);
    };
    const workers = new Array<Promise<void>>(Math.min(limit, tasks.length));
    for (let i = 0; i < workers.length; i++) workers[i] = worker();
    await Promise.all(workers);
  };
  const pre = (t: BenchTask) => t.pre;
  const execute = (t: BenchTask) => t.execute;
  const post = (t: BenchTask) => t.post;
  return async (ctx) => {
    for (const level of levels) await pool(level, pre, ctx);
    await pool(w.tasks, execute, ctx);
    for (const level of reversed) await pool(level, post, ctx);
  };
}

/**
 * Hand-written `Promise.all` code making the same calls in a legal order.
 *
 * Levels: for each level in order `await Promise.all(level.map(pre))`, then every execute in
 * one `Promise.all`, then each level's post in reverse. Graph: each preExecute starts once its
 * dependencies' have resolved (`Promise.all` of their promises), every execute once every
 * preExecute has, and each postExecute once its dependents' have. Arrays are prepared once,
 * like any engine's compile step.
 */
export const raw: Impl = {
  name: "raw",
  prepare(w) {
    const call = caller(w);
    const all = w.tasks;
    if (w.maxConcurrency !== undefined) return limitedLevels(w, w.maxConcurrency);
    if (w.mode === "levels") {
      const levels = w.levels.filter((l) => l !== undefined);
      const reversed = [...levels].reverse();
      return async (ctx) => {
        for (const level of levels) await Promise.all(level.map((t) => call(t.pre, ctx)));
        await Promise.all(all.map((t) => call(t.execute, ctx)));
        for (const level of reversed) await Promise.all(level.map((t) => call(t.post, ctx)));
      };
    }
    const dependents = dependentsOf(w);
    const n = all.length;
    return async (ctx) => {
      const pre = new Array<unknown>(n);
      for (const t of all) {
        pre[t.index] =
          t.deps.length === 0
            ? call(t.pre, ctx)
            : Promise.all(t.deps.map((d) => pre[d])).then(() => call(t.pre, ctx));
      }
      await Promise.all(pre);
      await Promise.all(all.map((t) => call(t.execute, ctx)));
      const post = new Array<unknown>(n);
      for (let i = n - 1; i >= 0; i--) {
        const t: BenchTask = all[i]!;
        const after = dependents[i]!;
        post[i] =
          after.length === 0
            ? call(t.post, ctx)
            : Promise.all(after.map((d) => post[d])).then(() => call(t.post, ctx));
      }
      await Promise.all(post);
    };
  },
};
