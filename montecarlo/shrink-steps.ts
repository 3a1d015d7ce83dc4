/**
 * The ways the shrinker makes a case smaller, in the order it tries them: each names its units
 * (runs, levels, tasks, aborts, phases, faults, attempts, options, clock quirks, run options,
 * the workflow's concurrency limit) and builds the case that keeps only some of them. Every result is a valid case: dropped
 * tasks leave dependency lists, and scripts of dropped phases go with them.
 */
import type { Case, FnSpec, PhaseName, PhaseScript, RunSpec, TaskSpec } from "./model.js";
import { PHASES } from "./model.js";

/** One way to make a case smaller: its units, and the case keeping only some of them. */
export interface Reducer {
  readonly name: string;
  units(c: Case): string[];
  keep(c: Case, kept: ReadonlySet<string>): Case;
}

export function withoutAbort(r: RunSpec): RunSpec {
  const { abort: _, ...rest } = r;
  return rest;
}

const phaseKey = (task: string, phase: PhaseName): string => `${task}\u0000${phase}`;

function mapScripts(
  run: RunSpec,
  f: (task: string, phase: PhaseName, script: PhaseScript, r: number) => PhaseScript | undefined,
  r: number,
): RunSpec {
  const scripts: Record<string, Partial<Record<PhaseName, PhaseScript>>> = {};
  for (const [task, phases] of Object.entries(run.scripts)) {
    const out: Partial<Record<PhaseName, PhaseScript>> = {};
    for (const phase of PHASES) {
      const script = phases[phase];
      if (script === undefined) continue;
      const mapped = f(task, phase, script, r);
      if (mapped !== undefined) out[phase] = mapped;
    }
    if (Object.keys(out).length > 0) scripts[task] = out;
  }
  return { ...run, scripts };
}

function mapFns(
  c: Case,
  f: (task: TaskSpec, phase: PhaseName, fn: FnSpec) => FnSpec | undefined,
): Case {
  const tasks = c.workflow.tasks.map((t) => {
    const phases: Partial<Record<PhaseName, FnSpec>> = {};
    for (const phase of PHASES) {
      const fn = t.phases[phase];
      if (fn === undefined) continue;
      const mapped = f(t, phase, fn);
      if (mapped !== undefined) phases[phase] = mapped;
    }
    return { ...t, phases };
  });
  return { ...c, workflow: { ...c.workflow, tasks } };
}

