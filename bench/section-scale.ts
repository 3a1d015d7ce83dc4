import type { Options } from "./cli.js";
import type { Factories } from "./factories.js";
import { maybeGc, measureInterleaved } from "./measure.js";
import type { RunnerFactory } from "./runner.js";
import { printTable, ratio, us, verdict } from "./table.js";
import { makeWorkload } from "./workload.js";

export const SCALE_TARGET = 11;

interface Pair {
  readonly label: string;
  readonly levels: number;
  readonly small: number;
  readonly big: number;
}

const PAIRS: readonly Pair[] = [
  { label: "1 level: 10k -> 100k", levels: 1, small: 10_000, big: 100_000 },
  { label: "10 levels: 10x1k -> 10x10k", levels: 10, small: 1_000, big: 10_000 },
];

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  return [fn(), performance.now() - start];
}

/**
 * Linearity: the small and the big workload of one runner, interleaved; prints
 * time(big)/time(small), which is 10 for perfectly linear cost. Build times are shown too
 * (compiling a processor must be O(tasks + edges)). Returns labels over the target.
 */
export async function runScaleSection(f: Factories, opts: Options): Promise<string[]> {
  console.log("\n== Scaling (async phases): time(10x tasks) / time(tasks) ==");
  const factories: RunnerFactory[] = [f.baseline, ...(f.sdax ? [f.sdax] : [])];
  const over: string[] = [];
  const rows: string[][] = [];
  for (const pair of PAIRS) {
    for (const factory of factories) {
      maybeGc();
      const small = makeWorkload("small", pair.levels, pair.small, "async");
      const big = makeWorkload("big", pair.levels, pair.big, "async");
      const [smallRunner, smallBuild] = timed(() => factory.create(small));
      const [bigRunner, bigBuild] = timed(() => factory.create(big));
      const [s, b] = await measureInterleaved([smallRunner, bigRunner], opts.bigBudget);
      const r = b!.median / s!.median;
      const isSdax = factory === f.sdax;
      if (isSdax && r > SCALE_TARGET) over.push(`scaling ${pair.label}`);
      rows.push([
        pair.label,
        factory.name,
        us(s!.median),
        us(b!.median),
        ratio(r),
        isSdax ? verdict(r, SCALE_TARGET) : "",
        `${smallBuild.toFixed(1)} / ${bigBuild.toFixed(1)}`,
        String(s!.runs),
      ]);
    }
  }
  printTable(
    [
      "shape",
      "runner",
      "small µs",
      "big µs",
      "big/small",
      `<=${SCALE_TARGET}x`,
      "build ms",
      "runs",
    ],
    rows,
  );
  return over;
}
