/**
 * Phase by phase: `processor.open(ctx)` returns a runner. Answer the request after execute, then
 * clean up; `await using` closes the runner (running whatever cleanup is due) and throws the
 * run's SdaxExecutionError if anything failed.
 */
import { AsyncTaskProcessor, isSdaxExecutionError, task } from "../src/index.js";
import { type DemoIO, Timeline } from "./demo-kit.js";
import { printError } from "./levels.js";

export interface HandlerContext {
  readonly userId: number;
  connection?: string;
  body?: string;
}

const USERS: ReadonlySet<number> = new Set([7]);

export function handlerProcessor(out: Timeline) {
  return AsyncTaskProcessor.builder<HandlerContext>()
    .addTask(
      task("Connection", {
        preExecute: (ctx, scope) => {
          ctx.connection = `conn-${ctx.userId}`;
          out.say(scope, `Opened ${ctx.connection}.`);
        },
        postExecute: (ctx, scope) => out.say(scope, `Closed ${ctx.connection}.`),
      }),
      1,
    )
    .addTask(
      task("Page", {
        preExecute: (ctx, scope) => {
          if (!USERS.has(ctx.userId)) throw new RangeError(`no such user: ${ctx.userId}`);
          out.say(scope, "User checked.");
        },
        execute: (ctx, scope) => {
          ctx.body = `<h1>Hello, user ${ctx.userId}</h1>`;
          out.say(scope, "Page rendered.");
        },
      }),
      2,
    )
    .build();
}

/** A request handler: it responds between execute and postExecute. */
export async function handle(
  processor: ReturnType<typeof handlerProcessor>,
  out: Timeline,
  userId: number,
): Promise<void> {
  const ctx: HandlerContext = { userId };
  await using runner = processor.open(ctx, { onEvent: out.events() });
  await runner.runNext(); // preExecute
  if (runner.hasFailures()) {
    out.say("handler", "Responding 400; cleanup follows.", "red");
    return; // leaving the block closes the runner: postExecute runs, then the error is thrown
  }
  await runner.runNext(); // execute
  out.say("handler", `Responding 200: ${ctx.body}`, "green");
} // postExecute runs here, after the response

export async function phaseRunnerTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  const processor = handlerProcessor(out);
  out.heading("6. Phase by phase: open() and await using");
  out.note("A request handler runs preExecute, then execute, responds, and only then cleans up.");
  out.blank();
  out.restart();
  await handle(processor, out, 7);
  out.blank();
  out.restart();
  try {
    await handle(processor, out, 99);
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    out.blank();
    out.note("`await using` closed the runner, then threw:");
    printError(out, error);
  }
  out.blank();
}
