import { nativeThen } from "../functions/native-then.js";
import type { TaskFn } from "../functions/task-function.js";
import { withFn } from "../functions/task-function.js";
import { type AsyncTaskProcessor, mapProcessorFunctions } from "../processor.js";
import { type Fault, InjectedFaultError, placementKey } from "./fault.js";
import type { RunWatch } from "./watch.js";

/**
 * The user's workflow with `faults` injected: the same tasks, graph and options (timeouts,
 * retries, abandonment), each function a fault is placed on wrapped so that the fault fires
 * on every attempt (and `watch` hears of it). Every other function runs as written.
 */
export function injectFaults<T>(
  processor: AsyncTaskProcessor<T>,
  faults: readonly Fault[],
  watch: RunWatch,
): AsyncTaskProcessor<T> {
  const placed = new Map(faults.map((f) => [placementKey(f.task, f.phase), f]));
  return mapProcessorFunctions(processor, (fn, task, phase) => {
    const fault = phase === "postExecute" ? undefined : placed.get(placementKey(task, phase));
    return fault === undefined ? fn : withFn(fn, faulty(fn.fn, fault, watch));
  });
}

/**
 * The user's function with `fault` around it, on every attempt: `failAtStart` throws before
 * the body, `hang` waits for the signal instead of the body, and `failAfterBody` runs the
 * body, then fails in the same turn as the body's own result: at once for a synchronous one,
 * once it settles for a promise.
 */
function faulty<T>(body: TaskFn<T>, fault: Fault, watch: RunWatch): TaskFn<T> {
  return (ctx, scope) => {
    watch.fire(fault);
    if (fault.kind === "failAtStart") throw new InjectedFaultError(fault);
    if (fault.kind === "hang") return hangUntilAborted(scope.signal);
    const result = body(ctx, scope);
    // A thenable's `then` getter may throw: that is the function's own synchronous failure,
    // as the engine would see it.
    const promise =
      result instanceof Promise ? result : isThenable(result) ? Promise.resolve(result) : undefined;
    if (promise === undefined) throw new InjectedFaultError(fault);
    return nativeThen.call(promise, () => {
      throw new InjectedFaultError(fault);
    });
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Settles only when `signal` aborts, rejecting with its reason: a cancelled function. */
function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
