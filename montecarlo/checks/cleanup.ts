/**
 * The Python seed's third check, "every started task is cleaned up", stated directly over what
 * the functions saw, with the rules around it:
 *
 * - a task whose preExecute was called, or that was entered without one, is torn down exactly
 *   once (its postExecute called once, or `finish`ed), and that teardown is over before the
 *   run settles (INV-7, INV-8); no other task is torn down (INV-9);
 * - a task's postExecute is called only once its own preExecute and execute functions ended
 *   or were abandoned (INV-11);
 * - when the run settles, every function it called has ended or was abandoned (INV-13);
 * - no attempt of any phase is called twice (INV-16).
 */
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { BEGIN, END_FAIL, END_OK, keyOf } from "../run-context.js";
import { hasPhase } from "./order.js";
import { NONE, type Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

const PHASE = ["preExecute", "execute", "postExecute"] as const;

export function checkCleanup(built: BuiltWorkflow, tl: Timeline, record: RunRecord): Violation[] {
  const out: Violation[] = [];
  const name = (i: number): string => built.names[i]!;
  for (const key of tl.doubleBegin) {
    const slot = Math.floor(key / 16);
    out.push({
      invariant: "INV-16",
      source: "direct",
      message: `task "${name(Math.floor(slot / 3))}" ${PHASE[slot % 3]} attempt ${key % 16} was called twice`,
    });
  }
  for (let i = 0; i < tl.tasks; i++) {
    const pre = hasPhase(built, i, "preExecute");
    const post = hasPhase(built, i, "postExecute");
    const preCalled = tl.begin.has(keyOf(i * 3, 1));
    const eligible = pre ? preCalled : tl.enterSeq[i] !== NONE;
    const start = tl.teardownStart(i, post);
    const what = pre ? "its preExecute was called" : "it was entered without a preExecute";
    if (eligible && start === NONE) {
      out.push({
        invariant: pre ? "INV-7" : "INV-8",
        source: "direct",
        message: `every started task is cleaned up: task "${name(i)}" was never torn down though ${what}`,
      });
      continue;
    }
    if (!eligible && start !== NONE) {
      out.push({
        invariant: "INV-9",
        source: "direct",
        message: `task "${name(i)}" was torn down though ${pre ? "its preExecute was never called" : "it was never entered"}`,
      });
      continue;
    }
    if (start === NONE) continue;
    const done = tl.teardownDone(i, post);
    if (tl.settledSeq !== NONE && (done === NONE || done > tl.settledSeq)) {
      out.push({
        invariant: "INV-13",
        source: "direct",
        message: `task "${name(i)}" teardown was not over when the run settled (event ${tl.settledSeq})`,
      });
    }
    if (!post) continue;
    for (const slot of [i * 3, i * 3 + 1]) {
      const last = tl.lastAttempt[slot]!;
      for (let a = 1; a <= last; a++) {
        const over = tl.over(keyOf(slot, a));
        if (over === undefined || over >= start) {
          out.push({
            invariant: "INV-11",
            source: "direct",
            message: `own phases first: task "${name(i)}" postExecute was called at event ${start} while its ${PHASE[slot % 3]} attempt ${a} was still running`,
          });
        }
      }
    }
  }
  out.push(...orphans(built, tl, record));
  return out;
}

/** Functions still running, and not abandoned, when the run's `-> settled` event came. */
function orphans(built: BuiltWorkflow, tl: Timeline, record: RunRecord): Violation[] {
  const at = record.settledAt;
  if (at === undefined) return [];
  const open = new Set<number>();
  const log = record.ctx.log;
  for (let i = 0; i < at.log; i += 3) {
    const key = log[i + 1]!;
    const kind = log[i + 2]!;
    if (kind === BEGIN) open.add(key);
    else if (kind === END_OK || kind === END_FAIL) open.delete(key);
  }
  const out: Violation[] = [];
  for (const key of open) {
    const abandoned = tl.abandon.get(key);
    if (abandoned !== undefined && abandoned < at.seq) continue;
    const slot = Math.floor(key / 16);
    out.push({
      invariant: "INV-13",
      source: "direct",
      message: `no orphans: the run settled (event ${at.seq}) while task "${built.names[Math.floor(slot / 3)]}" ${PHASE[slot % 3]} attempt ${key % 16} was still running and not abandoned`,
    });
  }
  return out;
}
