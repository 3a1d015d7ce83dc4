/**
 * Graph mode: each task names what it depends on, so a task starts as soon as its own
 * dependencies are ready, not when a whole level is. `join()` is a named synchronisation point.
 */
import { AsyncTaskProcessor, join, type TaskScope, task } from "../src/index.js";
import { type DemoIO, sleep, Timeline } from "./demo-kit.js";

export interface PageContext {
  db?: { readonly open: boolean };
  orders?: number;
}

export function graphProcessor(io: DemoIO, out: Timeline) {
  const step =
    (ms: number, before: string, after: string) => async (_ctx: PageContext, scope: TaskScope) => {
      out.say(scope, before);
      await sleep(io.clock, ms, scope.signal);
      out.say(scope, after);
    };

  return (
    AsyncTaskProcessor.graphBuilder<PageContext>()
      // Added in any order: dependencies are names.
      .addTask(
        task("orders", {
          preExecute: step(10, "Preparing the orders query...", "Query prepared."),
          execute: async (ctx, scope) => {
            out.say(scope, "Loading orders...");
            await sleep(io.clock, 20, scope.signal);
            ctx.orders = 3;
            out.say(scope, `${ctx.orders} orders loaded.`);
          },
          postExecute: (_ctx, scope) => out.say(scope, "Cursor closed."),
        }),
        ["db"],
      )
      .addTask(
        task("db", {
          preExecute: async (ctx, scope) => {
            out.say(scope, "Connecting...");
            await sleep(io.clock, 20, scope.signal);
            ctx.db = { open: true };
            out.say(scope, "Connected.");
          },
          postExecute: (ctx, scope) => {
            if (ctx.db?.open) out.say(scope, "Disconnected.");
          },
        }),
      )
      .addTask(task("auth", { preExecute: step(40, "Checking the token...", "Token valid.") }))
      .addTask(join("ready"), ["db", "auth"])
      .addTask(
        task("profile", { execute: step(10, "Rendering the profile...", "Profile rendered.") }),
        ["ready"],
      )
      .build()
  );
}

export async function graphTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  const processor = graphProcessor(io, out);
  out.heading("4. Graph mode: tasks start as soon as their own dependencies are ready");
  out.note("db, auth: no dependencies; orders depends on db; ready = join(db, auth);");
  out.note("profile depends on ready. orders' preExecute does not wait for auth.");
  out.blank();
  out.restart();
  await processor.processTasks({}, { clock: io.clock });
  out.blank();
  out.note("✔ Every execute started together once every preExecute was done;", "green");
  out.note("  orders cleaned up before db, the task it depends on.", "green");
  out.blank();
}
