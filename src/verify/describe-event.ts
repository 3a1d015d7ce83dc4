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

/** Task names for messages: `"a", "b"`, or `(none)`. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return "(none)";
  return names.map(quoted).join(", ");
}
