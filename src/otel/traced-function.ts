import { context } from "@opentelemetry/api";
import { type TaskFn, type TaskFunction, withFn } from "../functions/task-function.js";
import type { TaskScope } from "../functions/task-scope.js";
import { takeStarting } from "./handshake.js";
import type { PhaseSlot } from "./shape.js";

/**
 * The same task function (same options), called inside its attempt's span: `context.with`
 * makes that span active while the function runs, so the spans the user's own code starts
 * (an HTTP or database client's) are its children. Like the engine, it calls the function
 * with no `this`.
 */
export function tracedFunction<T>(fn: TaskFunction<T>, slot: PhaseSlot): TaskFunction<T> {
  const inner = fn.fn;
  return withFn(fn, (ctx, scope) => {
    const run = takeStarting();
    // Only when the function is called other than by a traced run: nothing to trace it in.
    if (run === undefined) return inner(ctx, scope);
    return context.with(run.begin(slot, scope), callWithoutThis, undefined, inner, ctx, scope);
  });
}

/** Context managers differ in the `this` they pass (`null` for some): this wrapper passes none. */
function callWithoutThis<T>(fn: TaskFn<T>, ctx: T, scope: TaskScope): unknown {
  return fn(ctx, scope);
}
