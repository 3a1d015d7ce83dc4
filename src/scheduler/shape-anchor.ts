import { Attempt } from "../functions/attempt.js";
import { taskFunc } from "../functions/task-function.js";
import { compileLevels } from "../graph/compile.js";
import { Run } from "./run.js";
import { readRunOptions } from "./run-options.js";

/**
 * One idle run and one idle attempt, never started, kept for the life of the module.
 *
 * Why: V8 keeps an object layout (a "map") alive only while some object has it, and the
 * optimised code of every engine method checks the run's and the attempt's maps. A full GC that
 * finds no run in flight (a quiet moment in a server) would collect those maps and throw all
 * that code away, and the next runs would go back to the interpreter: measured on the
 * 100-level workload, the first run after such a GC took 10-30 times its usual time, and the
 * next few several times. These two objects keep the maps alive; they hold no user data.
 *
 * They are made with the fields' widest representations (a run limit of `Infinity`, a start
 * time of `NaN`), so later runs never need a new map.
 */
let anchor: readonly [Run<unknown>, Attempt] | undefined;

/** Makes the anchor on first use (when the first processor is built); cheap after that. */
export function keepEngineShapes(): readonly [Run<unknown>, Attempt] {
  if (anchor === undefined) {
    const run = new Run<unknown>(
      compileLevels([]),
      undefined,
      readRunOptions(undefined),
      true,
      noop,
    );
    anchor = [run, new Attempt(run, 0, "execute", 1, taskFunc(noop))];
  }
  return anchor;
}

function noop(): void {}
