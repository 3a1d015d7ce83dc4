/**
 * Random workflows and runs, as data ({@link WorkflowSpec}, {@link RunSpec}). Everything comes
 * from a {@link Prng} seeded by `(seed, workflow index)` and `(seed, workflow index, run index)`,
 * so any workflow or run can be generated again alone.
 */
import type {
  AbortSpec,
  AnyFaultKind,
  Behaviour,
  ClockQuirk,
  FaultKind,
  FnSpec,
  FnSpecDraft,
  PhaseName,
  PhaseScript,
  ReasonKind,
  RunSpec,
  TaskSpec,
  ThrownKind,
  WorkflowMode,
  WorkflowSpec,
} from "./model.js";
import { HOSTILE_KINDS, PHASES } from "./model.js";
import { deriveSeed, Prng } from "./prng.js";

/** What shapes generation (the generation flags). */
export interface GenConfig {
  readonly mode: WorkflowMode | "mixed";
  readonly maxLevels: number;
  /** Tasks per level (levels mode) and per graph (graph mode); undefined: the defaults. */
  readonly maxTasks: number | undefined;
  /** Probability that a phase of a run gets a fault (scaled per run; see docs). */
  readonly failRate: number;
  /** Real timers for every workflow, for none, or for a small share ({@link REAL_TIMER_SHARE}). */
  readonly timers: "real" | "virtual" | "mixed";
  /** Some external aborts are called synchronously from inside the `onEvent` listener. */
  readonly listenerAborts: boolean;
  /** The kinds of fault injected (`--faults`, `--skip-faults`); absent: every kind. */
  readonly faults?: ReadonlySet<AnyFaultKind> | undefined;
}

/** Every kind of fault, in the order the summary lists them. */
export const ALL_FAULT_KINDS: readonly AnyFaultKind[] = [
  "syncThrow",
  "asyncReject",
  "nonErrorThrow",
  "retryRecovers",
  "retryExhausts",
  "timeout",
  "hangUntilCancelled",
  "signalIgnoring",
  "childFailure",
  "sameTurn",
  "cancelledOwnError",
  "hostileThrow",
  "externalAbort",
  "hostileAbortReason",
  "noHandleClock",
  "syncZeroClock",
  "throwingClock",
  "concurrencyLimit",
  "runDeadline",
];

/** Whether `cfg` injects faults of `kind`. */
export const injects = (cfg: GenConfig, kind: AnyFaultKind): boolean =>
  cfg.faults === undefined || cfg.faults.has(kind);

export const DEFAULT_MAX_TASKS_PER_LEVEL = 10;
export const DEFAULT_MAX_TASKS_PER_GRAPH = 200;
/** Share of workflows run on real timers when `--real-timers` is not given. */
export const REAL_TIMER_SHARE = 0.04;

/** Time values (ms) by clock: generous under a virtual clock, tiny under real timers. */
interface Scale {
  readonly slow: readonly [number, number];
  readonly timeout: readonly [number, number];
  readonly delay: readonly [number, number];
  readonly abandon: readonly [number, number];
  readonly abortAt: readonly [number, number];
  /** How far past a timeout a late function settles. */
  readonly late: readonly [number, number];
  /** A run's deadline (`RunOptions.timeoutMs`). */
  readonly deadline: readonly [number, number];
}

const virtualScale: Scale = {
  slow: [1, 20],
  timeout: [5, 40],
  delay: [0, 10],
  abandon: [0, 30],
  abortAt: [0, 150],
  late: [1, 30],
  deadline: [0, 100],
};
const realScale: Scale = {
  slow: [0, 2],
  timeout: [6, 10],
  delay: [0, 2],
  abandon: [1, 3],
  abortAt: [0, 10],
  late: [4, 8],
  deadline: [2, 40],
};

const scaleOf = (w: WorkflowSpec): Scale => (w.realTimers ? realScale : virtualScale);

