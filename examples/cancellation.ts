/**
 * A preExecute fails on level 2 of 3: its running sibling is cancelled through its
 * `scope.signal`, level 3 never starts, no execute runs, and every task whose preExecute
 * started is cleaned up, in reverse level order. postExecute must be idempotent: it may see a
 * half-done preExecute.
 */
import { AsyncTaskProcessor, isSdaxExecutionError, task } from "../src/index.js";
import { type DemoIO, sleep, Timeline } from "./demo-kit.js";
import { printError } from "./levels.js";

export interface JobContext {
  connected?: boolean;
  cacheWarm?: boolean;
}

export class QuotaExceededError extends Error {
  override readonly name = "QuotaExceededError";
}

export function cancellationProcessor(io: DemoIO, out: Timeline) {
  return AsyncTaskProcessor.builder<JobContext>()
    .addTask(
      task("Database", {
        preExecute: async (ctx, scope) => {
          out.say(scope, "Connecting...");
          await sleep(io.clock, 20, scope.signal);
          ctx.connected = true;
          out.say(scope, "Connected.");
        },
        postExecute: (ctx, scope) => {
          out.say(scope, ctx.connected ? "Disconnected." : "Nothing to disconnect.");
        },
      }),
      1,
    )
    .addTask(
      task("Cache", {
        preExecute: async (ctx, scope) => {
          out.say(scope, "Warming the cache (takes 50 ms)...");
          await sleep(io.clock, 50, scope.signal); // passing the signal: stops at once when cancelled
          ctx.cacheWarm = true;
          out.say(scope, "Cache warm.");
        },
        // Idempotent: runs even when preExecute was cancelled halfway.
        postExecute: (ctx, scope) => {
          out.say(
            scope,
            ctx.cacheWarm ? "Cache released." : "Cache was never warmed: nothing to release.",
          );
        },
      }),
      2,
    )
    .addTask(
      task("Quota", {
        preExecute: async (_ctx, scope) => {
          out.say(scope, "Checking the quota...");
          await sleep(io.clock, 10, scope.signal);
          throw new QuotaExceededError("monthly quota exceeded");
        },
      }),
      2,
    )
    .addTask(
      task("Report", {
        preExecute: (_ctx, scope) => out.say(scope, "Opening the report..."),
        execute: (_ctx, scope) => out.say(scope, "Writing the report..."),
        postExecute: (_ctx, scope) => out.say(scope, "Report closed."),
      }),
      3,
    )
    .build();
}

export async function cancellationTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  const processor = cancellationProcessor(io, out);
  out.heading("3. A preExecute fails: siblings are cancelled, cleanup is guaranteed");
  out.note("level 1: Database; level 2: Cache (slow), Quota (fails); level 3: Report");
  out.blank();
  out.restart();
  try {
    await processor.processTasks({}, { clock: io.clock, onEvent: out.events() });
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    out.blank();
    out.note("Report never started (level 3) and no execute ran.");
    out.note("The cancelled Cache is not a failure; only Quota is reported:");
    printError(out, error);
  }
  out.blank();
}
