import { GraphBuilder } from "./builders/graph-builder.js";
import { LevelBuilder } from "./builders/level-builder.js";
import { mapTaskFunctions } from "./builders/task.js";
import { describeValue } from "./errors/describe-error.js";
import { SdaxExecutionError } from "./errors/execution-error.js";
import type { PhaseName } from "./functions/phase-name.js";
import type { TaskFunction } from "./functions/task-function.js";
import { compiled, isCompiledPlan, type Plan } from "./graph/plan.js";
import { openRunner, type PhaseRunner } from "./phase-runner.js";
import { Run } from "./scheduler/run.js";
import {
  type ResolvedRunOptions,
  type RunOptions,
  readRunOptions,
} from "./scheduler/run-options.js";
import type { RunReport } from "./scheduler/run-report.js";
import { keepEngineShapes } from "./scheduler/shape-anchor.js";
import { analyzePlan, type WorkflowAnalysis } from "./visualize/analysis.js";
import { type FlowchartOptions, flowchart } from "./visualize/flowchart.js";

/** One task as {@link AsyncTaskProcessor.describe} shows it. */
export interface TaskDescription {
  /** The task's name. */
  readonly name: string;
  /** Level mode: the task's level. */
  readonly level?: number;
  /** Graph mode: the names it depends on, each once, in the order the tasks were added. */
  readonly dependsOn?: readonly string[];
  /** The phases it has. */
  readonly phases: readonly PhaseName[];
}

const plans = new WeakMap<object, Plan<unknown>>();

let newProcessor: <T>(plan: Plan<T>) => AsyncTaskProcessor<T>;

/**
 * A compiled, immutable workflow. Build it once with {@link AsyncTaskProcessor.builder} (levels)
 * or {@link AsyncTaskProcessor.graphBuilder} (a dependency graph) and run it any number of
 * times, concurrently: runs share nothing mutable (spec INV-15).
 *
 * @example
 * const processor = AsyncTaskProcessor.builder<Ctx>()
 *   .addTask(task("auth", { preExecute: checkAuth }), 1)
 *   .addTask(task("flags", { preExecute: loadFlags }), 1)
 *   .addTask(task("user", { execute: fetchUser }), 2)
 *   .build();
 * await processor.processTasks({ userId: 7 });
 */
export class AsyncTaskProcessor<in T> {
  readonly #plan: Plan<T>;

  /** Made by the builders: use {@link AsyncTaskProcessor.builder}. */
  private constructor(plan: Plan<T>) {
    if (!isCompiledPlan(plan)) {
      throw new TypeError(
        "AsyncTaskProcessor: a processor is made by a builder: AsyncTaskProcessor.builder() or AsyncTaskProcessor.graphBuilder(), then build()",
      );
    }
    this.#plan = plan;
    plans.set(this, plan as Plan<unknown>);
    keepEngineShapes();
    Object.freeze(this);
  }
  static {
    // The builders' way in; a JavaScript caller of the constructor meets its check above.
    newProcessor = (plan) => new AsyncTaskProcessor(plan);
  }

  /** A builder for level mode: a task on level L depends on every task of the next lower populated level. */
  static builder<T>(): LevelBuilder<T> {
    return LevelBuilder.empty<T>();
  }

  /** A builder for graph mode: each task names the tasks it depends on. */
  static graphBuilder<T>(): GraphBuilder<T> {
    return GraphBuilder.empty<T>();
  }

  /** The task names, in the order they were added. */
  get taskNames(): readonly string[] {
    return this.#plan.tasks.map((t) => t.name);
  }

  /** The workflow as data: each task's level or dependencies and its phases. */
  describe(): readonly TaskDescription[] {
    const plan = this.#plan;
    const { dependenciesStart, dependencies } = plan;
    return plan.tasks.map((t, i) => {
      const phases = (["preExecute", "execute", "postExecute"] as const).filter(
        (p) => t[p] !== undefined,
      );
      const level = plan.levels[i];
      // + 0: a task added on level -0 is on level 0, and says so.
      if (level !== undefined) return { name: t.name, level: level + 0, phases };
      const dependsOn: string[] = [];
      for (let k = dependenciesStart[i]!; k < dependenciesStart[i + 1]!; k++) {
        dependsOn.push(plan.tasks[dependencies[k]!]!.name);
      }
      return { name: t.name, dependsOn, phases };
    });
  }