/** Workflow `index` of `seed`. */
export function generateWorkflow(seed: number, index: number, cfg: GenConfig): WorkflowSpec {
  const rng = new Prng(deriveSeed(seed, index, 0));
  const mode: WorkflowMode =
    cfg.mode === "mixed" ? (rng.chance(0.5) ? "levels" : "graph") : cfg.mode;
  const share = rng.chance(REAL_TIMER_SHARE); // drawn either way, so the flag changes nothing else
  const realTimers = cfg.timers === "real" || (cfg.timers === "mixed" && share);
  const scale = realTimers ? realScale : virtualScale;
  const tasks =
    mode === "levels"
      ? levelTasks(rng, cfg.maxLevels, cfg.maxTasks ?? DEFAULT_MAX_TASKS_PER_LEVEL, scale)
      : graphTasks(rng, cfg.maxTasks ?? DEFAULT_MAX_TASKS_PER_GRAPH, scale);
  // Drawn last and either way, so the flag changes nothing else.
  const limitDraw = rng.next();
  const limit = rng.int(1, 4);
  if (limitDraw < LIMIT_SHARE && injects(cfg, "concurrencyLimit")) {
    return { mode, realTimers, tasks, maxConcurrency: limit };
  }
  return { mode, realTimers, tasks };
}

function levelTasks(rng: Prng, maxLevels: number, perLevel: number, scale: Scale): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  const levels = rng.int(1, maxLevels);
  let level = rng.int(-3, 3);
  for (let l = 0; l < levels; l++) {
    const n = rng.int(1, perLevel);
    for (let i = 0; i < n; i++) {
      tasks.push({ name: `t${tasks.length}`, level, phases: phases(rng, scale) });
    }
    level += rng.int(1, 3);
  }
  return tasks;
}

function graphTasks(rng: Prng, maxTasks: number, scale: Scale): TaskSpec[] {
  const n = rng.int(1, maxTasks);
  const made: TaskSpec[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const k = rng.int(0, Math.min(i, 3));
    for (let d = 0; d < k; d++) {
      // Mostly recent tasks, so graphs get deep as well as wide.
      const from = rng.chance(0.8) ? Math.max(0, i - 8) : 0;
      deps.add(`t${rng.int(from, i - 1)}`);
    }
    made.push({ name: `t${i}`, deps: [...deps], phases: phases(rng, scale) });
  }
  // dependsOn may name tasks added later: add them in a shuffled order.
  for (let i = made.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [made[i], made[j]] = [made[j]!, made[i]!];
  }
  return made;
}

function phases(rng: Prng, scale: Scale): Partial<Record<PhaseName, FnSpec>> {
  const out: Partial<Record<PhaseName, FnSpec>> = {};
  if (rng.chance(0.04)) return out; // a join()
  for (const p of PHASES) if (rng.chance(0.8)) out[p] = fnSpec(rng, scale);
  if (Object.keys(out).length === 0) out[rng.pick(PHASES)] = fnSpec(rng, scale);
  return out;
}

function fnSpec(rng: Prng, scale: Scale): FnSpec {
  const spec: FnSpecDraft = {};
  if (rng.chance(0.25)) spec.timeoutMs = rng.int(...scale.timeout);
  if (rng.chance(0.25)) {
    spec.retries = rng.int(1, 3);
    // A third retry at once: a 0 ms timer, which a sync-zero clock fires inside setTimeout.
    const zero = rng.chance(0.3);
    spec.initialDelayMs = zero ? 0 : rng.int(...scale.delay);
    spec.backoffFactor = rng.pick([1, 1.5, 2]);
  }
  if (rng.chance(0.1)) spec.abandonAfterMs = rng.chance(0.2) ? null : rng.int(...scale.abandon);
  return spec;
}

