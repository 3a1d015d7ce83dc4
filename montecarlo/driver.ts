/**
 * The main loop: generates workflow after workflow, runs each (all its runs at once on one
 * processor) with a few workflows in flight, adds up the counts, and stops at the first
 * violation or when a limit is reached.
 */
import { type GenConfig, generateRun, generateWorkflow } from "./generator.js";
import type { Case } from "./model.js";
import type { RunViolation } from "./run-case.js";
import { runCase } from "./run-case.js";
import { Stats } from "./stats.js";
import { takeUnattributed } from "./uncaught.js";

/** When to stop starting new workflows (any limit reached); none set means one workflow. */
export interface Limits {
  readonly workflows?: number | undefined;
  readonly lifecycles?: number | undefined;
  readonly timeBudgetMs?: number | undefined;
}

export interface DriveConfig {
  readonly seed: number;
  readonly gen: GenConfig;
  /** Runs of each workflow, all at once on its processor. */
  readonly concurrency: number;
  readonly limits: Limits;
  /** Only this workflow index (a replay). */
  readonly onlyWorkflow?: number | undefined;
  /** With `onlyWorkflow`: only this run of it. */
  readonly onlyRun?: number | undefined;
  /** Workflows in flight at once (so real-timer sleeps overlap other work). */
  readonly inFlight: number;
}

/** The first violation found, with the case it was found in. */
export interface Failure {
  readonly workflow: number;
  readonly found: RunViolation;
  /** How many violations that workflow's runs had in all. */
  readonly count: number;
  readonly case: Case;
}

export interface DriveResult {
  readonly stats: Stats;
  readonly failure: Failure | undefined;
  /** Uncaught errors no run could be blamed for, with the workflows then in flight. */
  readonly strays: readonly { readonly message: string; readonly workflows: readonly number[] }[];
  readonly elapsedMs: number;
  /** Whether a limit other than the time budget stopped the run (or it was a replay). */
  readonly completed: boolean;
}

export type ProgressFn = (stats: Stats, fraction: number, elapsedMs: number) => void;

/** The case for workflow `index`: the workflow and its runs (or just run `only`). */
export function caseOf(cfg: DriveConfig, index: number, only?: number): Case {
  const workflow = generateWorkflow(cfg.seed, index, cfg.gen);
  const runs =
    only === undefined
      ? Array.from({ length: cfg.concurrency }, (_, j) =>
          generateRun(cfg.seed, index, j, workflow, cfg.gen),
        )
      : [generateRun(cfg.seed, index, only, workflow, cfg.gen)];
  return { workflow, runs };
}

export async function drive(cfg: DriveConfig, progress?: ProgressFn): Promise<DriveResult> {
  const started = performance.now();
  const stats = new Stats();
  const strays: { message: string; workflows: number[] }[] = [];
  const inFlight = new Set<number>();
  let failure: Failure | undefined;
  let next = cfg.onlyWorkflow ?? 0;
  const last = cfg.onlyWorkflow;
  const { workflows, lifecycles, timeBudgetMs } = cfg.limits;
  let timedOut = false;
  const elapsed = (): number => performance.now() - started;
  const fraction = (): number => {
    if (last !== undefined) return stats.workflows;
    let f = 0;
    if (workflows !== undefined) f = Math.max(f, stats.workflows / workflows);
    if (lifecycles !== undefined) f = Math.max(f, stats.lifecycles / lifecycles);
    if (timeBudgetMs !== undefined) f = Math.max(f, elapsed() / timeBudgetMs);
    return Math.min(1, f);
  };
  const mayStart = (): boolean => {
    if (failure !== undefined) return false;
    if (last !== undefined) return next === last;
    if (timeBudgetMs !== undefined && elapsed() >= timeBudgetMs) {
      timedOut = true;
      return false;
    }
    if (workflows !== undefined && next >= workflows) return false;
    if (lifecycles !== undefined && stats.lifecycles >= lifecycles) return false;
    return (
      workflows !== undefined ||
      lifecycles !== undefined ||
      timeBudgetMs !== undefined ||
      next === 0
    );
  };
  const noteStrays = (): void => {
    for (const message of takeUnattributed()) strays.push({ message, workflows: [...inFlight] });
  };
  const worker = async (): Promise<void> => {
    while (mayStart()) {
      const index = next++;
      inFlight.add(index);
      const c = caseOf(cfg, index, cfg.onlyRun);
      const result = await runCase(c);
      inFlight.delete(index);
      stats.addWorkflow(result.built);
      result.records.forEach((r) => {
        stats.addRun(result.built, r);
      });
      stats.violations += result.violations.length;
      const first = result.violations[0];
      if (first !== undefined && failure === undefined) {
        failure = { workflow: index, found: first, count: result.violations.length, case: c };
      }
      noteStrays();
      progress?.(stats, fraction(), elapsed());
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cfg.inFlight) }, worker));
  noteStrays();
  stats.violations += strays.length;
  return { stats, failure, strays, elapsedMs: elapsed(), completed: !timedOut };
}