  /**
   * The workflow as a Mermaid flowchart: levels as subgraphs in level order (graph mode: one
   * arrow per dependency), each task with the phases it has, joins as circles. Names are
   * escaped; the text is the same for the same workflow, every time. Paste it into any
   * Mermaid renderer (GitHub renders a fenced `mermaid` block).
   *
   * @example
   * console.log(processor.toMermaid());
   * // flowchart TB
   * //   subgraph L0["level 1"]
   * //     direction TB
   * //     t0["auth<br/>pre"]
   * //   ...
   */
  toMermaid(options?: FlowchartOptions): string {
    return flowchart(this.#plan, options);
  }

  /**
   * What can run together, for a run in which every phase succeeds (spec/analysis.md): the
   * preExecute waves, the execute wave, the postExecute waves in teardown order, the depth,
   * the widest wave, the critical path and how many tasks have each phase.
   *
   * @example
   * const { preWaves, executeWave, depth } = processor.analyze();
   * // for the class example's workflow: preWaves [["auth", "flags"]], executeWave ["user"],
   * // depth 1
   */
  analyze(): WorkflowAnalysis {
    return analyzePlan(this.#plan);
  }

  /**
   * Runs every task: preExecute by dependency order, then every execute at once, then
   * postExecute in reverse order. Resolves with a {@link RunReport}, or rejects after all
   * cleanup with an {@link SdaxExecutionError} listing every failed phase.
   */
  processTasks(ctx: T, options?: RunOptions): Promise<RunReport> {
    let resolved: ResolvedRunOptions;
    try {
      resolved = readRunOptions(options);
    } catch (invalid) {
      return Promise.reject(invalid);
    }
    return new Promise<RunReport>((resolve, reject) => {
      const run: Run<T> = new Run(this.#plan, ctx, resolved, true, () => {
        if (run.crash !== undefined) reject(run.crash.error);
        else if (run.state !== "settled") return;
        else if (run.failures.length > 0 || run.abort !== undefined) {
          reject(new SdaxExecutionError(run.failures, run.abort));
        } else resolve(run.report());
      });
      run.start();
    });
  }

  /**
   * Opens a run to drive phase by phase (spec/phase-runner.md). Use `await using` so the
   * run is closed, and its failures raised, whatever happens.
   *
   * @example
   * await using runner = processor.open(ctx);
   * await runner.runNext(); // preExecute
   * if (!runner.hasFailures()) await runner.runNext(); // execute
   */
  open(ctx: T, options?: RunOptions): PhaseRunner {
    const resolved = readRunOptions(options);
    return openRunner(
      (onStop) => new Run(this.#plan, ctx, resolved, false, onStop) as Run<unknown>,
    );
  }
}

/**
 * @internal The same workflow with every task function passed through `map`: what the
 * tracing and failure-exploring entry points run in place of the user's processor.
 */
export function mapProcessorFunctions<T>(
  processor: AsyncTaskProcessor<T>,
  map: (fn: TaskFunction<T>, task: string, phase: PhaseName) => TaskFunction<T>,
): AsyncTaskProcessor<T> {
  const plan = planOf(processor);
  const tasks = plan.tasks.map((t) => mapTaskFunctions(t, (fn, phase) => map(fn, t.name, phase)));
  return newProcessor(compiled(Object.freeze({ ...plan, tasks })));
}

/**
 * @internal The compiled plan of a processor (for `checkTrace`, `instrument`, the explorer).
 * Anything else throws a `TypeError` from `caller` saying what it got; a traced processor is
 * told to pass its `.processor`.
 */
export function planOf<T>(processor: AsyncTaskProcessor<T>, caller = "sdax"): Plan<T> {
  const plan = plans.get(processor);
  if (plan !== undefined) return plan as Plan<T>;
  throw new TypeError(
    `${caller}: expected an AsyncTaskProcessor made by a builder, got ${describeValue(processor)}${wrapsProcessor(processor) ? "; pass its `.processor`" : ""}`,
  );
}

/** Whether `value` holds a processor as its `processor` (a `TracedProcessor`). Never throws. */
function wrapsProcessor(value: unknown): boolean {
  try {
    return (
      typeof value === "object" &&
      value !== null &&
      plans.has((value as { processor: object }).processor)
    );
  } catch {
    return false;
  }
}

/** @internal A processor of a compiled plan: what `build()` returns. */
export function processorOf<T>(plan: Plan<T>): AsyncTaskProcessor<T> {
  return newProcessor(plan);
}
