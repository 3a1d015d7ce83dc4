/**
 * The Python seed's first two checks, stated directly over what the functions saw:
 *
 * - **Up in order**: a task is entered (its preExecute called, or entered without one, or
 *   skipped) only after every task it depends on completed preExecute; in levels mode, after
 *   every task of every lower level did (INV-2).
 * - **Down in reverse order**: a task's teardown (its postExecute called, or finished without
 *   one) begins only after every task depending on it that was torn down is over (its last
 *   postExecute attempt ended or was abandoned); in levels mode, every such task of every
 *   higher level (INV-10).
 */
import type { BuiltWorkflow } from "../build.js";
import { NONE, type Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

export function checkOrder(built: BuiltWorkflow, tl: Timeline): Violation[] {
  return built.spec.mode === "levels" ? levelOrder(built, tl) : graphOrder(built, tl);
}

function levelOrder(built: BuiltWorkflow, tl: Timeline): Violation[] {
  const out: Violation[] = [];
  const tasks = built.spec.tasks;
  // Group task indices by level, lowest first.
  const byLevel = new Map<number, number[]>();
  tasks.forEach((t, i) => {
    const l = t.level ?? 0;
    const list = byLevel.get(l);
    if (list === undefined) byLevel.set(l, [i]);
    else list.push(i);
  });
  const levels = [...byLevel.keys()].sort((a, b) => a - b);
  // Up: latest readiness of everything below, level by level.
  let below = NONE; // max ready position of all lower levels
  let belowComplete = true;
  let belowName = "";
  for (const level of levels) {
    const members = byLevel.get(level)!;
    for (const i of members) {
      const entry = tl.entry(i, hasPhase(built, i, "preExecute"));
      if (entry === NONE) continue;
      if (!belowComplete || entry <= below) {
        out.push({
          invariant: "INV-2",
          source: "direct",
          message: `levels go up in order: task "${built.names[i]}" (level ${level}) was entered at event ${entry} before task "${belowName}" of a lower level completed preExecute${belowComplete ? ` (at ${below})` : " (it never did)"}`,
        });
        return out;
      }
    }
    for (const i of members) {
      const ready = tl.ready(i, hasPhase(built, i, "preExecute"));
      if (ready === NONE) {
        if (belowComplete) belowName = built.names[i]!;
        belowComplete = false;
      } else if (ready > below) {
        below = ready;
        if (belowComplete) belowName = built.names[i]!;
      }
    }
  }
  // Down: earliest teardown over of everything above must come before each teardown start.
  let above = NONE; // max teardown-done position of all higher levels
  let aboveName = "";
  for (let li = levels.length - 1; li >= 0; li--) {
    const members = byLevel.get(levels[li]!)!;
    for (const i of members) {
      const start = tl.teardownStart(i, hasPhase(built, i, "postExecute"));
      if (start === NONE) continue;
      if (above !== NONE && start <= above) {
        out.push({
          invariant: "INV-10",
          source: "direct",
          message: `levels come down in reverse order: task "${built.names[i]}" (level ${levels[li]}) began teardown at event ${start} before task "${aboveName}" of a higher level was over (at ${above})`,
        });
        return out;
      }
    }
    for (const i of members) {
      const post = hasPhase(built, i, "postExecute");
      if (tl.teardownStart(i, post) === NONE) continue;
      const done = tl.teardownDone(i, post);
      if (done === NONE) {
        above = Number.MAX_SAFE_INTEGER;
        aboveName = built.names[i]!;
      } else if (done > above) {
        above = done;
        aboveName = built.names[i]!;
      }
    }
  }
  return out;
}

function graphOrder(built: BuiltWorkflow, tl: Timeline): Violation[] {
  const out: Violation[] = [];
  const tasks = built.spec.tasks;
  for (let i = 0; i < tasks.length; i++) {
    const deps = tasks[i]!.deps ?? [];
    const entry = tl.entry(i, hasPhase(built, i, "preExecute"));
    const start = tl.teardownStart(i, hasPhase(built, i, "postExecute"));
    for (const dep of deps) {
      const d = built.indexOf.get(dep)!;
      if (entry !== NONE) {
        const ready = tl.ready(d, hasPhase(built, d, "preExecute"));
        if (ready === NONE || ready >= entry) {
          out.push({
            invariant: "INV-2",
            source: "direct",
            message: `dependencies first: task "${built.names[i]}" was entered at event ${entry} before its dependency "${dep}" completed preExecute${ready === NONE ? " (it never did)" : ` (at ${ready})`}`,
          });
        }
      }
      // Reverse: this task is a dependent of `d`; d's teardown must wait for ours to be over.
      const depStart = tl.teardownStart(d, hasPhase(built, d, "postExecute"));
      if (start !== NONE && depStart !== NONE) {
        const done = tl.teardownDone(i, hasPhase(built, i, "postExecute"));
        if (done === NONE || done >= depStart) {
          out.push({
            invariant: "INV-10",
            source: "direct",
            message: `reverse dependency order: task "${dep}" began teardown at event ${depStart} before its dependent "${built.names[i]}" was over${done === NONE ? " (it never was)" : ` (at ${done})`}`,
          });
        }
      }
    }
    if (out.length > 0) return out;
  }
  return out;
}

export function hasPhase(
  built: BuiltWorkflow,
  task: number,
  phase: "preExecute" | "execute" | "postExecute",
): boolean {
  return built.spec.tasks[task]!.phases[phase] !== undefined;
}