/** Run `run` of workflow `index` of `seed`. */
export function generateRun(
  seed: number,
  index: number,
  run: number,
  workflow: WorkflowSpec,
  cfg: GenConfig,
): RunSpec {
  const rng = new Prng(deriveSeed(seed, index, run + 1));
  const scale = scaleOf(workflow);
  // A fifth of runs get no fault at all; the rest a fault rate spread around --fail-rate.
  const factor = rng.chance(0.2) ? 0 : 2 * rng.next();
  const p = Math.min(1, cfg.failRate * factor);
  const aborts = injects(cfg, "externalAbort") || injects(cfg, "hostileAbortReason");
  const abort =
    factor > 0 && rng.chance(Math.min(0.5, 4 * cfg.failRate)) && aborts
      ? abortSpec(rng, workflow, scale, cfg)
      : undefined;
  const hangAllowed = abort?.at === "time";
  const scripts: Record<string, Partial<Record<PhaseName, PhaseScript>>> = {};
  const put = (task: string, phase: PhaseName, script: PhaseScript): void => {
    scripts[task] ??= {};
    scripts[task][phase] = script;
  };
  for (const t of workflow.tasks) {
    for (const phase of PHASES) {
      const fn = t.phases[phase];
      if (fn === undefined) continue;
      const r = rng.next();
      let script: PhaseScript | undefined;
      if (r < p) script = fault(rng, fn, phase, scale, hangAllowed, cfg);
      else if (r < p + 0.1) script = benign(rng, fn, scale);
      if (script !== undefined) put(t.name, phase, script);
    }
  }
  // Drawn either way, so the flags change nothing else.
  const turnDraw = rng.next();
  const clockDraw = rng.next();
  const quirks = CLOCK_QUIRKS.filter((q) => injects(cfg, CLOCK_KIND[q]));
  let clock: ClockQuirk | undefined;
  if (!workflow.realTimers && quirks.length > 0 && clockDraw < CLOCK_QUIRK_SHARE) {
    clock = rng.pick(quirks);
    retriesCancelled(rng, workflow, put);
  }
  // Last: it looks at the scripts already made (see sameTurn).
  if (factor > 0 && turnDraw < Math.min(0.5, 5 * cfg.failRate) && injects(cfg, "sameTurn")) {
    sameTurn(rng, workflow, scale, cfg, scripts, put);
  }
  const spec: {
    random: number;
    scripts: typeof scripts;
    abort?: AbortSpec;
    abandonAfterMs?: number | null;
    clock?: ClockQuirk;
    throwEvery?: number;
    maxConcurrency?: number;
    timeoutMs?: number;
  } = { random: rng.next32(), scripts };
  if (abort !== undefined) spec.abort = abort;
  if (rng.chance(0.15)) spec.abandonAfterMs = rng.chance(0.2) ? null : rng.int(...scale.abandon);
  if (clock !== undefined) spec.clock = clock;
  if (clock === "throwing") spec.throwEvery = rng.int(2, 6);
  // Drawn last and either way, so the flags change nothing else.
  const limitDraw = rng.next();
  const limit = rng.pick(RUN_LIMITS);
  const deadlineDraw = rng.next();
  const deadline = rng.int(...scale.deadline);
  if (limitDraw < LIMIT_SHARE && injects(cfg, "concurrencyLimit")) spec.maxConcurrency = limit;
  if (deadlineDraw < DEADLINE_SHARE && injects(cfg, "runDeadline")) spec.timeoutMs = deadline;
  return spec;
}

/** Share of workflows given a default limit, and of runs given a limit of their own. */
export const LIMIT_SHARE = 0.25;
/** Share of runs given a deadline. */
export const DEADLINE_SHARE = 0.1;
/** The limits a run may set itself; 1,000 lifts its workflow's (a case is JSON: no `Infinity`). */
const RUN_LIMITS: readonly number[] = [1, 2, 3, 4, 8, 1000];

/** Share of virtual-clock runs given a clock with a quirk (when those kinds are on). */
export const CLOCK_QUIRK_SHARE = 0.15;

const CLOCK_QUIRKS: readonly ClockQuirk[] = ["noHandle", "syncZero", "throwing"];

/** The fault kind of each clock quirk. */
export const CLOCK_KIND: Readonly<Record<ClockQuirk, AnyFaultKind>> = {
  noHandle: "noHandleClock",
  syncZero: "syncZeroClock",
  throwing: "throwingClock",
};

type Put = (task: string, phase: PhaseName, script: PhaseScript) => void;

