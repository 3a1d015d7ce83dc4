import type { Runner } from "./runner.js";
import type { Ctx } from "./workload.js";

export interface Budget {
  readonly warmupMs: number;
  readonly minWarmupRounds: number;
  readonly measureMs: number;
  readonly minRounds: number;
  readonly maxRounds: number;
}

/** Times per run, in microseconds. */
export interface Stats {
  readonly median: number;
  readonly mean: number;
  readonly p10: number;
  readonly p90: number;
  readonly runs: number;
}

const CTX: Ctx = { runId: 0 };

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** Forces a full GC between measurements when node runs with --expose-gc; no-op otherwise. */
export function maybeGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summarize(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  return {
    median: quantile(sorted, 0.5),
    mean,
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    runs: samples.length,
  };
}

/**
 * Runs the runners round-robin, each run timed on its own, so slow drift (thermal, GC
 * pressure, JIT tiering) hits all of them alike. The starting runner rotates every round.
 * A warm-up phase of the same shape comes first and is discarded.
 */
export async function measureInterleaved(
  runners: readonly Runner[],
  budget: Budget,
): Promise<Stats[]> {
  const samples: number[][] = runners.map(() => []);
  const round = async (r: number, record: boolean) => {
    for (let k = 0; k < runners.length; k++) {
      const i = (r + k) % runners.length;
      const runner = runners[i]!;
      const start = nowUs();
      await runner.run(CTX);
      const elapsed = nowUs() - start;
      if (record) samples[i]!.push(elapsed);
    }
  };
  maybeGc();
  const warmEnd = nowUs() + budget.warmupMs * 1000;
  for (let r = 0; r < budget.minWarmupRounds || nowUs() < warmEnd; r++) await round(r, false);
  const end = nowUs() + budget.measureMs * 1000;
  for (let r = 0; r < budget.maxRounds && (r < budget.minRounds || nowUs() < end); r++) {
    await round(r, true);
  }
  return samples.map(summarize);
}
