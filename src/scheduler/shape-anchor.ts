import type { GraphBuilder } from "../builders/graph-builder.js";
import type { LevelBuilder } from "../builders/level-builder.js";
import { task } from "../builders/task.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { Attempt } from "../functions/attempt.js";
import { fullAttemptOf, type LightScope } from "../functions/light-scope.js";
import type { TaskScope } from "../functions/task-scope.js";
import { AsyncTaskProcessor, planOf } from "../processor.js";
import { Run } from "./run.js";
import { readRunOptions } from "./run-options.js";

/**
 * Objects of every layout the engine's hot paths use, made once by a finished run of a tiny
 * workflow and kept for the life of the module.
 *
 * Why: V8 keeps an object layout (a "map") alive only while some object has it, and optimised
 * code checks the layouts of the objects it touches. A full GC that finds no run in flight (a
 * quiet moment in a server) would collect the layouts of runs, attempts, events, tasks and
 * builders and throw away all the code that checks them, and the next runs would go back to
 * the interpreter: measured on the 100-level workload, the first run after such a GC took 10 to
 * 30 times its usual time, and the next few several times.
 *
 * The workflow is the library's own: two levels, built by both builders, where one execute
 * fails, run with a listener and the real clock (fractional times). Its functions do nothing
 * and return at once, so the run settles before `keepEngineShapes` returns; it calls no user
 * code and sets no timer.
 */
export interface EngineShapes {
  readonly builders: readonly [LevelBuilder<undefined>, GraphBuilder<undefined>];
  readonly processors: readonly AsyncTaskProcessor<undefined>[];
  readonly run: Run<undefined>;
  /** The scope of a light attempt, promoted (its function read its signal)... */
  readonly lightScope: LightScope;
  /** ...and the full attempt that took it over. */
  readonly attempt: Attempt;
  readonly events: readonly LifecycleEvent[];
}

let shapes: EngineShapes | undefined;
let making = false;

/** Makes the shapes on first use (when the first processor is built); cheap after that. */
export function keepEngineShapes(): EngineShapes | undefined {
  if (shapes !== undefined || making) return shapes; // building the shapes builds processors too
  making = true;
  try {
    const scopes: TaskScope[] = [];
    const keepScope = (_ctx: undefined, scope: TaskScope): void => {
      scopes.push(scope);
      void scope.signal; // the scope keeps the full attempt it reached
    };
    const fail = (): never => {
      throw new Error("the engine's shape anchor: an expected failure");
    };
    const a = task<undefined>("a", { preExecute: noop, execute: keepScope, postExecute: noop });
    const b = task<undefined>("b", { preExecute: noop, execute: fail, postExecute: noop });
    const builders = [
      AsyncTaskProcessor.builder<undefined>().addTask(a, 0).addTask(b, 1),
      AsyncTaskProcessor.graphBuilder<undefined>().addTask(a).addTask(b, ["a"]),
    ] as const;
    const levels = builders[0].build();
    const events: LifecycleEvent[] = [];
    const options = readRunOptions({ onEvent: (event: LifecycleEvent) => events.push(event) });
    const run = new Run<undefined>(planOf(levels), undefined, options, true, noop);
    run.start();
    shapes = {
      builders,
      processors: [levels, builders[1].build()],
      run,
      lightScope: scopes[0] as LightScope,
      attempt: fullAttemptOf(scopes[0])!,
      events,
    };
    return shapes;
  } finally {
    making = false;
  }
}

function noop(): void {}
