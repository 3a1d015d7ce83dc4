/**
 * `npm start`: a tour of sdax in six short runs, printing what ran, in order, with the time
 * since each run began. Every part is a module of its own (see the other files here) and takes
 * a `DemoIO`, so test/examples/ runs them on a virtual clock and checks what they print.
 */
import { cancellationTour } from "./cancellation.js";
import { consoleIO, type DemoIO, Timeline } from "./demo-kit.js";
import { graphTour } from "./graph.js";
import { levelsTour } from "./levels.js";
import { phaseRunnerTour } from "./phase-runner.js";
import { timeoutRetryTour } from "./timeout-retry.js";

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
  out.heading("Next: README.md and docs/getting-started.md; `npm test` runs the test suite.");
}

if (import.meta.filename === process.argv[1]) await runDemo(consoleIO());
