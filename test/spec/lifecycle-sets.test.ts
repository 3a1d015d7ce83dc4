/**
 * The sets of states the engine and checkTrace ask about are derived from the transition
 * tables (src/lifecycle/machines.ts, task-phases.ts, run-states.ts), not written out. These
 * tests hold the derivations to what the spec says of those states, and the one place the
 * engine still spells a set out to the set it must equal.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PHASES } from "../../src/functions/phase-name.js";
import {
  AT_REST,
  ATTEMPT_ACTIVE,
  ATTEMPT_ENDS,
  ATTEMPT_MACHINE,
  attemptStateIn,
  CANCELLABLE,
  CANCELLED_UNSETTLED,
  HOLDS_SLOT,
  RUNNING,
  TASK_MACHINE,
  TORN_DOWN,
  taskStateIn,
  UNSETTLED,
} from "../../src/lifecycle/machines.js";
import {
  ABORTED_AT_START,
  RUN_ABORTABLE,
  RUN_TRANSITIONS,
  type RunState,
} from "../../src/lifecycle/run-states.js";
import {
  IN_FLIGHT_PHASE,
  PHASE_EVENTS,
  PHASE_QUEUED_STATE,
  PHASE_RUNNING_STATE,
  QUEUES_PHASE,
  RUNNING_PHASE,
  STARTS_PHASE,
} from "../../src/lifecycle/task-phases.js";
import { TASK_TRANSITIONS } from "../../src/lifecycle/task-states.js";

const root = new URL("../../", import.meta.url);
const lifecycle = readFileSync(new URL("spec/lifecycle.md", root), "utf8");

const sorted = (names: Iterable<string>) => [...names].sort();
const taskStates = (flags: Uint8Array) => TASK_MACHINE.states.filter((_, i) => flags[i] === 1);
/** The phase a task state's name says it belongs to (`preCancelling`: preExecute). */
const phaseByName = (state: string) =>
  state.startsWith("pre") ? "preExecute" : state.startsWith("exec") ? "execute" : "postExecute";

/** The states of spec/lifecycle.md section 2 whose meaning ends in "(terminal)". */
function terminalInSpec(): string[] {
  const section = lifecycle.slice(lifecycle.indexOf("## 2. Task states"));
  const rows = section.slice(0, section.indexOf("\n## ", 1)).split("\n");
  return rows
    .filter((row) => /^\|\s*`\w+`.*\(terminal\)\s*\|$/.test(row))
    .map((row) => /`(\w+)`/.exec(row)![1]!);
}

describe("task state sets, from the task table", () => {
  it("INV-1: a phase runs in the state its start event leads to, one per phase, named after it", () => {
    expect(sorted(taskStates(RUNNING))).toEqual(sorted(Object.values(PHASE_RUNNING_STATE)));
    for (const phase of PHASES) {
      const state = PHASE_RUNNING_STATE[phase];
      expect(phaseByName(state)).toBe(phase);
      expect(RUNNING_PHASE[TASK_MACHINE.state[state]]).toBe(phase);
    }
    expect(RUNNING_PHASE.filter((p) => p !== undefined)).toHaveLength(3);
  });

  it("INV-4, INV-12: a failing run cancels a running preExecute or execute, never a postExecute", () => {
    expect(sorted(taskStates(CANCELLABLE))).toEqual(
      sorted([PHASE_RUNNING_STATE.preExecute, PHASE_RUNNING_STATE.execute]),
    );
  });

  it("INV-4: the engine's failing sweep, spelled out for the mutation check, cancels exactly CANCELLABLE", () => {
    const run = readFileSync(new URL("src/scheduler/run.ts", root), "utf8");
    const sweep = /if \(([^)]*)\) this\.#cancelTask\(node, reason\);/.exec(run);
    expect(sweep).not.toBeNull();
    const named = [...sweep![1]!.matchAll(/state === TS\.(\w+)/g)].map((m) => m[1]!);
    expect(sweep![1]).toBe(named.map((s) => `state === TS.${s}`).join(" || "));
    expect(sorted(named)).toEqual(sorted(taskStates(CANCELLABLE)));
  });

  it("INV-37: a slot is held while a phase runs or its decided function has not settled", () => {
    const running = taskStates(RUNNING);
    const unsettled = taskStates(UNSETTLED);
    expect(running.filter((s) => unsettled.includes(s))).toEqual([]);
    expect(sorted([...running, ...unsettled])).toEqual(sorted(taskStates(HOLDS_SLOT)));
    for (const state of unsettled) expect(state).toMatch(/(Failing|Cancelling)$/);
  });

  it("INV-27: an attempt's function is no longer waited for after succeed, settle or abandon", () => {
    expect(sorted([...ATTEMPT_ENDS])).toEqual(["abandon", "settle", "succeed"]);
  });

  it("INV-32: a fail from a cancelled, unsettled phase is a failure after its cancellation", () => {
    expect(sorted(taskStates(CANCELLED_UNSETTLED))).toEqual(["execCancelling", "preCancelling"]);
    const unsettled = taskStates(UNSETTLED);
    for (const state of taskStates(CANCELLED_UNSETTLED)) expect(unsettled).toContain(state);
  });

  it("INV-37: each state holding a slot belongs to the phase its name says", () => {
    const inFlight = TASK_MACHINE.states.filter((_, i) => IN_FLIGHT_PHASE[i] !== undefined);
    expect(sorted(inFlight)).toEqual(sorted(taskStates(HOLDS_SLOT)));
    for (const state of inFlight) {
      expect(IN_FLIGHT_PHASE[TASK_MACHINE.state[state]], state).toBe(phaseByName(state));
    }
  });

  it("INV-13: a settled run leaves a task never entered, or at an end of the table; torn down is the end of teardown", () => {
    const terminal = terminalInSpec();
    expect(sorted(terminal)).toEqual(["done", "postFailed", "skipped"]);
    expect(sorted(taskStates(AT_REST))).toEqual(sorted(["waiting", ...terminal]));
    // skipped, the other end, is reached without a teardown
    expect(sorted(taskStates(TORN_DOWN))).toEqual(["done", "postFailed"]);
  });

  it("taskStateIn reads a set by name, and is false for a name the table has not", () => {
    expect(taskStateIn(CANCELLABLE, "preRunning")).toBe(true);
    expect(taskStateIn(CANCELLABLE, "postRunning")).toBe(false);
    expect(taskStateIn(AT_REST, "constructor")).toBe(false);
    expect(taskStateIn(AT_REST, "toString")).toBe(false);
  });
});

