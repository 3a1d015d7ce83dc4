/**
 * Level mode, as in the Python sdax README's Quick Start: one processor, built once, run twice. The first run
 * succeeds; in the second the level-2 task fails, and cleanup still runs.
 */
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type SdaxExecutionError,
  type TaskScope,
  task,
} from "../src/index.js";
import { type DemoIO, sleep, Timeline } from "./demo-kit.js";

/** One run's state: the tasks read and write it. */
export interface RequestContext {
  readonly session: string;
  userId?: number | undefined;
  featureFlags?: Record<string, boolean>;
}

const SESSIONS: Readonly<Record<string, number>> = { "s-42": 123 };

/** The Quick Start workflow, printing on `out` and sleeping on `io.clock`. */
export function quickStartProcessor(io: DemoIO, out: Timeline) {
  const checkAuth = async (ctx: RequestContext, scope: TaskScope) => {
    out.say(scope, "Checking authentication...");
    await sleep(io.clock, 30, scope.signal);
    ctx.userId = SESSIONS[ctx.session];
    out.say(scope, ctx.userId === undefined ? "No user for this session." : "Auth successful.");
  };
  const loadFeatureFlags = async (ctx: RequestContext, scope: TaskScope) => {
    out.say(scope, "Loading feature flags...");
    await sleep(io.clock, 60, scope.signal);
    ctx.featureFlags = { newApi: true };
    out.say(scope, "Flags loaded.");
  };
  const fetchUserData = async (ctx: RequestContext, scope: TaskScope) => {
    out.say(scope, "Fetching user data...");
    if (!ctx.userId) throw new Error("Auth failed, cannot fetch user data.");
    await sleep(io.clock, 30, scope.signal);
    out.say(scope, `User ${ctx.userId} fetched.`);
  };
  const closeDbConnection = async (_ctx: RequestContext, scope: TaskScope) => {
    out.say(scope, "Tearing down db connection...");
    await sleep(io.clock, 15);
    out.say(scope, "Connection closed.");
  };

  return AsyncTaskProcessor.builder<RequestContext>()
    .addTask(task("Authentication", { preExecute: checkAuth, postExecute: closeDbConnection }), 1)
    .addTask(task("FeatureFlags", { preExecute: loadFeatureFlags }), 1)
    .addTask(task("UserData", { execute: fetchUserData }), 2)
    .build();
}

/** Prints an SdaxExecutionError the way a first-time user wants to read it. */
export function printError(out: Timeline, error: SdaxExecutionError): void {
  out.note(`${error.name}: ${error.message}`, "red");
  out.note(`error.failures (${error.failures.length}):`);
  for (const f of error.failures) {
    const thrown = f.error instanceof Error ? `${f.error.name}: ${f.error.message}` : f.error;
    const tries = `${f.attempts} attempt${f.attempts === 1 ? "" : "s"}`;
    out.note(`  - task "${f.task}", ${f.phase}, ${tries}: ${String(thrown)}`);
  }
  if (error.cause !== undefined) out.note(`error.cause: ${String(error.cause)}`);
}

/** Runs the Quick Start workflow twice: once well, once with the level-2 task failing. */
export async function levelsTour(io: DemoIO): Promise<void> {
  const out = new Timeline(io);
  const processor = quickStartProcessor(io, out);

  out.heading("1. Quick Start: three tasks on two levels");
  out.note("level 1: Authentication (preExecute + postExecute), FeatureFlags (preExecute)");
  out.note("level 2: UserData (execute)");
  out.blank();
  out.restart();
  const report = await processor.processTasks({ session: "s-42" }, { clock: io.clock });
  out.blank();
  out.note(
    `✔ Workflow completed successfully: ${report.tasks} tasks in ${Math.round(report.durationMs)} ms.`,
    "green",
  );
  out.blank();

  out.heading("2. The same processor, run again: this time the level-2 task fails");
  out.note("The session is unknown, so UserData.execute throws. Cleanup still runs.");
  out.blank();
  out.restart();
  try {
    await processor.processTasks(
      { session: "s-expired" },
      { clock: io.clock, onEvent: out.events() },
    );
    out.note("unexpected: the run succeeded");
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    out.blank();
    out.note("✘ The run rejected, after every postExecute ended:", "red");
    printError(out, error);
  }
  out.blank();
}
