import { baselineFactory } from "./baseline.js";
import type { Runner } from "./runner.js";
import { makeWorkload, type Workload } from "./workload.js";

const SHAPES: Record<string, readonly [number, number]> = {
  A: [100, 10],
  B: [1, 10_000],
  B1k: [1, 1_000],
  B100k: [1, 100_000],
};

export const PICK_USAGE = "[A|B|B1k|B100k] [async|sync] [sdax|baseline]";

/**
 * For the profiling tools: a runner and its workload from positional arguments
 * `shape kind runner` (defaults: A async sdax), or an error message.
 */
export async function pickRunner(
  args: readonly string[],
): Promise<{ runner: Runner; workload: Workload } | string> {
  const [shapeArg = "A", kind = "async", which = "sdax"] = args;
  const shape = SHAPES[shapeArg];
  if (shape === undefined) return `unknown shape "${shapeArg}"`;
  if (kind !== "async" && kind !== "sync") return `unknown kind "${kind}"`;
  if (which !== "sdax" && which !== "baseline") return `unknown runner "${which}"`;
  const workload = makeWorkload(shapeArg, shape[0], shape[1], kind);
  const factory =
    which === "baseline" ? baselineFactory : (await import("./sdax-adapter.js")).sdaxFactory;
  return { runner: factory.create(workload), workload };
}
