import type { TaskFn } from "../functions/task-function.js";
import { withFn } from "../functions/task-function.js";
import { type AsyncTaskProcessor, mapProcessorFunctions } from "../processor.js";
import { type Fault, InjectedFaultError, placementKey } from "./fault.js";
import type { RunWatch } from "./watch.js";

/**
 * The user's workflow with `faults` injected: the same tasks, graph and options (timeouts,
 * retries, abandonment), each function wrapped so that `watch` sees its body run and a fault
 * placed on it fires on every attempt. postExecute bodies always run as written.
 */
export function injectFaults<T>(
  processor: AsyncTaskProcessor<T>,
  faults: readonly Fault[],
  watch: RunWatch,
): AsyncTaskProcessor<T> {
  const placed = new Map(faults.map((f) => [placementKey(f.task, f.phase), f]));
  return mapProcessorFunctions(processor, (fn, task, phase) => {
    const fault = phase === "postExecute" ? undefined : placed.get(placementKey(task, phase));
    return withFn(fn, faulty(fn.fn, fault, `${phase} of "${task}"`, watch));
  });
}

function faulty<T>(
  body: TaskFn<T>,
  fault: Fault | undefined,
  label: string,
  watch: RunWatch,
): TaskFn<T> {
  return async (ctx, scope) => {
    if (fault !== undefined) {
      watch.fire(fault);
      if (fault.kind === "failAtStart") throw new InjectedFaultError(fault);
      if (fault.kind === "hang") return hangUntilAborted(scope.signal);
    }
    const value = await watch.track(label, () => body(ctx, scope));
    if (fault?.kind === "failAfterBody") throw new InjectedFaultError(fault);
    return value;
  };
}

/** Settles only when `signal` aborts, rejecting with its reason: a cancelled function. */
function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
