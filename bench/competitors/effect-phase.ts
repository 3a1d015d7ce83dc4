import { Effect } from "effect";
import type { Ctx, PhaseFn, PhaseKind } from "../workload.js";

/** A mutable slot for the ctx of the current run: Effect values are built once, run many times. */
export interface CtxHolder {
  ctx: Ctx;
}

function asPromise(value: unknown): PromiseLike<unknown> {
  if (typeof value === "object" && value !== null && "then" in value) {
    return value as PromiseLike<unknown>;
  }
  throw new TypeError("async phase did not return a promise");
}

/**
 * One phase call as an Effect: `Effect.promise` for async phases (zero-argument thunk, so
 * Effect does not allocate an AbortSignal), `Effect.sync` for synchronous ones, as an Effect
 * user who knows their functions would write it.
 */
export function phaseEffect(
  kind: PhaseKind,
  fn: PhaseFn,
  holder: CtxHolder,
): Effect.Effect<unknown> {
  return kind === "async"
    ? Effect.promise(() => asPromise(fn(holder.ctx)))
    : Effect.sync(() => fn(holder.ctx));
}

/** All effects of one barrier step, concurrently, results discarded. */
export function allUnbounded(effects: readonly Effect.Effect<unknown>[]): Effect.Effect<void> {
  return Effect.all(effects, { concurrency: "unbounded", discard: true });
}
