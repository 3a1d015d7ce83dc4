import type { RunnerFactory } from "./runner.js";
import { type Ctx, makeWorkload, type PhaseKey, type PhaseKind } from "./workload.js";

interface Call {
  readonly phase: PhaseKey;
  readonly level: number;
  readonly ctx: Ctx;
}

const LEVELS = 4;
const PER_LEVEL = 3;

/**
 * Proves a runner makes the benchmark's calls: every phase of every task exactly once per
 * run, with the run's ctx, and in a legal order (call start order):
 * pre of level L after all pre of L-1; every execute after every pre; every post after every
 * execute; post of level L after all post of L+1. Runs twice to prove the runner is reusable.
 * Returns a description of the first problem, or undefined when the runner is correct.
 */
export async function verifyRunner(
  factory: RunnerFactory,
  kind: PhaseKind,
): Promise<string | undefined> {
  const log: Call[] = [];
  const workload = makeWorkload("verify", LEVELS, PER_LEVEL, kind, (phase, level) =>
    kind === "async"
      ? async (ctx: Ctx) => {
          log.push({ phase, level, ctx });
        }
      : (ctx: Ctx) => {
          log.push({ phase, level, ctx });
        },
  );
  const runner = factory.create(workload);
  for (let runId = 0; runId < 2; runId++) {
    log.length = 0;
    const ctx: Ctx = { runId };
    try {
      await runner.run(ctx);
    } catch (error) {
      return `run ${runId} rejected: ${String(error)}`;
    }
    const problem = checkLog(log, ctx);
    if (problem !== undefined) return `run ${runId}: ${problem}`;
  }
  return undefined;
}

/** Rank of a call group in the only legal sequence of barrier steps. */
function step(call: Call): number {
  if (call.phase === "pre") return call.level;
  if (call.phase === "execute") return LEVELS;
  return LEVELS + 1 + (LEVELS - 1 - call.level);
}

function checkLog(log: readonly Call[], ctx: Ctx): string | undefined {
  const expected = LEVELS * PER_LEVEL * 3;
  if (log.length !== expected) return `expected ${expected} calls, got ${log.length}`;
  if (log.some((c) => c.ctx !== ctx)) return "a phase received a different ctx";
  const counts = new Map<number, number>();
  let previous = -1;
  for (const call of log) {
    const s = step(call);
    if (s < previous) return `${call.phase} of level ${call.level} started out of order`;
    previous = s;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  for (const [s, n] of counts) {
    const want = s === LEVELS ? LEVELS * PER_LEVEL : PER_LEVEL;
    if (n !== want) return `step ${s}: expected ${want} calls, got ${n}`;
  }
  return undefined;
}
