import { context } from "@opentelemetry/api";
import { type TaskFunction, withFn } from "../functions/task-function.js";
import { takeStarting } from "./handshake.js";
import type { PhaseSlot } from "./shape.js";

/**
 * The same task function (same options), called inside its attempt's span: `context.with`
 * makes that span active while the function runs, so the spans the user's own code starts
 * (an HTTP or database client's) are its children. The function is called with the `this`
 * the engine would have given it.
 */
export function tracedFunction<T>(fn: TaskFunction<T>, slot: PhaseSlot): TaskFunction<T> {
  const inner = fn.fn;
  return withFn(fn, (ctx, scope) => {
    const run = takeStarting();
    // Only when the function is called other than by a traced run: nothing to trace it in.
    if (run === undefined) return inner.call(fn, ctx, scope);
    return context.with(run.begin(slot, scope), inner, fn, ctx, scope);
  });
}
