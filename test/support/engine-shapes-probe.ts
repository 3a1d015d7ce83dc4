/**
 * Run by engine-shapes.test.ts as `node --allow-natives-syntax --import tsx <this file>`: runs
 * workflows that store every kind of value the engine's fields can hold (integer and fractional
 * times, limits, deadlines, signals, listeners, retries with jittered delays, cancellation,
 * abandonment, the phase runner), then prints, as one JSON line, whether each run and attempt
 * (light, promoted or full) still has the same V8 map as the engine's shape anchor.
 */

import type { Attempt } from "../../src/functions/attempt.js";
import { attemptOf } from "../../src/functions/attempt-scope.js";
import { fullAttemptOf, hostOfLightScope, LightScope } from "../../src/functions/light-scope.js";
import {
  AsyncTaskProcessor,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { keepEngineShapes } from "../../src/scheduler/shape-anchor.js";

const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (
  a: unknown,
  b: unknown,
) => boolean;

type Ctx = { readonly label: string };
const scopes: TaskScope[] = [];
const keep = (_ctx: Ctx, scope: TaskScope): void => {
  scopes.push(scope);
};
// Reading the signal hands a light attempt to a full one, which the scope then keeps.
const keepReading = (_ctx: Ctx, scope: TaskScope): void => {
  scopes.push(scope);
  void scope.signal;
};
let failedOnce = false;
const flaky = taskFunc<Ctx>(
  (_ctx, scope) => {
    scopes.push(scope);
    if (!failedOnce) {
      failedOnce = true;
      throw new RetryableError("once");
    }
  },
  { retries: 2, initialDelayMs: 1.5, backoffFactor: 1.7 },
);
const hangs = taskFunc<Ctx>(
  (_ctx, scope) => {
    scopes.push(scope);
    void scope.signal;
    return new Promise(() => {});
  },
  { timeoutMs: 5, abandonAfterMs: 1 },
);

const bare = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("a", { preExecute: keep, execute: keepReading, postExecute: keep }), 1)
  .addTask(task("b", { preExecute: async (ctx, scope) => keep(ctx, scope) }), 2)
  .build();
await bare.processTasks({ label: "bare" });
await bare.processTasks({ label: "limited" }, { maxConcurrency: 1, onEvent: () => {} });
await bare.processTasks(
  { label: "deadline" },
  { timeoutMs: 10_000, signal: new AbortController().signal },
);
const limited = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("a", { preExecute: keep }), 1)
  .build({ maxConcurrency: 16 });
await limited.processTasks({ label: "processor limit" });

const clock = new VirtualClock();
const retrying = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("flaky", { preExecute: flaky, postExecute: keep }), 1)
  .build();
const retried = retrying.processTasks({ label: "retry" }, { clock, random: () => 0.37 });
await clock.runAll();
await retried;

const failing = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("hangs", { execute: hangs, postExecute: keep }), 1)
  .build();
await failing.processTasks({ label: "timeout" }).catch(() => {});

const runner = bare.open({ label: "runner" });
await runner.runNext();
await runner.runNext();
await runner.runNext();
await runner.close();

const { run, attempt, lightScope, events } = keepEngineShapes()!;
// A scope is a light attempt's (with the full attempt that took it over, if one did) or a
// full attempt's (a retry).
const records = scopes.flatMap((s): (LightScope | Attempt)[] => {
  if (!(s instanceof LightScope)) return [attemptOf(s)!];
  const full = fullAttemptOf(s);
  return full === undefined ? [s] : [s, full];
});
const anchorOf = (r: unknown) => (r instanceof LightScope ? lightScope : attempt);
const hosts = records.map((r) => (r instanceof LightScope ? hostOfLightScope(r) : r.host));
console.log(
  JSON.stringify({
    anchorState: run.state,
    anchorFailures: run.failures.length,
    anchorEvents: events.length,
    lightAttempts: records.filter((r) => r instanceof LightScope).length,
    promoted: records.filter((r) => r instanceof LightScope && fullAttemptOf(r) !== undefined)
      .length,
    attempts: records.length,
    attemptsSharingTheMap: records.filter((r) => haveSameMap(r, anchorOf(r))).length,
    runs: new Set(hosts).size,
    runsSharingTheMap: new Set(hosts.filter((h) => haveSameMap(h, run))).size,
  }),
);
