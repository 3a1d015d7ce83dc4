import { Effect } from "effect";
import type { RunnerFactory } from "../runner.js";
import type { Ctx } from "../workload.js";
import { allUnbounded, type CtxHolder, phaseEffect } from "./effect-phase.js";

/**
 * Effect, barrier style, mirroring the baseline one to one: for each level in order an
 * `Effect.all(pre, {concurrency: "unbounded"})`, then one unbounded Effect.all of every
 * execute, then each level's post in reverse, all sequenced with a sequential Effect.all.
 * The program value is built once; `Effect.runPromise(program)` is timed.
 */
export const effectAllFactory: RunnerFactory = {
  name: "Effect.all",
  create(workload) {
    const holder: CtxHolder = { ctx: { runId: -1 } };
    const kind = workload.kind;
    const levels = workload.levels;
    const pre = levels.map((l) => allUnbounded(l.map((t) => phaseEffect(kind, t.pre, holder))));
    const exec = allUnbounded(levels.flat().map((t) => phaseEffect(kind, t.execute, holder)));
    const post = [...levels]
      .reverse()
      .map((l) => allUnbounded(l.map((t) => phaseEffect(kind, t.post, holder))));
    const program = Effect.all([...pre, exec, ...post], { discard: true });
    return {
      name: "Effect.all",
      run(ctx: Ctx) {
        holder.ctx = ctx;
        return Effect.runPromise(program);
      },
    };
  },
};