/**
 * Two to four functions that reject in the same engine step: executes (which all start in
 * one step) or preExecutes entered in one turn (one level; the graph's roots; or tasks whose
 * dependencies all complete within the run's first step, which are started in the order
 * those dependencies completed, not the order the tasks were added in). Each throws
 * synchronously, or returns a promise already rejected (some from an `async` function), mostly
 * with an `Error`, sometimes a hostile value; a function with retries sometimes throws a
 * `RetryableError` instead and then runs slowly, so its retry's delay or its attempt 2 is
 * cancelled. Every own error must be reported, in start order (spec INV-14, INV-32).
 */
function sameTurn(
  rng: Prng,
  workflow: WorkflowSpec,
  scale: Scale,
  cfg: GenConfig,
  scripts: Readonly<Record<string, Partial<Record<PhaseName, PhaseScript>>>>,
  put: Put,
): void {
  const phase: PhaseName = rng.chance(0.5) ? "execute" : "preExecute";
  let members: TaskSpec[];
  if (phase === "execute") {
    members = workflow.tasks.filter((t) => t.phases.execute !== undefined);
  } else if (workflow.mode === "levels") {
    const levels = [...new Set(workflow.tasks.map((t) => t.level ?? 0))];
    const level = rng.pick(levels);
    members = workflow.tasks.filter((t) => t.level === level && t.phases.preExecute);
  } else {
    const roots = workflow.tasks.filter((t) => (t.deps ?? []).length === 0);
    // Roots whose preExecute (if any) returns at once: all ready within the run's first step.
    const quick = new Set(
      roots.filter((t) => scripts[t.name]?.preExecute === undefined).map((t) => t.name),
    );
    // Tasks that depend only on those are entered in that step too, in the order their last
    // dependency became ready, which need not be the order they were added in.
    const next = workflow.tasks.filter(
      (t) =>
        t.phases.preExecute !== undefined &&
        (t.deps ?? []).length > 0 &&
        (t.deps ?? []).every((d) => quick.has(d)),
    );
    members =
      next.length >= 2 && rng.chance(0.6)
        ? next
        : roots.filter((t) => t.phases.preExecute !== undefined);
  }
  if (members.length < 2) return;
  const n = rng.int(2, Math.min(4, members.length));
  const group = rng.next32();
  const hostile = injects(cfg, "hostileThrow");
  for (let i = 0; i < n; i++) {
    const j = rng.int(i, members.length - 1);
    [members[i], members[j]] = [members[j]!, members[i]!];
    const t = members[i]!;
    const fn = t.phases[phase]!;
    const async = rng.chance(0.6);
    const first: Behaviour =
      (fn.retries ?? 0) > 0 && rng.chance(0.4)
        ? { k: "retryable", async }
        : {
            k: "throw",
            value: hostile && rng.chance(0.2) ? rng.pick(HOSTILE_KINDS) : "error",
            async,
            asyncFn: async && rng.chance(0.5),
          };
    const attempts: Behaviour[] = [first];
    if (first.k === "retryable") attempts.push({ k: "slow", ms: within(rng.int(5, 40), fn) });
    if (first.k === "retryable" && scale === realScale) attempts.pop();
    put(t.name, phase, { label: "sameTurn", attempts, group });
  }
}

/**
 * For a run on a clock with a quirk: phases that fail once and recover slowly (their retry
 * waits out a delay, 0 ms for a third of them, then attempt 2 takes a while), and a phase that
 * fails a little later, cancelling them during their delay or their attempt 2.
 */
function retriesCancelled(rng: Prng, workflow: WorkflowSpec, put: Put): void {
  const retrying: [TaskSpec, PhaseName][] = [];
  const others: [TaskSpec, PhaseName][] = [];
  for (const t of workflow.tasks) {
    for (const phase of ["preExecute", "execute"] as const) {
      const fn = t.phases[phase];
      if (fn === undefined) continue;
      ((fn.retries ?? 0) > 0 ? retrying : others).push([t, phase]);
    }
  }
  if (retrying.length === 0) return;
  for (let i = rng.int(1, 3); i > 0; i--) {
    const [t, phase] = rng.pick(retrying);
    const fn = t.phases[phase]!;
    const attempts: Behaviour[] = [
      { k: "retryable", async: rng.chance(0.5) },
      { k: "slow", ms: within(rng.int(5, 40), fn) },
    ];
    put(t.name, phase, { label: "retryRecovers", attempts });
  }
  if (others.length === 0) return;
  const [t, phase] = rng.pick(others);
  const fn = t.phases[phase]!;
  const ms = notAt(within(rng.int(0, 30), fn), fn);
  put(t.name, phase, { label: "childFailure", attempts: [{ k: "spawn", ms: [ms], failAt: 0 }] });
}

