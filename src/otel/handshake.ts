import type { RunTracer } from "./run-tracer.js";

/**
 * The run whose attempt is starting. The engine reports an attempt's `start` to the run's
 * listener and calls the attempt's function right after, in the same synchronous step; the
 * listener leaves its run here and the traced function takes it. That is how one wrapped
 * function, shared by every run of a processor, knows which run is calling it.
 */
let starting: RunTracer | undefined;

/** Called by a run's listener on an attempt's `start`, just before the engine calls it. */
export function announceStart(run: RunTracer): void {
  starting = run;
}

/** The run announced by the latest `start`, once: a second call gets `undefined`. */
export function takeStarting(): RunTracer | undefined {
  const run = starting;
  starting = undefined;
  return run;
}
