/**
 * A workflow model: plain data describing a processor (its shape: tasks, dependencies, which
 * phases each task has and their options) and, per run, how every function behaves and
 * whether the external signal aborts. Property tests generate models (`arbitraries.ts`), run
 * them (`executor.ts`) and judge the result with checkTrace and the oracle (`oracle.ts`).
 *
 * Everything here is plain JSON, so a failing model prints readably and can be pasted back
 * into a test.
 */

/** The phases, in their short names. */
export const PHASE_KEYS = ["pre", "exec", "post"] as const;
export type PhaseKey = (typeof PHASE_KEYS)[number];

/** The options of one phase function (see spec/task-functions.md section 2). */
export interface PhaseShape {
  /** `null`: no timeout. */
  readonly timeoutMs: number | null;
  readonly retries: number;
  readonly initialDelayMs: number;
  /** Absent: the run's default. */
  readonly abandonAfterMs?: number | null;
}

/** One task: its name, its phases (absent = the task has no such phase). */
export interface TaskShape {
  readonly name: string;
  readonly pre?: PhaseShape;
  readonly exec?: PhaseShape;
  readonly post?: PhaseShape;
}

/** A level workflow: `level[i]` is task i's level. */
export interface LevelShape {
  readonly mode: "levels";
  readonly tasks: readonly TaskShape[];
  readonly level: readonly number[];
}

/** A graph workflow: `deps[i]` are the indices of the tasks task i depends on. */
export interface GraphShape {
  readonly mode: "graph";
  readonly tasks: readonly TaskShape[];
  readonly deps: readonly (readonly number[])[];
  /** The order tasks are added to the builder (a permutation of indices). */
  readonly order: readonly number[];
}

export type WorkflowShape = LevelShape | GraphShape;

/**
 * What a failing function throws: a plain `Error`, or a value that resists description (spec
 * INV-33): a revoked `Proxy`, an `Error` whose `name` or `message` getter throws, an `Error`
 * whose message is a `Symbol`.
 */
export type Thrown = "error" | "revokedProxy" | "badName" | "badMessage" | "symbolMessage";

/** The quirks a run's clock may have (spec/task-functions.md 5.2): none; no handle; 0 ms timers fired from inside `setTimeout`. */
export type ClockQuirk = "plain" | "noHandle" | "syncZero";

/**
 * How one function behaves, in every attempt unless said otherwise. A "tick" is one step of
 * fast-check's scheduler: the order of ticks of different functions (and of virtual timers) is
 * what the scheduler explores.
 */
export type Behaviour =
  /** Returns after `ticks` ticks; 0: returns synchronously. */
  | { readonly kind: "ok"; readonly ticks: number }
  /** Throws synchronously (an `Error` unless `value` says otherwise). */
  | { readonly kind: "throw"; readonly value?: Thrown }
  /** Rejects after `ticks` ticks (>= 0; 0: an already rejected promise, the same turn). */
  | { readonly kind: "reject"; readonly ticks: number; readonly value?: Thrown }
  /**
   * Never settles until its signal aborts; then rejects with the signal's reason, or with an
   * error of its own (`own`: "rollback failed", spec INV-32).
   */
  | { readonly kind: "hang"; readonly own?: boolean }
  /** Ignores its signal: settles `ms` of virtual time after it was called (rejecting if `reject`). */
  | { readonly kind: "slow"; readonly ms: number; readonly reject: boolean }
  /** Attempts 1..failures throw a RetryableError (after `ticks` ticks), later ones return. */
  | { readonly kind: "flaky"; readonly failures: number; readonly ticks: number };

/** The behaviours of one run: `behaviours[task][phase]` for every phase the task has. */
export type RunBehaviours = readonly Partial<Record<PhaseKey, Behaviour>>[];

/**
 * When the external signal aborts: never, before the run starts, at a virtual time, or from
 * inside one of the run's own functions (user code aborting the run mid-step).
 */
export type ExternalAbort =
  | { readonly kind: "none" }
  | { readonly kind: "beforeStart" }
  | { readonly kind: "at"; readonly ms: number; readonly reason?: Thrown }
  /** Aborted synchronously by the first attempt of this function, before it does anything else. */
  | {
      readonly kind: "inside";
      readonly task: number;
      readonly phase: PhaseKey;
      readonly reason?: Thrown;
    };

/** One run of a workflow. */
export interface RunModel {
  readonly behaviours: RunBehaviours;
  readonly abort: ExternalAbort;
  /** `RunOptions.abandonAfterMs`. */
  readonly abandonAfterMs?: number | null;
  /** `RunOptions.maxConcurrency` (absent: the processor's, {@link Scenario.buildLimit}). */
  readonly maxConcurrency?: number;
  /** `RunOptions.timeoutMs`: the run's deadline on the virtual clock (absent: none). */
  readonly timeoutMs?: number;
}

