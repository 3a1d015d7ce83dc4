/** The end-of-run summary (text and JSON) and the report of a violation. */
import type { Violation } from "./checks/index.js";
import type { Behaviour, Case, FnSpec, PhaseName, RunSpec, TaskSpec } from "./model.js";
import { PHASES } from "./model.js";
import { FAULT_KINDS, type Stats } from "./stats.js";

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

export interface SummaryInput {
  readonly stats: Stats;
  readonly seed: number;
  readonly elapsedMs: number;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** A note, e.g. that the time budget stopped the run early. */
  readonly note?: string | undefined;
}

export function summaryText(s: SummaryInput): string {
  const st = s.stats;
  const secs = s.elapsedMs / 1000;
  const faults = FAULT_KINDS.filter((k) => st.faults[k] > 0)
    .map((k) => `${k} ${fmt(st.faults[k])}`)
    .join(", ");
  const settings = Object.entries(s.settings)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const rows: [string, string][] = [
    [
      "workflows",
      `${fmt(st.workflows)} (levels ${fmt(st.levelWorkflows)}, graph ${fmt(st.graphWorkflows)}; ${fmt(st.realTimerWorkflows)} on real timers)`,
    ],
    [
      "runs",
      `${fmt(st.runs)} (succeeded ${fmt(st.succeeded)}, failed ${fmt(st.failed)}; aborted ${fmt(st.aborted)} by the signal or the deadline)`,
    ],
    ["task lifecycles", fmt(st.lifecycles)],
    [
      "phases run",
      `${fmt(st.phases)} (function attempts ${fmt(st.attempts)}; ${fmt(st.skipped)} skipped)`,
    ],
    ["events checked", fmt(st.events)],
    ["faults injected", faults === "" ? "none" : faults],
    ["cancellations", fmt(st.cancellations)],
    [
      "failures",
      `${fmt(st.failures)} (after their cancellation ${fmt(st.afterCancel)}; own rejections checked ${fmt(st.ownRejections)})`,
    ],
    ["timeouts", fmt(st.timeouts)],
    ["retries", fmt(st.retries)],
    ["abandonments", `${fmt(st.abandonments)} (late settlements seen ${fmt(st.lateSettles)})`],
    [
      "quirky clocks",
      `${fmt(st.staleTimers)} timers not cleared, ${fmt(st.syncTimers)} fired inside setTimeout, ${fmt(st.clockFaults)} clock errors thrown`,
    ],
    [
      "limits",
      `${fmt(st.limitedRuns)} runs under a concurrency limit (${fmt(st.limitReached)} reached it; ${fmt(st.queued)} phases queued for a slot), ${fmt(st.deadlineRuns)} with a deadline (${fmt(st.deadlineAborts)} aborted by it)`,
    ],
    ["violations", fmt(st.violations)],
    [
      "throughput",
      `${fmt(secs > 0 ? st.lifecycles / secs : 0)} lifecycles/s, ${fmt(secs > 0 ? st.runs / secs : 0)} runs/s`,
    ],
    ["seed", String(s.seed)],
    ["elapsed", `${secs.toFixed(1)} s`],
  ];
  const lines = [
    `sdax Monte Carlo (${settings})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(16)} ${v}`),
  ];
  if (s.note !== undefined) lines.push(`  note: ${s.note}`);
  return lines.join("\n");
}

export function summaryJson(s: SummaryInput, extra: Readonly<Record<string, unknown>>): string {
  const st = s.stats;
  return JSON.stringify({
    workflows: st.workflows,
    runs: st.runs,
    lifecycles: st.lifecycles,
    phases: st.phases,
    attempts: st.attempts,
    events: st.events,
    violations: st.violations,
    seed: s.seed,
    elapsedMs: Math.round(s.elapsedMs),
    lifecyclesPerSecond: Math.round(s.elapsedMs > 0 ? (st.lifecycles * 1000) / s.elapsedMs : 0),
    succeeded: st.succeeded,
    failed: st.failed,
    aborted: st.aborted,
    cancellations: st.cancellations,
    timeouts: st.timeouts,
    retries: st.retries,
    abandonments: st.abandonments,
    lateSettles: st.lateSettles,
    failures: st.failures,
    afterCancel: st.afterCancel,
    ownRejections: st.ownRejections,
    staleTimers: st.staleTimers,
    syncTimers: st.syncTimers,
    clockFaults: st.clockFaults,
    skipped: st.skipped,
    limitedRuns: st.limitedRuns,
    limitReached: st.limitReached,
    queued: st.queued,
    deadlineRuns: st.deadlineRuns,
    deadlineAborts: st.deadlineAborts,
    levelWorkflows: st.levelWorkflows,
    graphWorkflows: st.graphWorkflows,
    realTimerWorkflows: st.realTimerWorkflows,
    faults: st.faults,
    settings: s.settings,
    ...extra,
  });
}