function abortSpec(rng: Prng, workflow: WorkflowSpec, scale: Scale, cfg: GenConfig): AbortSpec {
  const ordinary = rng.pick<ReasonKind>(["error", "default", "string"]);
  const hostileDraw = rng.chance(0.3);
  const hostile = injects(cfg, "hostileAbortReason");
  const reason: ReasonKind =
    hostile && (hostileDraw || !injects(cfg, "externalAbort"))
      ? HOSTILE_KINDS[Math.floor(rng.next() * HOSTILE_KINDS.length)]!
      : ordinary;
  const r = rng.next();
  if (r < 0.1) return { at: "before", reason };
  if (r < 0.45) return { at: "time", ms: rng.int(...scale.abortAt), reason };
  if (r < 0.6) return { at: "call", n: rng.int(0, workflow.tasks.length * 2), reason };
  const n = rng.int(0, workflow.tasks.length * 10);
  const sync = rng.chance(0.5); // drawn either way, so the flag changes nothing else
  return { at: "event", n, sync: cfg.listenerAborts && sync, reason };
}

/** Whether an abort reason is one of the hostile values. */
export const isHostileReason = (reason: ReasonKind): boolean =>
  (HOSTILE_KINDS as readonly string[]).includes(reason);

/**
 * Under real timers a function's own timer may fire after its timeout's timer even when it is
 * due earlier (Node runs timer lists by the due time of each list's oldest timer, so under load
 * a long-duration list can run first): there, a function with a timeout may only hang (until its
 * timeout) or settle without timers, or the oracle could not be exact.
 */
const timersRace = (fn: FnSpec, scale: Scale): boolean =>
  scale === realScale && fn.timeoutMs !== undefined;

/** A harmless script: asynchronous, slow (within any timeout) or with children. */
function benign(rng: Prng, fn: FnSpec, scale: Scale): PhaseScript {
  const r = rng.next();
  let b: Behaviour;
  if (r < 0.6 || timersRace(fn, scale)) b = { k: "async" };
  else if (r < 0.9) b = { k: "slow", ms: within(rng.int(...scale.slow), fn) };
  else b = { k: "spawn", ms: children(rng, fn, scale) };
  return { label: "benign", attempts: [b] };
}

/** A duration that stays below the function's timeout. */
function within(ms: number, fn: FnSpec): number {
  return fn.timeoutMs === undefined ? ms : Math.min(ms, fn.timeoutMs - 1);
}

/** A duration never equal to the timeout (so the oracle is exact). */
function notAt(ms: number, fn: FnSpec): number {
  return ms === fn.timeoutMs ? ms + 1 : ms;
}

function children(rng: Prng, fn: FnSpec, scale: Scale): number[] {
  const n = rng.int(1, 3);
  return Array.from({ length: n }, () => within(rng.int(...scale.slow), fn));
}

