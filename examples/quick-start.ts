// The README's Quick Start, verbatim (test/examples/quick-start.test.ts checks they match).
// Run it with `npx tsx examples/quick-start.ts`.
// #region quick-start
import { setTimeout as sleep } from "node:timers/promises";
import { AsyncTaskProcessor, isSdaxExecutionError, task } from "../src/index.js";

// 1. The context: one object per run, shared by that run's tasks.
interface TaskContext {
  userId?: number;
  featureFlags?: Record<string, boolean>;
}

// 2. Task functions: (ctx, scope) => unknown, sync or async.
async function checkAuth(ctx: TaskContext) {
  console.log("Level 1: Checking authentication...");
  await sleep(100);
  ctx.userId = 123;
  console.log("Auth successful.");
}

async function loadFeatureFlags(ctx: TaskContext) {
  console.log("Level 1: Loading feature flags...");
  await sleep(200);
  ctx.featureFlags = { newApi: true };
  console.log("Flags loaded.");
}

async function fetchUserData(ctx: TaskContext) {
  console.log("Level 2: Fetching user data...");
  if (!ctx.userId) throw new Error("Auth failed, cannot fetch user data.");
  await sleep(100);
  console.log("User data fetched.");
}

async function closeDbConnection(_ctx: TaskContext) {
  console.log("Tearing down db connection...");
  await sleep(50);
  console.log("Connection closed.");
}

// 3. Build an immutable processor once; reuse it for any number of concurrent runs.
const processor = AsyncTaskProcessor.builder<TaskContext>()
  .addTask(task("Authentication", { preExecute: checkAuth, postExecute: closeDbConnection }), 1)
  .addTask(task("FeatureFlags", { preExecute: loadFeatureFlags }), 1)
  .addTask(task("UserData", { execute: fetchUserData }), 2)
  .build();

// 4. Run it with a fresh context.
export async function main(): Promise<void> {
  const ctx: TaskContext = {};
  try {
    await processor.processTasks(ctx);
    console.log("\nWorkflow completed successfully!");
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    console.log(`\nWorkflow failed: ${error.message}`);
  }
}
// #endregion quick-start

// Run main() only when this file is the script, not when a test imports it.
if (import.meta.filename === process.argv[1]) await main();