/** A workflow and the runs to make of it (one, or several concurrent ones). */
export interface Scenario {
  readonly shape: WorkflowShape;
  readonly runs: readonly RunModel[];
  /** The quirk of the clock every run is given (absent: plain). */
  readonly clock?: ClockQuirk;
  /** `build({ maxConcurrency })`: the processor's default limit (absent: none). */
  readonly buildLimit?: number;
}

/** The concurrency limit run `run` of `scenario` has (`Infinity`: none). */
export function limitOf(scenario: Scenario, run: RunModel): number {
  return run.maxConcurrency ?? scenario.buildLimit ?? Number.POSITIVE_INFINITY;
}

/**
 * Per task, the tasks it depends on, as the spec defines it: graph mode as declared; level
 * mode, every task of the next lower populated level.
 */
export function dependenciesOf(shape: WorkflowShape): number[][] {
  if (shape.mode === "graph") return shape.deps.map((d) => [...new Set(d)]);
  const levels = [...new Set(shape.level)].sort((a, b) => a - b);
  const members = new Map<number, number[]>();
  shape.level.forEach((l, i) => {
    const list = members.get(l);
    if (list) list.push(i);
    else members.set(l, [i]);
  });
  return shape.level.map((l) => {
    const k = levels.indexOf(l);
    return k === 0 ? [] : [...members.get(levels[k - 1]!)!];
  });
}

/** Per task, the tasks that depend on it (the reverse of {@link dependenciesOf}). */
export function dependentsOf(deps: readonly (readonly number[])[]): number[][] {
  const out: number[][] = deps.map(() => []);
  deps.forEach((list, i) => {
    for (const d of list) out[d]!.push(i);
  });
  return out;
}

/** Can this behaviour end the phase with a failure on its own (without a timeout)? */
export function failsOnItsOwn(b: Behaviour, shape: PhaseShape): boolean {
  switch (b.kind) {
    case "throw":
    case "reject":
      return true;
    case "slow":
      return b.reject;
    case "flaky":
      return b.failures > shape.retries;
    default:
      return false;
  }
}

/** A one-line summary of a scenario, for failure messages. */
export function summarise(s: Scenario): string {
  const shape = s.shape;
  const tasks = shape.tasks
    .map((t, i) => {
      const where =
        shape.mode === "levels" ? `@${shape.level[i]}` : `<-[${shape.deps[i]!.join(",")}]`;
      const phases = PHASE_KEYS.filter((k) => t[k] !== undefined)
        .map((k) => {
          const o = t[k]!;
          const opts = [
            o.timeoutMs === null ? "" : `t${o.timeoutMs}`,
            o.retries > 0 ? `r${o.retries}` : "",
            o.abandonAfterMs === undefined ? "" : `a${o.abandonAfterMs}`,
          ].join("");
          const runs = s.runs.map((r) => behaviourCode(r.behaviours[i]?.[k])).join("/");
          return `${k}${opts ? `(${opts})` : ""}=${runs}`;
        })
        .join(" ");
      return `${i}${where} ${phases || "join"}`;
    })
    .join("; ");
  const aborts = s.runs
    .map((r) =>
      r.abort.kind === "none"
        ? "-"
        : r.abort.kind === "beforeStart"
          ? "abort@start"
          : r.abort.kind === "at"
            ? `abort@${r.abort.ms}${thrownCode(r.abort.reason)}`
            : `abort@t${r.abort.task}.${r.abort.phase}${thrownCode(r.abort.reason)}`,
    )
    .join("/");
  const clock = s.clock === undefined || s.clock === "plain" ? "" : ` clock: ${s.clock}`;
  const limits = s.runs
    .map((r) => {
      const limit = limitOf(s, r);
      return `${limit === Number.POSITIVE_INFINITY ? "" : `max${limit}`}${r.timeoutMs === undefined ? "" : `deadline${r.timeoutMs}`}`;
    })
    .join("/");
  return `${shape.mode} [${tasks}] runs: ${aborts}${/[a-z]/.test(limits) ? ` limits: ${limits}` : ""}${clock}`;
}

function behaviourCode(b: Behaviour | undefined): string {
  if (b === undefined) return "?";
  switch (b.kind) {
    case "ok":
      return `ok${b.ticks}`;
    case "throw":
      return `throw${thrownCode(b.value)}`;
    case "reject":
      return `rej${b.ticks}${thrownCode(b.value)}`;
    case "hang":
      return b.own === true ? "hang!" : "hang";
    case "slow":
      return `slow${b.ms}${b.reject ? "!" : ""}`;
    case "flaky":
      return `flaky${b.failures}x${b.ticks}`;
  }
}

function thrownCode(value: Thrown | undefined): string {
  return value === undefined || value === "error" ? "" : `(${value})`;
}
