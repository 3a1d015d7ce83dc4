import type { Ctx, Workload } from "../workload.js";

/**
 * Names as reported. `sdax-bare` and `raw-bare` are references measured in the same rounds
 * as a feature workload (the same implementation without the feature), so a feature's cost
 * can be taken as a difference. `sdax-traced` is sdax traced by `sdax/otel`.
 */
export type ImplName =
  | "sdax"
  | "raw"
  | "effect"
  | "p-graph"
  | "async"
  | "sdax-bare"
  | "raw-bare"
  | "sdax-traced";

/** A prepared way of running one workload; the returned function is what gets timed. */
export interface Impl {
  readonly name: ImplName;
  /** Undefined when the implementation cannot express the workload. */
  prepare(w: Workload): ((ctx: Ctx) => Promise<unknown>) | undefined;
}
