/**
 * `npm start`: a tour of sdax in six short runs, printing what ran, in order, with the time
 * since each run began, then the timeline of the failing run 3 as a Mermaid Gantt chart. Every
 * part is a module of its own (see the other files here) and takes a `DemoIO`, so
 * test/examples/ runs them on a virtual clock and checks what they print.
 */

import { ganttFromEvents, isSdaxExecutionError, type LifecycleEvent } from "../src/index.js";
import { cancellationProcessor, cancellationTour } from "./cancellation.js";
import { consoleIO, type DemoIO, Timeline } from "./demo-kit.js";
import { graphTour } from "./graph.js";
import { levelsTour } from "./levels.js";
import { phaseRunnerTour } from "./phase-runner.js";
import { timeoutRetryTour } from "./timeout-retry.js";

/** A workflow as a Mermaid flowchart and one of its runs as a Mermaid Gantt chart. */
export interface DemoCharts {
  /** `processor.toMermaid()`. */
  readonly flowchart: string;
  /** `ganttFromEvents(events)` of the run. */
  readonly gantt: string;
}

/**
 * Part 3's workflow (a preExecute fails on level 2 of 3) run once more, quietly, keeping its
 * events: the pictures of docs/observability.md, and the timeline `npm start` prints.
 */
export async function failingRunCharts(io: DemoIO): Promise<DemoCharts> {
  const quiet: DemoIO = { ...io, log: () => {} };
  const processor = cancellationProcessor(quiet, new Timeline(quiet));
  const events: LifecycleEvent[] = [];
  try {
    await processor.processTasks({}, { clock: io.clock, onEvent: (e) => events.push(e) });
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
  }
  return { flowchart: processor.toMermaid(), gantt: ganttFromEvents(events) };
}

/** Part 7: the timeline of part 3's run, drawn from its events. */
export async function timelineTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  out.heading("7. The timeline of run 3, drawn from its lifecycle events");
  out.note("ganttFromEvents(events) turns what onEvent delivered into a Mermaid Gantt chart:");
  out.note("paste it into https://mermaid.live, or a ```mermaid block on GitHub.");
  out.blank();
  const { gantt } = await failingRunCharts(io);
  for (const line of gantt.trimEnd().split("\n")) io.log(line);
  out.blank();
}

export async function runDemo(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  out.heading("sdax: structured, declarative, parallel async execution");
  out.note(
    "Each line: time since the run began, the task.phase that printed it, its message.",
    "dim",
  );
  io.log("");
  await levelsTour(io);
  await cancellationTour(io);
  await graphTour(io);
  await timeoutRetryTour(io);
  await phaseRunnerTour(io);
  await timelineTour(io);
  out.heading("Next: README.md and docs/getting-started.md; `npm test` runs the test suite.");
}

if (import.meta.filename === process.argv[1]) await runDemo(consoleIO());
