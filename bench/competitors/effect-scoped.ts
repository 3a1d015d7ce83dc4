import { Effect } from "effect";
import type { RunnerFactory } from "../runner.js";
import type { Ctx } from "../workload.js";
import { allUnbounded, type CtxHolder, phaseEffect } from "./effect-phase.js";

/**
 * Effect, resource style (closest to sdax's cleanup guarantee): each level is one
 * `Effect.acquireRelease(acquire = all pre of the level, release = all post of the level)`,
 * both unbounded-concurrent. Levels are acquired in order inside `Effect.scoped`, then every
 * execute runs in one unbounded Effect.all; closing the scope runs the releases in reverse
 * acquisition order, i.e. post of the top level first. Built once; runPromise is timed.
 */
export const effectScopedFactory: RunnerFactory = {
  name: "Effect.acquireRelease",
  create(workload) {
    const holder: CtxHolder = { ctx: { runId: -1 } };
    const kind = workload.kind;
    const levels = workload.levels;
    const resources = levels.map((l) => {
      const acquire = allUnbounded(l.map((t) => phaseEffect(kind, t.pre, holder)));
      const release = allUnbounded(l.map((t) => phaseEffect(kind, t.post, holder)));
      return Effect.acquireRelease(acquire, () => release);
    });
    const exec = allUnbounded(levels.flat().map((t) => phaseEffect(kind, t.execute, holder)));
    const program = Effect.scoped(Effect.andThen(Effect.all(resources, { discard: true }), exec));
    return {
      name: "Effect.acquireRelease",
      run(ctx: Ctx) {
        holder.ctx = ctx;
        return Effect.runPromise(program);
      },
    };
  },
};
