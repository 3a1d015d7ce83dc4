import { baselineFactory } from "./baseline.js";
import type { RunnerFactory } from "./runner.js";
import { verifyRunner } from "./verify.js";
import type { PhaseKind } from "./workload.js";

export interface Factories {
  readonly baseline: RunnerFactory;
  /** undefined until src/index.ts exists and passes verification */
  readonly sdax: RunnerFactory | undefined;
  readonly competitors: readonly RunnerFactory[];
}

/** Each entry is imported lazily so a missing package (or a missing src/) skips, not crashes. */
const COMPETITORS: readonly (() => Promise<RunnerFactory>)[] = [
  async () => (await import("./competitors/p-graph.js")).pGraphFactory,
  async () => (await import("./competitors/async-auto.js")).asyncAutoFactory,
  async () => (await import("./competitors/effect-all.js")).effectAllFactory,
  async () => (await import("./competitors/effect-scoped.js")).effectScopedFactory,
];
const COMPETITOR_NAMES = ["p-graph", "async.auto", "Effect.all", "Effect.acquireRelease"];

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

async function load(
  name: string,
  importer: () => Promise<RunnerFactory>,
): Promise<RunnerFactory | undefined> {
  try {
    return await importer();
  } catch (error) {
    console.log(`  skip ${name}: cannot load (${message(error)})`);
    return undefined;
  }
}

/** Verifies a factory on both phase kinds; prints and returns false on any problem. */
async function verified(factory: RunnerFactory, kinds: readonly PhaseKind[]): Promise<boolean> {
  for (const kind of kinds) {
    let problem: string | undefined;
    try {
      problem = await verifyRunner(factory, kind);
    } catch (error) {
      problem = `threw while building: ${message(error)}`;
    }
    if (problem !== undefined) {
      console.log(`  skip ${factory.name}: wrong calls with ${kind} phases: ${problem}`);
      return false;
    }
  }
  console.log(`  ok   ${factory.name}: calls verified (${kinds.join(", ")} phases)`);
  return true;
}

export async function loadFactories(): Promise<Factories> {
  const kinds: readonly PhaseKind[] = ["async", "sync"];
  console.log("Runners:");
  if (!(await verified(baselineFactory, kinds))) throw new Error("baseline is broken");
  let sdax = await load("sdax", async () => (await import("./sdax-adapter.js")).sdaxFactory);
  if (sdax !== undefined && !(await verified(sdax, kinds))) sdax = undefined;
  const competitors: RunnerFactory[] = [];
  for (const [i, importer] of COMPETITORS.entries()) {
    const factory = await load(COMPETITOR_NAMES[i] ?? "competitor", importer);
    if (factory !== undefined && (await verified(factory, kinds))) competitors.push(factory);
  }
  return { baseline: baselineFactory, sdax, competitors };
}