export const REDUCERS: readonly Reducer[] = [
  {
    name: "runs",
    units: (c) => c.runs.map((_, i) => String(i)),
    keep: (c, kept) => ({ ...c, runs: c.runs.filter((_, i) => kept.has(String(i))) }),
  },
  {
    name: "levels",
    units: (c) =>
      c.workflow.mode === "levels"
        ? [...new Set(c.workflow.tasks.map((t) => String(t.level)))]
        : [],
    keep: (c, kept) => keepTasks(c, (t) => kept.has(String(t.level))),
  },
  {
    name: "tasks",
    units: (c) => c.workflow.tasks.map((t) => t.name),
    keep: (c, kept) => keepTasks(c, (t) => kept.has(t.name)),
  },
  {
    name: "external aborts",
    units: (c) => c.runs.flatMap((r, i) => (r.abort === undefined ? [] : [String(i)])),
    keep: (c, kept) => ({
      ...c,
      runs: c.runs.map((r, i) =>
        r.abort === undefined || kept.has(String(i)) ? r : withoutAbort(r),
      ),
    }),
  },
  {
    name: "phases",
    units: (c) =>
      c.workflow.tasks.flatMap((t) =>
        PHASES.filter((p) => t.phases[p]).map((p) => phaseKey(t.name, p)),
      ),
    keep: (c, kept) => {
      const shrunk = mapFns(c, (t, phase, fn) =>
        kept.has(phaseKey(t.name, phase)) ? fn : undefined,
      );
      return {
        ...shrunk,
        runs: c.runs.map((r, i) =>
          mapScripts(r, (t, p, s) => (kept.has(phaseKey(t, p)) ? s : undefined), i),
        ),
      };
    },
  },
  {
    name: "faults",
    units: (c) =>
      c.runs.flatMap((r, i) =>
        Object.entries(r.scripts).flatMap(([t, ps]) =>
          PHASES.filter((p) => ps[p]).map((p) => `${i}\u0000${phaseKey(t, p)}`),
        ),
      ),
    keep: (c, kept) => ({
      ...c,
      runs: c.runs.map((r, i) =>
        mapScripts(r, (t, p, s) => (kept.has(`${i}\u0000${phaseKey(t, p)}`) ? s : undefined), i),
      ),
    }),
  },
  {
    name: "attempts",
    units: (c) =>
      c.runs.flatMap((r, i) =>
        Object.entries(r.scripts).flatMap(([t, ps]) =>
          PHASES.flatMap((p) =>
            (ps[p]?.attempts ?? []).map((_, a) => `${i}\u0000${phaseKey(t, p)}\u0000${a}`),
          ),
        ),
      ),
    keep: (c, kept) => ({
      ...c,
      runs: c.runs.map((r, i) =>
        mapScripts(
          r,
          (t, p, s) => {
            const attempts = s.attempts.filter((_, a) =>
              kept.has(`${i}\u0000${phaseKey(t, p)}\u0000${a}`),
            );
            return attempts.length === 0 ? undefined : { ...s, attempts };
          },
          i,
        ),
      ),
    }),
  },
  {
    name: "options",
    units: (c) =>
      c.workflow.tasks.flatMap((t) =>
        PHASES.flatMap((p) =>
          Object.keys(t.phases[p] ?? {}).map((k) => `${phaseKey(t.name, p)}\u0000${k}`),
        ),
      ),
    keep: (c, kept) =>
      mapFns(c, (t, phase, fn) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(fn))
          if (kept.has(`${phaseKey(t.name, phase)}\u0000${k}`)) out[k] = v;
        // retries without initialDelayMs would wait the 1 s default: keep them together.
        if (out.retries !== undefined && out.initialDelayMs === undefined) out.initialDelayMs = 0;
        return out as FnSpec;
      }),
  },
  {
    name: "clock quirks",
    units: (c) => c.runs.flatMap((r, i) => (r.clock === undefined ? [] : [String(i)])),
    keep: (c, kept) => ({
      ...c,
      runs: c.runs.map((r, i) => {
        if (r.clock === undefined || kept.has(String(i))) return r;
        const { clock: _, throwEvery: __, ...rest } = r;
        return rest;
      }),
    }),
  },
  {
    name: "run options",
    units: (c) =>
      c.runs.flatMap((r, i) =>
        RUN_OPTIONS.filter((k) => r[k] !== undefined).map((k) => `${i}\u0000${k}`),
      ),
    keep: (c, kept) => ({
      ...c,
      runs: c.runs.map((r, i) => {
        const out: Record<string, unknown> = { ...r };
        for (const k of RUN_OPTIONS) if (!kept.has(`${i}\u0000${k}`)) delete out[k];
        return out as unknown as RunSpec;
      }),
    }),
  },
  {
    name: "workflow limit",
    units: (c) => (c.workflow.maxConcurrency === undefined ? [] : ["limit"]),
    keep: (c, kept) => {
      if (kept.has("limit")) return c;
      const { maxConcurrency: _, ...workflow } = c.workflow;
      return { ...c, workflow };
    },
  },
];

/** The run options a shrink step may drop, one at a time. */
const RUN_OPTIONS = ["abandonAfterMs", "maxConcurrency", "timeoutMs"] as const;

/** Keeps the tasks `keep` accepts, dropping the others from dependencies and scripts. */
function keepTasks(c: Case, keep: (t: TaskSpec) => boolean): Case {
  const tasks = c.workflow.tasks.filter(keep);
  const names = new Set(tasks.map((t) => t.name));
  const cleaned = tasks.map((t) =>
    t.deps === undefined ? t : { ...t, deps: t.deps.filter((d) => names.has(d)) },
  );
  const runs = c.runs.map((r) => ({
    ...r,
    scripts: Object.fromEntries(Object.entries(r.scripts).filter(([t]) => names.has(t))),
  }));
  return { workflow: { ...c.workflow, tasks: cleaned }, runs };
}
