import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";

/** A short description of an event for messages. */
export function describe(e: LifecycleEvent): string {
  switch (e.type) {
    case "run":
      return `seq ${e.seq}: run ${e.from} --${e.event}--> ${e.to}`;
    case "task":
      return `seq ${e.seq}: task ${quoted(e.task)} ${e.from} --${e.event}${e.phase === undefined ? "" : ` ${e.phase}`}--> ${e.to}`;
    case "attempt":
      return `seq ${e.seq}: attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} ${e.from} --${e.event}--> ${e.to}`;
    case "retry":
      return `seq ${e.seq}: retry of ${quoted(e.task)} ${e.phase} after attempt ${e.attempt} in ${e.delayMs} ms`;
    default:
      return `seq ${(e as { seq?: unknown }).seq}: unknown event`;
  }
}

/** Task names for messages: `"a", "b"`, or `(none)`; the first 8 of a longer list. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return "(none)";
  return listFirst(names.slice(0, LISTED).map(quoted), names.length);
}

/** How many items a message lists: a level of 10,000 tasks must not make one of 100 KB. */
const LISTED = 8;

/**
 * The first items of a list of `total` for a message, joined, with how many there are in all
 * when some are left out.
 */
export function listFirst(items: readonly string[], total = items.length): string {
  const shown = items.slice(0, LISTED).join(", ");
  return total > LISTED ? `${shown}, ... (${total} in all)` : shown;
}
