import { ALLOC_TASKS, bytesPerTask } from "./alloc.js";
import type { Options } from "./cli.js";
import type { Factories } from "./factories.js";
import { fitBudget, measureInterleaved, probeMs } from "./measure.js";
import type { RunnerFactory } from "./runner.js";
import { SHAPES } from "./section-workloads.js";
import { ns, printTable, ratio, us } from "./table.js";
import { makeWorkload, type PhaseKind, shrinkWorkload, type Workload } from "./workload.js";

/** A candidate whose single run takes longer than this is reported, not measured. */
const TOO_SLOW_MS = 2000;
/** Allocation is measured (a few extra runs) only for candidates faster than this. */
const ALLOC_MAX_MS = 300;

/**
 * Every candidate (sdax first, then each competitor) measured pairwise against its own
 * interleaved baseline on workloads A and B; "vs sdax" divides the two baseline ratios.
 * Returns notes for workloads where a competitor beat sdax.
 */
export async function runCompetitorSection(f: Factories, opts: Options): Promise<string[]> {
  console.log("\n== Competitors: ratio to the hand-written baseline (lower is better) ==");
  const kinds: readonly PhaseKind[] = opts.quick ? ["async"] : ["async", "sync"];
  const candidates: RunnerFactory[] = [...(f.sdax ? [f.sdax] : []), ...f.competitors];
  const beaten: string[] = [];
  const rows: string[][] = [];
  for (const shape of [SHAPES.A, SHAPES.B]) {
    for (const kind of kinds) {
      const w = makeWorkload(shape.label, shape.levels, shape.perLevel, kind);
      let sdaxRatio = Number.NaN;
      for (const candidate of candidates) {
        const label = `${shape.id} ${kind}`;
        const row = await measureCandidate(f.baseline, candidate, w, opts).catch(
          (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        if (typeof row === "string") {
          rows.push([label, candidate.name, "", "", "n/a", "", "", "0"]);
          console.log(`  ${label} ${candidate.name}: ${row}`);
          continue;
        }
        const [base, cand, runs, bytes] = row;
        const r = cand / base;
        if (candidate === f.sdax) sdaxRatio = r;
        else if (r < sdaxRatio) beaten.push(`${label}: ${candidate.name} is faster than sdax`);
        const vsSdax = candidate === f.sdax ? "" : ratio(r / sdaxRatio);
        const perTask = ns(bytes);
        rows.push([
          label,
          candidate.name,
          us(base),
          us(cand),
          ratio(r),
          vsSdax,
          perTask,
          String(runs),
        ]);
      }
    }
  }
  const headers = [
    "workload",
    "runner",
    "base µs",
    "runner µs",
    "ratio",
    "vs sdax",
    "B/task",
    "runs",
  ];
  printTable(headers, rows);
  console.log(`(B/task measured with ${ALLOC_TASKS} tasks of the same shape)`);
  return beaten;
}

/**
 * [baseline median µs, candidate median µs, runs, candidate bytes per task (NaN if not
 * measured)], or why the candidate was not measured.
 */
async function measureCandidate(
  baseline: RunnerFactory,
  candidate: RunnerFactory,
  w: Workload,
  opts: Options,
): Promise<[number, number, number, number] | string> {
  // A tenth of the workload first: a super-linear runner (async.auto re-checks the whole
  // graph for cycles on every call) would otherwise block for minutes in a single run.
  const tenth = w.taskCount >= 1000 ? shrinkWorkload(w, w.taskCount / 10) : undefined;
  if (tenth !== undefined) {
    const small = await probeMs(candidate.create(tenth));
    if (small * 10 > TOO_SLOW_MS) {
      return `not measured: one run at ${tenth.taskCount} tasks already took ${small.toFixed(0)} ms`;
    }
  }
  const runner = candidate.create(w);
  const once = await probeMs(runner);
  if (once > TOO_SLOW_MS) return `not measured: one run took ${once.toFixed(0)} ms`;
  const budget = fitBudget(opts.budget, once);
  const [base, cand] = await measureInterleaved([baseline.create(w), runner], budget);
  const bytes = once <= ALLOC_MAX_MS ? await bytesPerTask(candidate, w) : Number.NaN;
  return [base!.median, cand!.median, cand!.runs, bytes];
}
