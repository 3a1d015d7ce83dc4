import { IllegalTransitionError } from "./illegal-transition-error.js";

/**
 * A transition table compiled to dense numeric form for the engine's hot path: states and
 * events become small integers and `next` is one array read. The string table stays the
 * source of truth (it is what the spec shows and tests compare); this is the same data.
 */
export interface CompiledMachine<S extends string, E extends string> {
  readonly name: "task" | "run" | "attempt";
  /** State names by code. */
  readonly states: readonly S[];
  /** Event names by code. */
  readonly events: readonly E[];
  /** State codes by name. */
  readonly state: Readonly<Record<S, number>>;
  /** Event codes by name. */
  readonly event: Readonly<Record<E, number>>;
  /** The code of the state after `event` in `from`, or -1 when the table has no such row. */
  next(from: number, event: number): number;
  /** The error for a refused transition (callers add the subject, off the hot path). */
  illegal(from: number, event: number, subject?: string): IllegalTransitionError;
}

/** Compiles a `table[from][event] = to` transition table. */
export function compileMachine<S extends string, E extends string>(
  name: "task" | "run" | "attempt",
  table: { readonly [K in S]: { readonly [V in E]?: S } },
): CompiledMachine<S, E> {
  const states = Object.keys(table) as S[];
  const eventSet = new Set<E>();
  for (const s of states) for (const e of Object.keys(table[s]) as E[]) eventSet.add(e);
  const events = [...eventSet];
  const state = Object.fromEntries(states.map((s, i) => [s, i])) as Record<S, number>;
  const event = Object.fromEntries(events.map((e, i) => [e, i])) as Record<E, number>;
  const width = events.length;
  // to + 1, so that 0 means "no such row"
  const dense = new Uint8Array(states.length * width);
  states.forEach((from, f) => {
    for (const [e, to] of Object.entries(table[from]) as [E, S][]) {
      dense[f * width + event[e]] = state[to] + 1;
    }
  });
  return Object.freeze({
    name,
    states: Object.freeze(states),
    events: Object.freeze(events),
    state: Object.freeze(state),
    event: Object.freeze(event),
    next(from: number, e: number): number {
      return dense[from * width + e]! - 1;
    },
    illegal(from: number, e: number, subject?: string): IllegalTransitionError {
      return new IllegalTransitionError(name, states[from]!, events[e]!, subject);
    },
  });
}