describe("task events that begin a phase", () => {
  it("INV-1: each begins one phase, by starting it (taking a slot) or queueing it", () => {
    expect(sorted(STARTS_PHASE.keys())).toEqual(["startExec", "startPost", "startPre"]);
    expect(sorted(QUEUES_PHASE.keys())).toEqual(["queueExec", "queuePost", "queuePre"]);
    expect(STARTS_PHASE.size + QUEUES_PHASE.size).toBe(PHASE_EVENTS.size);
    for (const phase of PHASES) {
      expect([...STARTS_PHASE.values()].filter((p) => p === phase)).toHaveLength(1);
      expect([...QUEUES_PHASE.values()].filter((p) => p === phase)).toHaveLength(1);
    }
  });

  it("INV-1: every row of such an event leads to the same state; a queued phase's state starts it", () => {
    for (const [event, phase] of PHASE_EVENTS) {
      const targets = new Set(
        TASK_MACHINE.states.flatMap((s) => {
          const to = TASK_TRANSITIONS[s][event];
          return to === undefined ? [] : [to];
        }),
      );
      expect(targets.size, event).toBe(1);
      const to = [...targets][0]!;
      expect(phaseByName(to), event).toBe(phase);
    }
    for (const [event, phase] of STARTS_PHASE) {
      const queued = PHASE_QUEUED_STATE[phase];
      expect(queued).toMatch(/Queued$/);
      expect(TASK_TRANSITIONS[queued][event]).toBe(PHASE_RUNNING_STATE[phase]);
    }
  });
});

describe("attempt and run state sets", () => {
  it("INV-13, INV-27: an attempt's function is awaited while it is running, cancelling or settling", () => {
    const active = ATTEMPT_MACHINE.states.filter((_, i) => ATTEMPT_ACTIVE[i] === 1);
    expect(sorted(active)).toEqual(["cancelling", "running", "settling"]);
    expect(attemptStateIn(ATTEMPT_ACTIVE, "settling")).toBe(true);
    expect(attemptStateIn(ATTEMPT_ACTIVE, "abandoned")).toBe(false);
    expect(attemptStateIn(ATTEMPT_ACTIVE, "hasOwnProperty")).toBe(false);
  });

  it("INV-19: an abort moves the run from its start until cleanup; a failure only where an abort does", () => {
    const states = Object.keys(RUN_TRANSITIONS) as RunState[];
    const abortable = states.filter((s) => RUN_ABORTABLE[s]);
    expect(abortable).toEqual(["entering", "entered", "executing", "executed"]);
    // The engine's #failRun asks RUN_ABORTABLE for a failure too.
    for (const s of states) {
      if (RUN_TRANSITIONS[s].fail !== undefined) expect(RUN_ABORTABLE[s], s).toBe(true);
    }
  });

  it("INV-17: a run aborted before it started has the events the spec lists, and ends settled", () => {
    const sentence = /its events\s+are ((?:`\w+`,?\s*)+)/.exec(
      lifecycle.slice(lifecycle.indexOf("**INV-17")),
    );
    expect(sentence).not.toBeNull();
    const listed = [...sentence![1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    expect(ABORTED_AT_START).toEqual(listed);
    let state: RunState = "idle";
    for (const event of ABORTED_AT_START) state = RUN_TRANSITIONS[state][event]!;
    expect(state).toBe("settled");
  });
});
