/**
 * A model trace in the compact form the replay reads: the workflow the model chose, and per
 * step what the environment did, the model's clock, the events the model's engine reported and
 * how many timers it had pending. Made from Quint's ITF output (`fromItf`); plain JSON, so a
 * corpus of traces can be committed and a failing one pasted into a test.
 */

/** A phase function's options in the model; `null`: the task has no such phase. */
export interface PhaseConf {
  readonly timeoutMs: number | null;
  readonly retries: number;
  readonly abandonAfterMs: number | null;
  /**
   * "": returns a promise the trace settles later; "ok": returns `undefined` and "throw"
   * throws, synchronously, in every attempt.
   */
  readonly sync: "" | "ok" | "throw";
}

/** The workflow of one trace: tasks `t0..t{n-1}`, added to the builder in that order. */
export interface TraceWorkflow {
  readonly mode: "levels" | "graph";
  /** Per task: its level (level mode). */
  readonly level: readonly number[];
  /** Per task: the tasks it depends on (graph mode). */
  readonly deps: readonly (readonly number[])[];
  /** The run's clock throws from every `setTimeout` call. */
  readonly clockThrows: boolean;
  /** The run's clock moves on by 1 ms in every `setTimeout` call. */
  readonly clockTicks: boolean;
  /** The run's concurrency limit; `null`: none. */
  readonly maxConcurrency: number | null;
  /** Where the limit is given: the run's own option, or the processor's `build()` default. */
  readonly limitFrom: "run" | "build";
  /** The run's deadline `timeoutMs`; `null`: none. */
  readonly timeoutMs: number | null;
  /** The run is driven by a phase runner (`processor.open`), not `processTasks`. */
  readonly runner: boolean;
  /** Per task: preExecute, execute, postExecute options, `null` where absent. */
  readonly phases: readonly (readonly [PhaseConf | null, PhaseConf | null, PhaseConf | null])[];
}

/** What the environment did in one step. */
export interface TraceAction {
  /**
   * "check": a step of a model test in which nothing happens; "proceed": a phase runner's
   * `runNext()` (`how` "next") or `close()` (`how` "close") at a stop.
   */
  readonly name:
    | "start"
    | "startAborted"
    | "settle"
    | "lateSettle"
    | "fire"
    | "abort"
    | "proceed"
    | "check";
  readonly task: number;
  readonly phase: string;
  readonly attempt: number;
  /** settle: "ok", "fail", "retryable" or "abort"; fire: the timer's kind. */
  readonly how: string;
}

/** One step: the action, then what the model says the engine does in reaction. */
export interface TraceStep {
  readonly action: TraceAction;
  /** The virtual clock's time after the step (timers are due in it). */
  readonly now: number;
  /** The events of the step, in order, as {@link eventKey} writes them. */
  readonly events: readonly string[];
  /** Timers pending after the step. */
  readonly timers: number;
}

/** A failed phase as the model lists it. */
export interface TraceFailure {
  readonly task: number;
  readonly phase: string;
  readonly attempts: number;
  readonly afterCancel: boolean;
}

/** One trace of the model. */
export interface Trace {
  readonly workflow: TraceWorkflow;
  readonly steps: readonly TraceStep[];
  /** The model's run at the end of the trace. */
  readonly final: {
    readonly run: string;
    readonly failures: readonly TraceFailure[];
    readonly aborted: boolean;
  };
}

/** The three phases, in order. */
export const PHASES = ["preExecute", "execute", "postExecute"] as const;

/** The task name of model task `i`. */
export const taskName = (i: number): string => `t${i}`;

/** An event reduced to what the model decides, the same for model and engine events. */
export interface EventFacts {
  readonly kind: string;
  readonly task: string;
  readonly phase: string;
  readonly attempt: number;
  readonly event: string;
  readonly from: string;
  readonly to: string;
  readonly afterCancel: boolean;
  readonly delayMs: number;
  readonly at: number;
  /** A `start` run event's concurrency limit and deadline; `null`: none. */
  readonly maxConcurrency: number | null;
  readonly timeoutMs: number | null;
}

/** One line per event, so two lists of events compare as strings and print readably. */
export function eventKey(e: EventFacts): string {
  switch (e.kind) {
    case "run": {
      const limits =
        e.event === "start"
          ? ` maxConcurrency=${e.maxConcurrency ?? "none"} timeoutMs=${e.timeoutMs ?? "none"}`
          : "";
      return `@${e.at} run ${e.event} ${e.from}->${e.to}${limits}`;
    }
    case "retry":
      return `@${e.at} retry ${e.task} ${e.phase} #${e.attempt} +${e.delayMs}ms`;
    case "attempt":
      return `@${e.at} attempt ${e.task} ${e.phase} #${e.attempt} ${e.event} ${e.from}->${e.to}`;
    default: {
      const attempts = e.event === "succeed" || e.event === "fail" ? ` attempts=${e.attempt}` : "";
      const afterCancel = e.event === "fail" ? ` afterCancel=${e.afterCancel}` : "";
      const phase = e.phase === "" ? "" : ` ${e.phase}`;
      return `@${e.at} task ${e.task}${phase} ${e.event} ${e.from}->${e.to}${attempts}${afterCancel}`;
    }
  }
}
