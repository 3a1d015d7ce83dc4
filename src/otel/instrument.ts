import { context, type Tracer, trace } from "@opentelemetry/api";
import { describeValue } from "../errors/describe-error.js";
import { readOptionObject } from "../functions/option-object.js";
import type { PhaseRunner } from "../phase-runner.js";
import { type AsyncTaskProcessor, mapProcessorFunctions, planOf } from "../processor.js";
import type { RunOptions } from "../scheduler/run-options.js";
import type { RunReport } from "../scheduler/run-report.js";
import { RunTracer } from "./run-tracer.js";
import { PHASE_INDEX, type TraceShape, traceShape } from "./shape.js";
import { tracedFunction } from "./traced-function.js";
import { type Listener, withListener } from "./with-listener.js";

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * The tracer that starts every span.
   * @default trace.getTracer("sdax"), the global tracer provider's
   */
  readonly tracer?: Tracer | undefined;
  /**
   * The run span's name: give each workflow its own to tell them apart.
   * @default "sdax run"
   */
  readonly name?: string | undefined;
}

let newTraced: <T>(
  processor: AsyncTaskProcessor<T>,
  tracer: Tracer,
  name: string,
) => TracedProcessor<T>;

/**
 * A processor whose runs are traced with OpenTelemetry. Made by {@link instrument}; it runs
 * exactly what the processor runs, with the same reports, errors and events. Make it once and
 * share it, as the processor: concurrent runs each get a span tree of their own.
 *
 * @example
 * const traced = instrument(processor, { name: "load profile" });
 * app.get("/profile", async (req, res) => {
 *   await traced.processTasks({ userId: req.user.id }); // under the request's span
 * });
 */
export class TracedProcessor<in T> {
  /** The processor it traces, for everything else (`describe()`, `taskNames`, ...). */
  readonly processor: AsyncTaskProcessor<T>;
  readonly #traced: AsyncTaskProcessor<T>;
  readonly #shape: TraceShape;

  /** Made by {@link instrument}. */
  private constructor(processor: AsyncTaskProcessor<T>, tracer: Tracer, name: string) {
    // Checked here, not in `instrument` alone: a JavaScript caller can reach the constructor.
    planOf(processor, "instrument"); // a TypeError for anything but a processor made by a builder
    if (typeof tracer !== "object" || tracer === null || typeof tracer.startSpan !== "function") {
      throw new TypeError(
        `instrument: \`tracer\` must be an OpenTelemetry Tracer, got ${describeValue(tracer)}`,
      );
    }
    if (typeof name !== "string") {
      throw new TypeError(`instrument: \`name\` must be a string, got ${describeValue(name)}`);
    }
    this.processor = processor;
    const shape = traceShape(tracer, name, processor.taskNames);
    const taskIndex = shape.taskIndex;
    this.#shape = shape;
    this.#traced = mapProcessorFunctions(processor, (fn, task, phase) =>
      tracedFunction(fn, shape.slots[taskIndex.get(task)! * 3 + PHASE_INDEX[phase]]!),
    );
    Object.freeze(this);
  }

  static {
    newTraced = (processor, tracer, name) => new TracedProcessor(processor, tracer, name);
  }

  /**
   * `processor.processTasks(ctx, options)`, traced: a span for the run, a child of the context
   * active here, and a span for each attempt of each phase, a child of the run's. `onEvent`, if
   * given, receives every event as it would without tracing.
   */
  processTasks(ctx: T, options?: RunOptions): Promise<RunReport> {
    return this.#traced.processTasks(ctx, withListener(options, this.#chain()));
  }

  /**
   * `processor.open(ctx, options)`, traced: the run span is a child of the context active
   * here (not of where `runNext()` is called), and starts when the first phase does.
   */
  open(ctx: T, options?: RunOptions): PhaseRunner {
    return this.#traced.open(ctx, withListener(options, this.#chain()));
  }

  /** Makes a run's listener around the user's; the run span's parent is the context active now. */
  #chain(): (user: Listener | undefined) => Listener {
    const shape = this.#shape;
    const parent = context.active();
    return (user) => new RunTracer(shape, parent, user).listener;
  }
}

/**
 * Traces a processor's runs with OpenTelemetry: a span per run, and a span per attempt of
 * each phase function (`<task> <phase>`), with the task, phase, attempt and outcome as
 * attributes, errors recorded as exceptions, and events for cancellations, retries and
 * abandonment. A task function runs inside its attempt's span, so the spans your own code
 * starts there (an HTTP client's, a database driver's) are its children. Needs a context
 * manager (`AsyncLocalStorageContextManager`, which the Node SDK registers) for the spans
 * started after an `await` to find their parent.
 *
 * @example
 * import { trace } from "@opentelemetry/api";
 * import { instrument } from "sdax/otel";
 *
 * const traced = instrument(processor, { tracer: trace.getTracer("checkout"), name: "checkout" });
 * await traced.processTasks(ctx); // or traced.open(ctx) to drive it phase by phase
 */
export function instrument<T>(
  processor: AsyncTaskProcessor<T>,
  options: InstrumentOptions = {},
): TracedProcessor<T> {
  planOf(processor, "instrument"); // the processor first, as its own mistake
  const { tracer = trace.getTracer("sdax"), name = "sdax run" } = readOptionObject(
    options,
    "instrument",
    ["tracer", "name"],
    "{ tracer, name }",
  ) as InstrumentOptions;
  return newTraced(processor, tracer, name);
}
