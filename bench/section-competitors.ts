import type { Options } from "./cli.js";
import type { Factories } from "./factories.js";
import { measureInterleaved } from "./measure.js";
import type { RunnerFactory } from "./runner.js";
import { SHAPES } from "./section-workloads.js";
import { printTable, ratio, us } from "./table.js";
import { makeWorkload, type PhaseKind } from "./workload.js";

/**
 * Every candidate (sdax first, then each competitor) measured pairwise against its own
 * interleaved baseline on workloads A and B; "vs sdax" divides the two baseline ratios.
 * Returns labels of workloads where a competitor beat sdax.
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
        const [base, cand] = await measureInterleaved(
          [f.baseline.create(w), candidate.create(w)],
          opts.budget,
        );
        const r = cand!.median / base!.median;
        if (candidate === f.sdax) sdaxRatio = r;
        else if (r < sdaxRatio) beaten.push(`${shape.id} ${kind}: ${candidate.name} beats sdax`);
        rows.push([
          `${shape.id} ${kind}`,
          candidate.name,
          us(base!.median),
          us(cand!.median),
          ratio(r),
          candidate === f.sdax ? "" : ratio(r / sdaxRatio),
          String(cand!.runs),
        ]);
      }
    }
  }
  printTable(["workload", "runner", "base µs", "runner µs", "ratio", "vs sdax", "runs"], rows);
  return beaten;
}
