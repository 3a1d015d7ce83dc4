import { ALLOC_TASKS, bytesPerTask } from "./alloc.js";
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
 * "ratio" is of median wall times; "mean ratio" of means (GC pauses weigh in); "cpu ratio" of
 * median process CPU times (less inflated by other load on the machine).
 * "B/task" is heap allocated per task and run (see alloc.ts), measured on the same shape cut
 * to ALLOC_TASKS tasks: deterministic, and unaffected by other load on the machine.
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
    const baseBytes = await bytesPerTask(f.baseline, w);
    const sdaxBytes = f.sdax === undefined ? Number.NaN : await bytesPerTask(f.sdax, w);
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
      ratio((sdax?.cpuMedian ?? Number.NaN) / base!.cpuMedian),
      verdict(r, RATIO_TARGET),
      ns(perTask(b)),
      ns(perTask(s)),
      ns(perTask(s - b)),
      ns(baseBytes),
      ns(sdaxBytes),
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
      "cpu ratio",
      `<=${RATIO_TARGET}x`,
      "base ns/task",
      "sdax ns/task",
      "overhead ns/task",
      `base B/task`,
      `sdax B/task`,
      "noise",
      "runs",
    ],
    rows,
  );
  console.log(`(B/task measured with ${ALLOC_TASKS} tasks of the same shape)`);
  if (f.sdax === undefined) console.log("(sdax not available: baseline and noise only)");
  return over;
}
