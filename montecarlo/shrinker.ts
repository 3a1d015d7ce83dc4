/**
 * Shrinks a failing case: greedily removes runs, tasks, phases, injected faults, attempts and
 * options (in chunks, halving down to one at a time, the way delta debugging does) while a
 * deterministic re-run still shows a violation of the same invariant. Real timers are swapped
 * for a virtual clock first when the violation survives it, so the result replays exactly.
 */
import type { Violation } from "./checks/index.js";
import { eventName } from "./execute-run.js";
import type { Case, RunSpec } from "./model.js";
import { PHASES } from "./model.js";
import { runCase } from "./run-case.js";
import { attemptOfKey, BEGIN, slotOfKey } from "./run-context.js";
import { REDUCERS, withoutAbort } from "./shrink-steps.js";

export interface ShrinkResult {
  readonly case: Case;
  /** The violation the smallest case shows; undefined if the original did not fail again. */
  readonly violation: Violation | undefined;
  /** Re-runs tried. */
  readonly tries: number;
  /** Smaller cases accepted (re-runs that still failed). */
  readonly steps: number;
  /** True when the budget ran out before no smaller case was left. */
  readonly exhausted: boolean;
}

export interface ShrinkBudget {
  readonly maxTries: number;
  readonly maxMs: number;
}

/** Whether a case still fails: the violation it shows, or undefined. */
export type CaseTest = (c: Case) => Promise<Violation | undefined>;

/** The test the runner shrinks with: a re-run shows a violation of `invariant`. */
export function violationOf(invariant: string): CaseTest {
  return async (c) =>
    (await runCase(c)).violations.find((v) => v.violation.invariant === invariant)?.violation;
}

export async function shrink(
  original: Case,
  test: CaseTest,
  budget: ShrinkBudget,
): Promise<ShrinkResult> {
  const started = performance.now();
  let tries = 0;
  let steps = 0;
  let exhausted = false;
  let current = original;
  let violation: Violation | undefined;
  const fails = async (c: Case): Promise<boolean> => {
    if (tries >= budget.maxTries || performance.now() - started > budget.maxMs) {
      exhausted = true;
      return false;
    }
    tries++;
    let found: Violation | undefined;
    try {
      found = await test(c);
    } catch {
      return false; // a candidate that cannot be built (cannot happen by construction)
    }
    if (found === undefined) return false;
    violation = found;
    return true;
  };
  if (!(await fails(current))) {
    // Not reproducible (real-timer timing): report the original as it is.
    return { case: original, violation: undefined, tries, steps, exhausted };
  }
  if (current.workflow.realTimers) {
    const virtual = { ...current, workflow: { ...current.workflow, realTimers: false } };
    if (await fails(virtual)) {
      current = virtual;
      steps++;
    }
  }
  // Aborts at the nth event or call move when anything is removed: name what they hit instead.
  if (!exhausted && !current.workflow.realTimers) {
    const pinned = await pinAborts(current);
    if (pinned !== undefined && (await fails(pinned))) {
      current = pinned;
      steps++;
    }
  }
  for (let changed = true; changed && !exhausted; ) {
    changed = false;
    for (const reducer of REDUCERS) {
      const units = reducer.units(current);
      const base = current;
      const kept = await ddmin(units, async (keep) => {
        const candidate = reducer.keep(base, new Set(keep));
        if (!(await fails(candidate))) return false;
        current = candidate;
        steps++;
        return true;
      });
      if (kept.length < units.length) changed = true;
    }
  }
  return { case: current, violation, tries, steps, exhausted };
}

/**
 * The case with every abort at the nth event or call pinned to the event or call it hit in a
 * re-run (dropped if it hit nothing); undefined when there is none to pin.
 */
async function pinAborts(c: Case): Promise<Case | undefined> {
  if (
    !c.runs.some(
      (r) => (r.abort?.at === "event" || r.abort?.at === "call") && r.abort.on === undefined,
    )
  ) {
    return undefined;
  }
  const { records } = await runCase(c);
  const runs = c.runs.map((r, i): RunSpec => {
    const a = r.abort;
    const record = records[i]!;
    if (a?.at === "event" && a.on === undefined) {
      const e = record.ctx.events[a.n - 1];
      if (e === undefined) return withoutAbort(r);
      const on: { type: string; event: string; task?: string; phase?: string; attempt?: number } = {
        type: e.type,
        event: eventName(e),
      };
      if ("task" in e) on.task = e.task;
      if ("phase" in e && e.phase !== undefined) on.phase = e.phase;
      if ("attempt" in e && typeof e.attempt === "number") on.attempt = e.attempt;
      return { ...r, abort: { ...a, on } };
    }
    if (a?.at === "call" && a.on === undefined) {
      let seen = 0;
      const log = record.ctx.log;
      for (let k = 0; k < log.length; k += 3) {
        if (log[k + 2] !== BEGIN) continue;
        if (seen++ !== a.n) continue;
        const key = log[k + 1]!;
        const slot = slotOfKey(key);
        const task = record.ctx.names[Math.floor(slot / 3)]!;
        return {
          ...r,
          abort: { ...a, on: { task, phase: PHASES[slot % 3]!, attempt: attemptOfKey(key) } },
        };
      }
      return withoutAbort(r);
    }
    return r;
  });
  return { ...c, runs };
}

/** Removes chunks of units (halving the chunk size) while `test(kept)` holds. */
async function ddmin(
  units: readonly string[],
  test: (kept: readonly string[]) => Promise<boolean>,
): Promise<readonly string[]> {
  let kept = [...units];
  for (
    let size = Math.ceil(kept.length / 2);
    size >= 1;
    size = size === 1 ? 0 : Math.ceil(size / 2)
  ) {
    for (let i = 0; i < kept.length; ) {
      const candidate = [...kept.slice(0, i), ...kept.slice(i + size)];
      if (await test(candidate)) kept = candidate;
      else i += size;
    }
  }
  return kept;
}
