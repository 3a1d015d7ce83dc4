/**
 * Cancellation as the functions saw it (spec INV-4, INV-23), stated directly:
 *
 * - No attempt of a phase is called after that phase was cancelled (its task `cancel` event):
 *   not a retry waiting out its delay, nor one whose delay timer fires late (a clock that
 *   cannot clear it) or early (a clock that calls back inside `setTimeout`).
 * - A postExecute's signal aborts only once its own attempt timed out or failed (a child that
 *   rejected, a clock that threw): never by a failure elsewhere or the external signal (INV-12).
 * - A running attempt that is cancelled has its signal aborted, with a cancellation (not a
 *   timeout), at its cancellation: a function still waiting on its signal (sleeping, hanging,
 *   rolling back, or with children pending) sees it abort then (at the same virtual time),
 *   a cancelled attempt 2 after a retry included.
 */
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { PHASES } from "../model.js";
import { attemptOfKey, BEGIN, slotOfKey } from "../run-context.js";
import { NONE, type Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

/** Behaviours that wait on their signal until they end. */
const LISTENING = new Set(["slow", "hang", "rollback", "spawn"]);

export function checkCancellation(
  built: BuiltWorkflow,
  tl: Timeline,
  record: RunRecord,
): Violation[] {
  const out: Violation[] = [];
  const what = (key: number): string => {
    const slot = slotOfKey(key);
    return `task "${built.names[Math.floor(slot / 3)]}" ${PHASES[slot % 3]} attempt ${attemptOfKey(key)}`;
  };
  const log = record.ctx.log;
  for (let i = 0; i < log.length; i += 3) {
    if (log[i + 2] !== BEGIN) continue;
    const key = log[i + 1]!;
    const cancelled = tl.cancelSeq[slotOfKey(key)]!;
    if (cancelled !== NONE && log[i]! > cancelled) {
      out.push({
        invariant: "INV-23",
        source: "direct",
        message: `${what(key)} was called after its phase was cancelled (event ${cancelled})`,
      });
    }
  }
  for (const [key, abort] of record.ctx.aborts) {
    if (slotOfKey(key) % 3 !== 2) continue;
    const decided = tl.decided.get(key);
    if (decided === undefined || decided >= abort.pos) {
      out.push({
        invariant: "INV-12",
        source: "direct",
        message: `${what(key)}: its signal aborted (after event ${abort.pos - 1}) though the attempt had neither timed out nor failed`,
      });
    }
  }
  const virtual = !built.spec.realTimers;
  for (const [key, cancel] of tl.runningCancel) {
    const b = record.ctx.scripts[slotOfKey(key)]?.[attemptOfKey(key) - 1];
    if (b === undefined || !LISTENING.has(b.k)) continue;
    const end = tl.end.get(key);
    if (end !== undefined && end <= cancel.seq) continue; // it had ended: nobody listened
    const abort = record.ctx.aborts.get(key);
    if (abort === undefined) {
      out.push({
        invariant: "INV-4",
        source: "direct",
        message: `${what(key)} was cancelled (event ${cancel.seq}) while its function waited on its signal, but the signal never aborted`,
      });
    } else if (abort.timeout || abort.pos <= cancel.seq || (virtual && abort.at !== cancel.at)) {
      out.push({
        invariant: "INV-4",
        source: "direct",
        message: `${what(key)} was cancelled (event ${cancel.seq}, at ${cancel.at} ms), but its signal aborted ${abort.timeout ? "with its timeout" : `at ${abort.at} ms, after event ${abort.pos - 1}`}`,
      });
    }
  }
  return out;
}
