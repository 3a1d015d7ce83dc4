/**
 * Reads Quint's ITF traces (the Informal Trace Format: `#bigint`, `#map`, `#set`, `#tup`
 * wrappers around JSON) of spec/lifecycle.qnt and turns each into a compact {@link Trace}.
 */
import {
  type EventFacts,
  eventKey,
  PHASES,
  type PhaseConf,
  type Trace,
  type TraceAction,
  type TraceFailure,
  type TraceStep,
  type TraceWorkflow,
  taskName,
} from "./trace.js";

/** A decoded ITF value: numbers, strings, booleans, arrays, records and maps as entry lists. */
type Value = number | string | boolean | Value[] | { readonly [key: string]: Value } | Entries;

/** A map's entries; kept apart from arrays so a map and a list never mix. */
class Entries {
  constructor(readonly entries: readonly (readonly [Value, Value])[]) {}

  get(key: Value): Value {
    const k = JSON.stringify(key);
    const hit = this.entries.find(([x]) => JSON.stringify(x) === k);
    if (hit === undefined) throw new Error(`ITF map has no key ${k}`);
    return hit[1];
  }
}

function decode(v: unknown): Value {
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(decode);
  if (typeof v !== "object" || v === null) throw new Error(`ITF: unexpected value ${String(v)}`);
  const o = v as Record<string, unknown>;
  if ("#bigint" in o) return Number(o["#bigint"]);
  if ("#tup" in o) return (o["#tup"] as unknown[]).map(decode);
  if ("#set" in o) return (o["#set"] as unknown[]).map(decode);
  if ("#map" in o)
    return new Entries((o["#map"] as [unknown, unknown][]).map(([k, x]) => [decode(k), decode(x)]));
  const out: Record<string, Value> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decode(x);
  return out;
}

type Rec = { readonly [key: string]: Value };
const rec = (v: Value): Rec => v as Rec;
const num = (v: Value): number => v as number;
const str = (v: Value): string => v as string;
const list = (v: Value): Value[] => v as Value[];
const map = (v: Value): Entries => {
  if (!(v instanceof Entries)) throw new Error("ITF: expected a map");
  return v;
};

function workflowOf(wf: Rec): TraceWorkflow {
  const n = num(wf.n!);
  const tasks = Array.from({ length: n }, (_, i) => i);
  const conf = map(wf.conf!);
  const phase = (i: number, p: string): PhaseConf | null => {
    const c = rec(conf.get([i, p]));
    if (c.has !== true) return null;
    return {
      timeoutMs: num(c.timeout!) > 0 ? num(c.timeout!) : null,
      retries: num(c.retries!),
      abandonAfterMs: num(c.abandon!) > 0 ? num(c.abandon!) : null,
      sync: str(c.sync!) === "ok" ? "ok" : str(c.sync!) === "throw" ? "throw" : "",
    };
  };
  const mode = str(wf.mode!) === "levels" ? "levels" : "graph";
  const deps = map(wf.deps!);
  return {
    mode,
    level: tasks.map((i) => num(map(wf.level!).get(i))),
    deps: tasks.map((i) => (mode === "graph" ? list(deps.get(i)).map(num) : [])),
    clockThrows: wf.clockThrows === true,
    clockTicks: wf.clockTicks === true,
    // Traces written before the model had limits and deadlines have neither.
    maxConcurrency: wf.limit !== undefined && num(wf.limit) > 0 ? num(wf.limit) : null,
    limitFrom: wf.limitFrom === "build" ? "build" : "run",
    timeoutMs: wf.deadline !== undefined && num(wf.deadline) > 0 ? num(wf.deadline) : null,
    runner: wf.runner === true,
    phases: tasks.map((i) => [phase(i, PHASES[0]), phase(i, PHASES[1]), phase(i, PHASES[2])]),
  };
}

function eventOf(e: Rec): string {
  const facts: EventFacts = {
    kind: str(e.kind!),
    task: num(e.task!) < 0 ? "" : taskName(num(e.task!)),
    phase: str(e.phase!),
    attempt: num(e.n!),
    event: str(e.ev!),
    from: str(e.from!),
    to: str(e.to!),
    afterCancel: e.flag === true,
    delayMs: num(e.ms!),
    at: num(e.at!),
    maxConcurrency: num(e.n!) > 0 ? num(e.n!) : null,
    timeoutMs: num(e.ms!) > 0 ? num(e.ms!) : null,
  };
  return eventKey(facts);
}

function actionOf(a: Rec): TraceAction {
  return {
    name: str(a.name!) as TraceAction["name"],
    task: num(a.task!),
    phase: str(a.phase!),
    attempt: num(a.n!),
    how: str(a.how!),
  };
}

/** The compact trace of one ITF document (`{ states: [...] }`) of spec/lifecycle.qnt. */
export function fromItf(itf: unknown): Trace {
  const states = list(rec(decode(itf)).states!).map(rec);
  const first = states[0];
  if (first === undefined) throw new Error("ITF trace without states");
  const steps: TraceStep[] = states.slice(1).map((s) => {
    const w = rec(s.w!);
    const now = num(w.now!);
    return {
      action: actionOf(rec(s.taken!)),
      now,
      events: list(w.events!).map((e) => eventOf(rec(e))),
      timers: list(w.timers!).length,
    };
  });
  const last = rec(states[states.length - 1]!.w!);
  const failures: TraceFailure[] = list(last.failures!).map((f) => {
    const r = rec(f);
    return {
      task: num(r.task!),
      phase: str(r.phase!),
      attempts: num(r.attempts!),
      afterCancel: r.afterCancel === true,
    };
  });
  return {
    workflow: workflowOf(rec(first.wf!)),
    steps,
    final: { run: str(last.rs!), failures, aborted: last.aborted === true },
  };
}
