/**
 * What observing each phase on its own costs, with no engine at all: the floor under any
 * library that must learn when each phase ends, as sdax must.
 *   npx tsx bench/observe-floor.ts [tasks] [rounds]     one level of `tasks` (W2's shape)
 *   npx tsx bench/observe-floor.ts levels [rounds]      100 levels x 10 tasks (W1's shape)
 *
 * Every unit makes three phase calls per task of trivial async functions, in W2's or W1's
 * order: the level's (or each level's) preExecutes, then every execute, then the postExecutes,
 * levels in reverse. Against:
 * - `all`: the hand-written code, one `await Promise.all` per level and phase;
 * - `each`: one `then` per promise with a callback for each outcome, counting the settled ones,
 *   and starting the next stage from the callback that settles a stage's last one (as an
 *   engine reacting to each phase does, with no `await` per level);
 * - `each+record`: the same, with a small record per call kept until its promise settles (to
 *   know which task's phase ended);
 * - `each+record+scope`: the same, and a small object handed to each function as its second
 *   argument, as sdax hands every function its scope.
 * Prints each one's time over `all`'s, median and p25-p75 over the rounds, sampled by the
 * benchmark's own method. Each is sampled in a process of its own, beside `all`: they are made
 * by one factory, and closures made from one function literal share V8's feedback and
 * optimised code, so in one process each would run the code shaped by all of them.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Contender, ratios, sample } from "./method.js";
import { spread } from "./stats.js";

type Phase = (ctx: number, scope?: Scope) => Promise<void>;

const [shapeArg = "10000", roundsArg = "12", variant] = process.argv.slice(2);
const VARIANTS = ["each", "each+record", "each+record+scope"];
if (variant === undefined) {
  console.log(
    `${shapeArg === "levels" ? "100 levels x 10" : `1 level x ${shapeArg}`} tasks x 3 phases, time over Promise.all's:`,
  );
  for (const name of VARIANTS) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), shapeArg, roundsArg, name];
    process.stdout.write(execFileSync(process.execPath, args, { encoding: "utf8" }));
  }
  process.exit(0);
}
const [levelCount, perLevel] = shapeArg === "levels" ? [100, 10] : [1, Number(shapeArg)];
const counter = { calls: 0 };
const phases = (): Phase[][] =>
  Array.from({ length: levelCount }, () =>
    Array.from({ length: perLevel }, () => async (): Promise<void> => {
      counter.calls++;
    }),
  );
const [pre, execute, post] = [phases(), phases(), phases()];
/** What runs in order: each level's preExecutes, every execute, each level's postExecutes in reverse. */
const stages: readonly (readonly Phase[])[] = [...pre, execute.flat(), ...[...post].reverse()];

class PhaseRecord {
  constructor(
    readonly node: number,
    public done: boolean,
  ) {}
}

class Scope {
  constructor(
    readonly host: object,
    readonly node: number,
    readonly phase: string,
    public full: object | undefined,
  ) {}
}

const host = {};

async function all(ctx: number): Promise<void> {
  for (const stage of stages) await Promise.all(stage.map((fn) => fn(ctx)));
}

function each(keepRecord: boolean, passScope: boolean): (ctx: number) => Promise<void> {
  return (ctx) =>
    new Promise<void>((resolve) => {
      let stage = 0;
      let left = 0;
      const settled = (record: PhaseRecord | undefined) => {
        if (record !== undefined) record.done = true;
        if (--left === 0) next();
      };
      const next = () => {
        if (stage === stages.length) return resolve();
        const fns = stages[stage++]!;
        left = fns.length;
        for (let i = 0; i < fns.length; i++) {
          const record = keepRecord ? new PhaseRecord(i, false) : undefined;
          const scope = passScope ? new Scope(host, i, "execute", undefined) : undefined;
          fns[i]!(ctx, scope).then(
            () => settled(record),
            () => settled(record),
          );
        }
      };
      next();
    });
}

if (!VARIANTS.includes(variant))
  throw new Error(`unknown variant ${variant}: ${VARIANTS.join(", ")}`);
// One of each kept alive, so a forced GC (with --expose-gc) never drops their object layouts
// and the code optimised for them, as sdax keeps its own.
export const shapes = [new PhaseRecord(0, false), new Scope(host, 0, "execute", undefined)];

const units: Record<string, (ctx: number) => Promise<unknown>> = {
  all,
  [variant]: each(variant !== "each", variant === "each+record+scope"),
};
const contenders: Contender[] = Object.entries(units).map(([name, unit]) => ({
  name,
  unit: (ctx) => unit(ctx.runId),
  callsPerUnit: 3 * levelCount * perLevel,
  counter,
}));
const samples = await sample(contenders, { rounds: Number(roundsArg), sampleMs: 150 });
const s = spread(ratios(samples, variant, "all"));
console.log(
  `  ${variant.padEnd(18)} ${s.value.toFixed(2)}x  (p25-p75 ${s.p25.toFixed(2)}-${s.p75.toFixed(2)})`,
);
