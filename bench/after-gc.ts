/**
 * What the first runs after a full garbage collection cost, over a steady run, for sdax and for
 * the hand-written code. A full GC that finds no run in flight is what a quiet server sees; if
 * it collected the engine's object layouts, V8 would throw away the optimised code and the next
 * runs would be interpreted (src/scheduler/shape-anchor.ts is why they are not).
 *   node --expose-gc --import tsx bench/after-gc.ts [W1|W2|...] [rounds]
 * Prints, per implementation, the median over rounds of (first run after the GC) / (steady
 * run), and of (the 5 runs after it) / (5 steady runs).
 */
import { forceGc } from "./gc.js";
import { pickRunner } from "./pick-runner.js";
import { median } from "./stats.js";

const [shape = "W1", roundsArg = "20"] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (forceGc === undefined) throw new Error("no way to force a GC here: run with node --expose-gc");
const gc = forceGc;
const runners = ["raw", "sdax"].map((impl) => {
  const picked = pickRunner([shape, impl]);
  if (typeof picked === "string") throw new Error(picked);
  return picked;
});

async function timeRuns(run: (ctx: { runId: number }) => Promise<unknown>, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await run({ runId: i });
    times.push(performance.now() - started);
  }
  return times;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

// Warm up until both are optimised.
for (const r of runners) {
  const until = performance.now() + 2_000;
  while (performance.now() < until) await r.run({ runId: 0 });
}
const first = new Map<string, number[]>(runners.map((r) => [r.name, []]));
const firstFive = new Map<string, number[]>(runners.map((r) => [r.name, []]));
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < runners.length; k++) {
    const r = runners[(round + k) % runners.length]!;
    gc();
    const after = await timeRuns(r.run, 5);
    const steady = (await timeRuns(r.run, 25)).slice(20); // settled again by then
    first.get(r.name)!.push(after[0]! / median(steady));
    firstFive.get(r.name)!.push(sum(after) / sum(steady));
  }
}
console.log(
  `${shape}, ${rounds} full GCs each, first run after the GC over a steady run (median):`,
);
for (const r of runners) {
  const a = median(first.get(r.name)!).toFixed(2);
  const b = median(firstFive.get(r.name)!).toFixed(2);
  console.log(`  ${r.name.padEnd(10)} first run ${a}x   first 5 runs ${b}x`);
}
