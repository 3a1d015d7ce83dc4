import { hasBrand } from "../errors/brand.js";
import { quoted } from "../errors/quoted.js";
import type { PhaseName } from "../functions/phase-name.js";

/** The phases a fault can be placed on: postExecute always runs as written. */
export type FaultPhase = "preExecute" | "execute";

/**
 * How an injected fault behaves, on every attempt of its phase:
 *
 * - `"failAtStart"`: the function fails at once; the body never runs.
 * - `"failAfterBody"`: the body runs to the end, then the function fails (what it acquired
 *   is there, and the phase still failed: the partial initialisation cleanup must cope with).
 * - `"hang"`: the body never runs; the function waits until its signal aborts, then settles
 *   as cancelled (or timed out) with the signal's reason.
 */
export type FaultKind = "failAtStart" | "failAfterBody" | "hang";

/** The fault kinds, in the order the explorer tries them. */
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze([
  "failAtStart",
  "failAfterBody",
  "hang",
]);

/** One injected fault: a kind placed on one phase of one task. Plain, JSON-serialisable data. */
export interface Fault {
  /** The task's name. */
  readonly task: string;
  /** Its phase that misbehaves. */
  readonly phase: FaultPhase;
  /** How it misbehaves. */
  readonly kind: FaultKind;
}

const brand = Symbol.for("sdax.InjectedFaultError");

/**
 * The error an injected `failAtStart` or `failAfterBody` fault fails with. It is not
 * retryable under the default `retryOn` (a `retryOn` of yours that retries everything sees it
 * again on every attempt, since a fault fires on every attempt).
 */
export class InjectedFaultError extends Error {
  /** Always `"InjectedFaultError"`. */
  override readonly name = "InjectedFaultError";
  /** The fault that fired. */
  readonly fault: Fault;

  constructor(fault: Fault) {
    super(`injected fault: ${describeFault(fault)}`);
    this.fault = fault;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for an {@link InjectedFaultError}, even one from another copy of the package. */
export function isInjectedFaultError(value: unknown): value is InjectedFaultError {
  return hasBrand(value, brand);
}

/** A fault in words: `preExecute of "db" failing after its body`. */
export function describeFault(fault: Fault): string {
  const where = `${fault.phase} of ${quoted(fault.task)}`;
  switch (fault.kind) {
    case "failAtStart":
      return `${where} failing at its start`;
    case "failAfterBody":
      return `${where} failing after its body`;
    case "hang":
      return `${where} hanging until cancelled`;
  }
}

/** Faults in words, `no fault` for none. */
export function describeFaults(faults: readonly Fault[]): string {
  return faults.length === 0 ? "no fault" : faults.map(describeFault).join(" and ");
}

/**
 * The (task, phase) a fault is placed on, as a map key. JSON, not a separator: a task name may
 * hold any character, so two placements joined by one could make the same key.
 */
export function placementKey(task: string, phase: PhaseName): string {
  return JSON.stringify([phase, task]);
}

/** A fault set as a key: equal sets, equal keys, and different sets, different keys. */
export function faultsKey(faults: readonly Fault[]): string {
  return JSON.stringify(faults.map((f) => JSON.stringify([f.phase, f.task, f.kind])).sort());
}
