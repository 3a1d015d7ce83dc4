import type { Options } from "./cli.js";
import type { Factories } from "./factories.js";
import { measureInterleaved } from "./measure.js";
import type { Runner } from "./runner.js";
import { ns, printTable, ratio, us, verdict } from "./table.js";
import { makeWorkload, type PhaseKind } from "./workload.js";

export const RATIO_TARGET = 1.5;

export interface Shape {
  readonly id: "A" | "B";
  readonly label: string;
  readonly levels: number;
  readonly perLevel: number;
}

export const SHAPES: Record<"A" | "B", Shape> = {
  A: { id: "A", label: "A 100 levels x 10", levels: 100, perLevel: 10 },
  B: { id: "B", label: "B 1 level x 10,000", levels: 1, perLevel: 10000 },
};

const KINDS: readonly PhaseKind[] = ["async", "sync"];

/**
 * Workload A or B: baseline, sdax and a second baseline instance interleaved round-robin.
 * The second baseline ("noise") shows how far two identical runners drift apart here.
 * Returns the labels of rows over the ratio target.
 */
export async function runWorkloadSection(
  shape: Shape,
  f: Factories,
  opts: Options,
): Promise<string[]> {
  console.log(`\n== Workload ${shape.label} tasks x 3 phases: sdax vs hand-written Promise.all ==`);
  const over: string[] = [];
  const rows: string[][] = [];
  for (const kind of KINDS) {
    const w = makeWorkload(shape.label, shape.levels, shape.perLevel, kind);
    const runners: Runner[] = [f.baseline.create(w), f.baseline.create(w)];
    if (f.sdax !== undefined) runners.push(f.sdax.create(w));
    const [base, noise, sdax] = await measureInterleaved(runners, opts.budget);
    const b = base!.median;
    const s = sdax?.median ?? Number.NaN;
    const r = s / b;
    const perTask = (x: number) => (x * 1000) / w.taskCount;
    if (r > RATIO_TARGET) over.push(`${shape.label} (${kind})`);
    rows.push([
      `${shape.id} ${kind}`,
      us(b),
      us(s),
      ratio(r),
      ratio((sdax?.mean ?? Number.NaN) / base!.mean),
      verdict(r, RATIO_TARGET),
      ns(perTask(b)),
      ns(perTask(s)),
      ns(perTask(s - b)),
      ratio(noise!.median / b),
      String(base!.runs),
    ]);
  }
  printTable(
    [
      "workload",
      "base µs",
      "sdax µs",
      "ratio",
      "mean ratio",
      `<=${RATIO_TARGET}x`,
      "base ns/task",
      "sdax ns/task",
      "overhead ns/task",
      "noise",
      "runs",
    ],
    rows,
  );
  if (f.sdax === undefined) console.log("(sdax not available: baseline and noise only)");
  return over;
}
