import type { Impl } from "./impls/impl.js";
import { raw } from "./impls/raw.js";
import { sdax } from "./impls/sdax.js";
import { sdaxTraced } from "./impls/traced.js";
import { type Ctx, dagWorkload, levelsWorkload, type Workload } from "./workload.js";

const SHAPES: Record<string, () => Workload> = {
  W1: () => levelsWorkload(100, 10),
  W2: () => levelsWorkload(1, 10_000),
  W3: () => dagWorkload(1_000, 42),
  "W4-100k": () => levelsWorkload(1, 100_000),
  W6: () => levelsWorkload(100, 10, { listener: true }),
  W7: () => levelsWorkload(100, 10, { readsSignal: true }),
  W8: () => levelsWorkload(100, 10, { timeoutMs: 60_000 }),
  W10: () => levelsWorkload(100, 10),
  W11: () => levelsWorkload(1, 10_000, { maxConcurrency: 16 }),
};

export const PICK_USAGE = `[${Object.keys(SHAPES).join("|")}] [sdax|raw|sdax-traced]`;

/**
 * For the profiling tools: one run function and its workload from positional arguments
 * `workload impl` (defaults: W1 sdax), or an error message.
 */
export function pickRunner(
  args: readonly string[],
): { run: (ctx: Ctx) => Promise<unknown>; name: string; workload: Workload } | string {
  const [shape = "W1", which = "sdax"] = args;
  const make = SHAPES[shape];
  if (make === undefined) return `unknown workload "${shape}"`;
  const impls: Record<string, Impl> = { sdax, raw, "sdax-traced": sdaxTraced };
  const impl = impls[which];
  if (impl === undefined) return `unknown implementation "${which}"`;
  const workload = make();
  const run = impl.prepare(workload);
  if (run === undefined) return `${which} cannot run ${shape}`;
  return { run, name: `${which} ${shape}`, workload };
}
