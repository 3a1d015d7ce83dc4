import type { Ctx, Workload } from "./workload.js";

/** One prepared way of running a workload; `run` is what gets timed. */
export interface Runner {
  readonly name: string;
  run(ctx: Ctx): Promise<unknown>;
}

/** Builds a Runner for a workload (not timed: compile/build work belongs here). */
export interface RunnerFactory {
  readonly name: string;
  create(workload: Workload): Runner;
}
