import type { Attributes, SpanOptions, Tracer } from "@opentelemetry/api";
import type { PhaseName } from "../functions/phase-name.js";
import { SDAX_ATTRIBUTES } from "./attributes.js";

/** A phase's place in a run's span table: `task index * 3 + PHASE_INDEX[phase]`. */
export const PHASE_INDEX: { readonly [P in PhaseName]: number } = Object.freeze({
  preExecute: 0,
  execute: 1,
  postExecute: 2,
});

/**
 * One phase of one task, as the tracing sees it: made once per processor, so starting its span
 * builds no name and, for a first attempt, no attributes.
 */
export interface PhaseSlot {
  /** Its place in a run's span table. */
  readonly index: number;
  /** The span's name: `<task> <phase>`. */
  readonly name: string;
  /** The span's attributes for attempt 1. */
  readonly attributes: Attributes;
  /** The span's options for attempt 1 (a retry builds its own, with its attempt number). */
  readonly first: SpanOptions;
}

/** What every run of one traced processor shares: made once, read only. */
export interface TraceShape {
  readonly tracer: Tracer;
  /** The run span's name. */
  readonly runName: string;
  /** The run span's options. */
  readonly runOptions: SpanOptions;
  /** Each task's index, by name. */
  readonly taskIndex: ReadonlyMap<string, number>;
  /** Each phase's slot, by index (every task has three, used or not). */
  readonly slots: readonly PhaseSlot[];
}

/** The shape of a processor whose tasks are `taskNames`, in the processor's order. */
export function traceShape(
  tracer: Tracer,
  runName: string,
  taskNames: readonly string[],
): TraceShape {
  const taskIndex = new Map<string, number>();
  const slots: PhaseSlot[] = [];
  for (const [i, task] of taskNames.entries()) {
    taskIndex.set(task, i);
    for (const phase of ["preExecute", "execute", "postExecute"] as const) {
      const attributes = Object.freeze({
        [SDAX_ATTRIBUTES.task]: task,
        [SDAX_ATTRIBUTES.phase]: phase,
        [SDAX_ATTRIBUTES.attempt]: 1,
      });
      slots.push(
        Object.freeze({
          index: slots.length,
          name: `${task} ${phase}`,
          attributes,
          first: Object.freeze({ attributes }),
        }),
      );
    }
  }
  return Object.freeze({
    tracer,
    runName,
    runOptions: Object.freeze({
      attributes: Object.freeze({ [SDAX_ATTRIBUTES.tasks]: taskNames.length }),
    }),
    taskIndex,
    slots: Object.freeze(slots),
  });
}
