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
 * Linearity: prints time(big)/time(small), which is 10 for perfectly linear cost. The two
 * sizes are interleaved with an untimed full GC before every run; without it the big run's
 * garbage is collected during the next small run and inflates it. The baseline's own
 * ratio is printed too, and "engine" divides sdax's ratio by it: the part of the growth that
 * sdax adds on top of what V8's promises and GC already cost at that size. Build times are
 * shown too (compiling a processor must be O(tasks + edges)). Returns labels over the target.
 */
export async function runScaleSection(f: Factories, opts: Options): Promise<string[]> {
  console.log("\n== Scaling (async phases): time(10x tasks) / time(tasks) ==");
  const factories: RunnerFactory[] = [f.baseline, ...(f.sdax ? [f.sdax] : [])];
  const over: string[] = [];
  const rows: string[][] = [];
  for (const pair of PAIRS) {
    let baselineRatio = Number.NaN;
    for (const factory of factories) {
      maybeGc();
      const small = makeWorkload("small", pair.levels, pair.small, "async");
      const big = makeWorkload("big", pair.levels, pair.big, "async");
      const [smallRunner, smallBuild] = timed(() => factory.create(small));
      const [bigRunner, bigBuild] = timed(() => factory.create(big));
      const [s, b] = await measureInterleaved([smallRunner, bigRunner], opts.bigBudget);
      const r = b!.median / s!.median;
      if (factory === f.baseline) baselineRatio = r;
      const isSdax = factory === f.sdax;
      if (isSdax && r > SCALE_TARGET) over.push(`scaling ${pair.label}`);
      rows.push([
        pair.label,
        factory.name,
        us(s!.median),
        us(b!.median),
        ratio(r),
        isSdax ? verdict(r, SCALE_TARGET) : "",
        isSdax ? ratio(r / baselineRatio) : "",
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
      "engine",
      "build ms",
      "runs",
    ],
    rows,
  );
  console.log(
    "engine = sdax big/small divided by the baseline's big/small: >1 means sdax grows faster than plain promises do.",
  );
  return over;
}