export function violationText(v: Violation, where: string): string {
  return `VIOLATION ${v.invariant} (${v.source}) in ${where}:\n  ${v.message}`;
}

/** A shrunk case, readable: the workflow's tasks, then each run's faults and abort. */
export function caseText(c: Case): string {
  const lines = [
    `${c.workflow.mode} workflow, ${c.workflow.tasks.length} task(s), ${c.workflow.realTimers ? "real timers" : "virtual clock"}${c.workflow.maxConcurrency === undefined ? "" : `, build({ maxConcurrency: ${c.workflow.maxConcurrency} })`}:`,
  ];
  for (const t of c.workflow.tasks) lines.push(`  ${taskText(t, c.workflow.mode)}`);
  c.runs.forEach((r, i) => {
    lines.push(`run ${i}:${runOptionsText(r)}`);
    for (const [task, phases] of Object.entries(r.scripts)) {
      for (const p of PHASES) {
        const s = phases[p];
        if (s !== undefined)
          lines.push(
            `  ${task}.${p}: ${s.label}${s.group === undefined ? "" : ` (group ${s.group})`}: ${s.attempts.map(behaviourText).join(", then ")}`,
          );
      }
    }
  });
  return lines.join("\n");
}

function taskText(t: TaskSpec, mode: "levels" | "graph"): string {
  const where = mode === "levels" ? `level ${t.level}` : `after [${(t.deps ?? []).join(", ")}]`;
  const phases = PHASES.filter((p) => t.phases[p] !== undefined).map((p) =>
    phaseText(p, t.phases[p]!),
  );
  return `${t.name} (${where}): ${phases.length === 0 ? "join" : phases.join(", ")}`;
}

function phaseText(p: PhaseName, fn: FnSpec): string {
  const opts = Object.entries(fn).map(([k, v]) => `${k}=${v}`);
  return opts.length === 0 ? p : `${p}{${opts.join(" ")}}`;
}

function runOptionsText(r: RunSpec): string {
  const parts: string[] = [];
  const a = r.abort;
  if (a?.at === "before") parts.push(`aborted before start (reason: ${a.reason})`);
  if (a?.at === "time") parts.push(`aborted at ${a.ms} ms (reason: ${a.reason})`);
  if (a?.at === "call") {
    const which =
      a.on === undefined
        ? `function call ${a.n}`
        : `the call of ${a.on.task}.${a.on.phase} attempt ${a.on.attempt}`;
    parts.push(`aborted synchronously by ${which} (reason: ${a.reason})`);
  }
  if (a?.at === "event") {
    const which =
      a.on === undefined
        ? `event ${a.n}`
        : `the first ${[a.on.type, a.on.task, a.on.phase, a.on.event].filter((x) => x !== undefined).join(" ")} event${a.on.attempt === undefined ? "" : ` of attempt ${a.on.attempt}`}`;
    parts.push(
      `aborted at ${which} ${a.sync ? "inside onEvent" : "in a microtask"} (reason: ${a.reason})`,
    );
  }
  if (r.abandonAfterMs !== undefined) parts.push(`abandonAfterMs=${r.abandonAfterMs}`);
  if (r.maxConcurrency !== undefined) parts.push(`maxConcurrency=${r.maxConcurrency}`);
  if (r.timeoutMs !== undefined) parts.push(`a deadline of ${r.timeoutMs} ms`);
  if (r.clock === "noHandle") parts.push("clock: setTimeout returns no handle");
  if (r.clock === "syncZero") parts.push("clock: 0 ms timers fire inside setTimeout");
  if (r.clock === "throwing")
    parts.push(
      `clock: one in ${r.throwEvery} setTimeout calls, and one in ${r.throwEvery} clearTimeout calls, throws`,
    );
  if (Object.keys(r.scripts).length === 0) parts.push("every function returns at once");
  return parts.length === 0 ? "" : ` ${parts.join("; ")}`;
}

function behaviourText(b: Behaviour): string {
  switch (b.k) {
    case "async":
      return "resolves";
    case "slow":
      return `resolves after ${b.ms} ms`;
    case "throw":
      return `${b.async ? (b.asyncFn === true ? "rejects (async function)" : "rejects") : "throws"} ${b.value}`;
    case "retryable":
      return `${b.async ? "rejects" : "throws"} RetryableError`;
    case "hang":
      return "hangs until its signal aborts";
    case "ignore":
      return `ignores its signal, ${b.fail ? "rejects" : "resolves"} after ${b.ms} ms`;
    case "spawn":
      return `spawns children settling after [${b.ms.join(", ")}] ms${b.failAt === undefined ? "" : `, child ${b.failAt} rejecting`}`;
    case "rollback":
      return `resolves after ${b.ms} ms; once its signal aborts, rejects with its own error${b.lag === undefined ? " at once" : ` ${b.lag} ms later`}`;
  }
}