function fault(
  rng: Prng,
  fn: FnSpec,
  phase: PhaseName,
  scale: Scale,
  hangAllowed: boolean,
  cfg: GenConfig,
): PhaseScript | undefined {
  const t = fn.timeoutMs;
  const retries = fn.retries ?? 0;
  const on = (kind: FaultKind, weight: number): number => (injects(cfg, kind) ? weight : 0);
  // Retries that recover need retries; those that exhaust them do not.
  const retryWeight =
    injects(cfg, "retryExhausts") || (retries > 0 && injects(cfg, "retryRecovers")) ? 4 : 0;
  const weights: Record<FaultKind | "retry", number> = {
    syncThrow: on("syncThrow", 3),
    asyncReject: on("asyncReject", 3),
    nonErrorThrow: on("nonErrorThrow", 1),
    retry: retryWeight,
    retryRecovers: 0,
    retryExhausts: 0,
    timeout: t === undefined ? 0 : on("timeout", 3),
    hangUntilCancelled:
      t === undefined && phase !== "postExecute" && hangAllowed ? on("hangUntilCancelled", 1) : 0,
    signalIgnoring: timersRace(fn, scale) ? 0 : on("signalIgnoring", 2),
    childFailure: timersRace(fn, scale) ? 0 : on("childFailure", 1),
    sameTurn: 0, // a group of phases, not one: see sameTurn()
    cancelledOwnError:
      phase === "postExecute" || timersRace(fn, scale) ? 0 : on("cancelledOwnError", 2),
    hostileThrow: on("hostileThrow", 1),
  };
  if (Object.values(weights).every((w) => w === 0)) return undefined;
  const kind = rng.weighted(weights);
  switch (kind) {
    case "syncThrow":
      return { label: kind, attempts: [{ k: "throw", value: "error", async: false }] };
    case "asyncReject":
      return { label: kind, attempts: [{ k: "throw", value: "error", async: true }] };
    case "nonErrorThrow": {
      const value = rng.pick(["string", "undefined", "object"] as const);
      return { label: kind, attempts: [{ k: "throw", value, async: rng.chance(0.5) }] };
    }
    case "retry":
    case "retryRecovers":
    case "retryExhausts": {
      const canRecover = retries > 0 && injects(cfg, "retryRecovers");
      const recovers = canRecover && (rng.chance(0.7) || !injects(cfg, "retryExhausts"));
      const k = recovers ? rng.int(1, retries) : retries + 1;
      const attempts: Behaviour[] = [];
      for (let i = 0; i < k; i++) {
        attempts.push(
          t !== undefined && rng.chance(0.3)
            ? timingOut(rng, fn, scale)
            : { k: "retryable", async: rng.chance(0.5) },
        );
      }
      if (recovers && rng.chance(0.5)) attempts.push({ k: "async" });
      return { label: recovers ? "retryRecovers" : "retryExhausts", attempts };
    }
    case "timeout": {
      const k = retries > 0 && rng.chance(0.5) ? rng.int(1, retries) : retries + 1;
      return { label: kind, attempts: Array.from({ length: k }, () => timingOut(rng, fn, scale)) };
    }
    case "hangUntilCancelled":
      return { label: kind, attempts: [{ k: "hang" }] };
    case "signalIgnoring": {
      const ms =
        t !== undefined && rng.chance(0.6)
          ? t + rng.int(...scale.late)
          : within(rng.int(scale.late[0], scale.late[1] + scale.slow[1]), fn);
      return { label: kind, attempts: [{ k: "ignore", ms, fail: rng.chance(0.3) }] };
    }
    case "childFailure": {
      const ms = children(rng, fn, scale).map((m) => notAt(m, fn));
      return { label: kind, attempts: [{ k: "spawn", ms, failAt: rng.int(0, ms.length - 1) }] };
    }
    case "sameTurn":
      return undefined; // weight 0
    case "cancelledOwnError": {
      // Slow enough that something else often fails meanwhile and cancels it.
      const ms = within(rng.int(scale.slow[0] + 4, scale.slow[1] * 3), fn);
      const lag = rng.chance(0.5) ? undefined : rng.int(...scale.late);
      const b: Behaviour = lag === undefined ? { k: "rollback", ms } : { k: "rollback", ms, lag };
      return { label: kind, attempts: [b] };
    }
    case "hostileThrow": {
      const value: ThrownKind = rng.pick(HOSTILE_KINDS);
      const async = rng.chance(0.5);
      return {
        label: kind,
        attempts: [{ k: "throw", value, async, asyncFn: async && rng.chance(0.5) }],
      };
    }
  }
}

/** An attempt that exceeds the function's timeout (which must be set). */
function timingOut(rng: Prng, fn: FnSpec, scale: Scale): Behaviour {
  const t = fn.timeoutMs!;
  const r = rng.next();
  if (r < 0.4 || scale === realScale) return { k: "hang" };
  if (r < 0.7) return { k: "slow", ms: t + rng.int(...scale.late) };
  return { k: "ignore", ms: t + rng.int(...scale.late), fail: rng.chance(0.3) };
}
