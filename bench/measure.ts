import { forceGc } from "./gc.js";
import type { Runner } from "./runner.js";
import type { Ctx } from "./workload.js";

export interface Budget {
  readonly warmupMs: number;
  readonly minWarmupRounds: number;
  readonly measureMs: number;
  readonly minRounds: number;
  readonly maxRounds: number;
  /** Full GC (untimed) before every run, so one run's garbage is not collected in the next. */
  readonly gcBeforeRun?: boolean;
}

/** Times per run, in microseconds. */
export interface Stats {
  /** wall-clock time */
  readonly median: number;
  /** process CPU time (user + system, all threads: includes GC helper threads), which other
   * load on the machine inflates less than wall time */
  readonly cpuMedian: number;
  readonly mean: number;
  readonly p10: number;
  readonly p90: number;
  readonly runs: number;
}

const CTX: Ctx = { runId: 0 };

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** Forces a full GC when one is available (see gc.ts); no-op otherwise. */
export function maybeGc(): void {
  forceGc?.();
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summarize(samples: number[], cpu: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  return {
    median: quantile(sorted, 0.5),
    cpuMedian: quantile(
      [...cpu].sort((a, b) => a - b),
      0.5,
    ),
    mean,
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    runs: samples.length,
  };
}

/** Milliseconds of one run, after one untimed run (used to spot runners too slow to measure). */
export async function probeMs(runner: Runner): Promise<number> {
  await runner.run(CTX);
  const start = nowUs();
  await runner.run(CTX);
  return (nowUs() - start) / 1000;
}

/** Shrinks the minimum round counts so that a slow runner stays within about the time budget. */
export function fitBudget(budget: Budget, runMs: number): Budget {
  const cap = (n: number, ms: number) => Math.max(1, Math.min(n, Math.floor(ms / runMs)));
  return {
    ...budget,
    minWarmupRounds: cap(budget.minWarmupRounds, budget.warmupMs),
    minRounds: Math.max(3, cap(budget.minRounds, budget.measureMs)),
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
  const cpu: number[][] = runners.map(() => []);
  const round = async (r: number, record: boolean) => {
    for (let k = 0; k < runners.length; k++) {
      const i = (r + k) % runners.length;
      const runner = runners[i]!;
      if (budget.gcBeforeRun) maybeGc();
      const cpuStart = process.cpuUsage();
      const start = nowUs();
      await runner.run(CTX);
      const elapsed = nowUs() - start;
      const used = process.cpuUsage(cpuStart);
      if (record) {
        samples[i]!.push(elapsed);
        cpu[i]!.push(used.user + used.system);
      }
    }
  };
  maybeGc();
  const warmEnd = nowUs() + budget.warmupMs * 1000;
  for (let r = 0; r < budget.minWarmupRounds || nowUs() < warmEnd; r++) await round(r, false);
  const end = nowUs() + budget.measureMs * 1000;
  for (let r = 0; r < budget.maxRounds && (r < budget.minRounds || nowUs() < end); r++) {
    await round(r, true);
  }
  return samples.map((runnerSamples, i) => summarize(runnerSamples, cpu[i]!));
}
