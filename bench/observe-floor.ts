/**
 * What observing each promise on its own costs, with no engine at all: the floor under any
 * library that must learn when each of many phases ends, as sdax must.
 *   npx tsx bench/observe-floor.ts [tasks] [rounds]
 *
 * Every unit calls `tasks` trivial async functions at once and waits for all of them:
 * - `all`: one `Promise.all` of their promises (the hand-written code);
 * - `each`: one `then` per promise, with a callback for each outcome, counting the settled
 *   ones (what an engine that reacts to each phase needs at least);
 * - `each+record`: the same, and a small record per call, kept until its promise settles
 *   (what an engine needs to know which task's phase ended).
 * Prints each one's time over `all`'s, median and p25-p75 over the rounds, sampled by the
 * benchmark's own method.
 */
import { type Contender, ratios, sample } from "./method.js";
import { spread } from "./stats.js";

const [tasksArg = "10000", roundsArg = "12"] = process.argv.slice(2);
const tasks = Number(tasksArg);
const counter = { calls: 0 };
const fns = Array.from({ length: tasks }, () => async (): Promise<void> => {
  counter.calls++;
});

class Attempt {
  constructor(
    readonly node: number,
    public done: boolean,
  ) {}
}

function eachThen(keepRecord: boolean): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      let left = tasks;
      const settled = (record: Attempt | undefined) => {
        if (record !== undefined) record.done = true;
        if (--left === 0) resolve();
      };
      for (let i = 0; i < tasks; i++) {
        const record = keepRecord ? new Attempt(i, false) : undefined;
        fns[i]!().then(
          () => settled(record),
          () => settled(record),
        );
      }
    });
}

const units: Record<string, () => Promise<unknown>> = {
  all: () => Promise.all(fns.map((fn) => fn())),
  each: eachThen(false),
  "each+record": eachThen(true),
};
const contenders: Contender[] = Object.entries(units).map(([name, unit]) => ({
  name,
  unit,
  callsPerUnit: tasks,
  counter,
}));
const samples = await sample(contenders, { rounds: Number(roundsArg), sampleMs: 150 });
console.log(`${tasks.toLocaleString("en-US")} promises at once, time over Promise.all's:`);
for (const name of ["each", "each+record"]) {
  const s = spread(ratios(samples, name, "all"));
  console.log(
    `  ${name.padEnd(12)} ${s.value.toFixed(2)}x  (p25-p75 ${s.p25.toFixed(2)}-${s.p75.toFixed(2)})`,
  );
}
