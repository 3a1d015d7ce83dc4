/**
 * Uncaught exceptions and unhandled rejections while the runner works. The engine promises
 * neither (an abandoned function's late rejection is observed; a listener's own error is the
 * only thing it rethrows, and the runner's listener never throws), so each is a violation.
 *
 * An exception thrown by the engine inside the external signal's abort listener surfaces as
 * uncaught (EventTarget rethrows listener errors on the next tick); when the runner aborts a
 * run synchronously it marks that run, so such an exception is attributed to it.
 */
import { show } from "./hostile.js";
import { isClockFault } from "./quirk-clock.js";
import type { RunCtx } from "./run-context.js";

let marked: RunCtx | undefined;
const unattributed: string[] = [];
let installed = 0;

function describe(error: unknown): string {
  return show(error); // never throws, whatever was thrown
}

function onUncaught(error: unknown): void {
  // A throwing clock's error with no phase left to fail is rethrown so (spec 5.2).
  if (isClockFault(error)) return;
  const message = `uncaught exception: ${describe(error)}`;
  if (marked !== undefined) marked.notes.push({ invariant: "UNCAUGHT", message });
  else unattributed.push(message);
}

function onUnhandled(reason: unknown): void {
  unattributed.push(`unhandled rejection: ${describe(reason)}`);
}

/** Starts capturing (nested calls are counted); returns the function that stops it. */
export function captureUncaught(): () => void {
  if (installed++ === 0) {
    process.on("uncaughtException", onUncaught);
    process.on("unhandledRejection", onUnhandled);
  }
  return () => {
    if (--installed === 0) {
      process.off("uncaughtException", onUncaught);
      process.off("unhandledRejection", onUnhandled);
    }
  };
}

/** Runs `fn` (an abort) for `ctx`, attributing what it makes uncaught to that run. */
export function attributing(ctx: RunCtx, fn: () => void): void {
  marked = ctx;
  try {
    fn();
  } finally {
    // EventTarget queued its rethrow during fn(); this tick callback runs after it.
    process.nextTick(() => {
      if (marked === ctx) marked = undefined;
    });
  }
}

/** Takes the problems no run could be blamed for. */
export function takeUnattributed(): string[] {
  return unattributed.splice(0);
}
