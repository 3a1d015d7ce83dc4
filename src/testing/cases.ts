import type { AsyncTaskProcessor } from "../processor.js";
import { FAULT_KINDS, type Fault, type FaultPhase } from "./fault.js";
import { randomIndex } from "./random.js";

/** A (task, phase) a fault can be placed on: a preExecute or an execute the task has. */
export interface Placement {
  readonly task: string;
  readonly phase: FaultPhase;
}

/** Every placement of a processor: tasks in the order they were added, preExecute first. */
export function placementsOf<T>(processor: AsyncTaskProcessor<T>): Placement[] {
  const placements: Placement[] = [];
  for (const t of processor.describe()) {
    for (const phase of ["preExecute", "execute"] as const) {
      if (t.phases.includes(phase)) placements.push({ task: t.name, phase });
    }
  }
  return placements;
}

/** The fault sets one exploration runs, in order, and whether they are all there are. */
export interface CasePlan {
  /** The no-fault run first, then single faults, then pairs. */
  readonly cases: readonly (readonly Fault[])[];
  /** True when every single fault and every pair is among `cases`. */
  readonly exhaustive: boolean;
}

/** How many single faults and pairs a workflow with `placements` eligible phases has. */
export function spaceSize(placements: number): { singles: number; pairs: number } {
  return { singles: FAULT_KINDS.length * placements, pairs: pairTotal(placements) };
}

/**
 * Chooses the cases within a budget of `runs`: the no-fault run, then every single fault, then
 * every pair on two different placements, when they all fit; otherwise as many as fit, drawn
 * at random (without repeats) from `random`: singles before pairs.
 */
export function planCases(
  placements: readonly Placement[],
  runs: number,
  random: () => number,
): CasePlan {
  const singles = allSingles(placements);
  const pairCount = pairTotal(placements.length);
  const cases: (readonly Fault[])[] = [[]];
  if (1 + singles.length + pairCount <= runs) {
    cases.push(...singles.map((f) => [f]), ...allPairs(placements));
    return { cases, exhaustive: true };
  }
  const singleRoom = Math.min(singles.length, runs - 1);
  for (const i of sampleIndices(singles.length, singleRoom, random)) cases.push([singles[i]!]);
  cases.push(...samplePairs(placements, runs - cases.length, random));
  return { cases, exhaustive: false };
}

function pairTotal(n: number): number {
  return (FAULT_KINDS.length * FAULT_KINDS.length * n * (n - 1)) / 2;
}

function fault(p: Placement, kind: Fault["kind"]): Fault {
  return { task: p.task, phase: p.phase, kind };
}

function allSingles(placements: readonly Placement[]): Fault[] {
  return placements.flatMap((p) => FAULT_KINDS.map((kind) => fault(p, kind)));
}

function allPairs(placements: readonly Placement[]): Fault[][] {
  const pairs: Fault[][] = [];
  for (let i = 0; i < placements.length; i++) {
    for (let j = i + 1; j < placements.length; j++) {
      for (const a of FAULT_KINDS) {
        for (const b of FAULT_KINDS)
          pairs.push([fault(placements[i]!, a), fault(placements[j]!, b)]);
      }
    }
  }
  return pairs;
}

/** `count` distinct indices of [0, n), in the order drawn (a partial Fisher-Yates shuffle). */
function sampleIndices(n: number, count: number, random: () => number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    const pick = k + randomIndex(random, n - k);
    [pool[k], pool[pick]] = [pool[pick]!, pool[k]!];
  }
  return pool.slice(0, count);
}

/**
 * `count` distinct pairs drawn at random. Called only when the pairs do not all fit, so fewer
 * are wanted than exist and drawing again on a repeat ends.
 */
function samplePairs(
  placements: readonly Placement[],
  count: number,
  random: () => number,
): Fault[][] {
  const n = placements.length;
  const kinds = FAULT_KINDS.length;
  const wanted = Math.min(count, pairTotal(n));
  const seen = new Set<number>();
  const pairs: Fault[][] = [];
  while (pairs.length < wanted) {
    let i = randomIndex(random, n);
    let j = randomIndex(random, n - 1);
    if (j >= i) j++;
    let a = randomIndex(random, kinds);
    let b = randomIndex(random, kinds);
    if (j < i) [i, j, a, b] = [j, i, b, a];
    const key = ((i * n + j) * kinds + a) * kinds + b;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([fault(placements[i]!, FAULT_KINDS[a]!), fault(placements[j]!, FAULT_KINDS[b]!)]);
  }
  return pairs;
}
