/**
 * Timeouts and retries: `taskFunc(fn, options)` bounds each attempt with `timeoutMs` and retries
 * with exponential backoff and jitter. The function passes `scope.signal` to its I/O, so a
 * timed-out attempt stops at once instead of running on in the background.
 */
import { AsyncTaskProcessor, type TaskScope, task, taskFunc } from "../src/index.js";
import { type DemoIO, sleep, Timeline } from "./demo-kit.js";

export interface QuoteContext {
  quote?: number;
}

export function quoteProcessor(io: DemoIO, out: Timeline) {
  // The quote service hangs on the first call and answers in 20 ms on the next.
  const askQuoteService = async (ctx: QuoteContext, scope: TaskScope) => {
    out.say(scope, `Attempt ${scope.attempt}: asking the quote service...`);
    await sleep(io.clock, scope.attempt === 1 ? 10_000 : 20, scope.signal);
    ctx.quote = 42.5;
    out.say(scope, `Attempt ${scope.attempt}: quote is ${ctx.quote}.`);
  };

  return AsyncTaskProcessor.builder<QuoteContext>()
    .addTask(
      task("Quote", {
        execute: taskFunc(askQuoteService, {
          timeoutMs: 50, // per attempt
          retries: 2, // up to 3 attempts
          initialDelayMs: 20, // then 40, 80, ... times a jitter factor in [0.5, 1)
        }),
      }),
      1,
    )
    .build();
}

export async function timeoutRetryTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  const processor = quoteProcessor(io, out);
  out.heading("5. Timeouts and retries");
  out.note("Quote.execute: taskFunc(fn, { timeoutMs: 50, retries: 2, initialDelayMs: 20 })");
  out.blank();
  out.restart();
  const report = await processor.processTasks(
    {},
    { clock: io.clock, random: io.random, onEvent: out.events() },
  );
  out.blank();
  for (const r of report.retried) {
    out.note(
      `✔ Succeeded; report.retried: ${r.task}.${r.phase} took ${r.attempts} attempts.`,
      "green",
    );
  }
  out.blank();
}
