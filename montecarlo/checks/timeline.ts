/**
 * One run's function log and trace, indexed per task and per attempt: when each function
 * attempt began and ended (from the log: what the functions saw), and when the engine entered,
 * skipped, abandoned and finished things (from the trace). Positions are comparable: a log
 * record's position is the number of events emitted before it.
 */

import { phaseIndex } from "../../src/functions/phase-name.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { BEGIN, keyOf } from "../run-context.js";

const NONE = -1;

export class Timeline {
  readonly tasks: number;
  /** Per attempt key: position of its (first) begin / end. */
  readonly begin = new Map<number, number>();
  readonly end = new Map<number, number>();
  /** Attempt keys that began more than once (INV-16). */
  readonly doubleBegin: number[] = [];
  /** Per attempt key: seq of the engine's `abandon` attempt event. */
  readonly abandon = new Map<number, number>();
  /** Per slot: the highest attempt number that began (0: none). */
  readonly lastAttempt: Uint8Array;
  /** Per slot: seq of the task's `succeed` event for that phase, or -1. */
  readonly succeedSeq: Int32Array;
  /** Per slot: seq of the task's `cancel` event for that phase, or -1. */
  readonly cancelSeq: Int32Array;
  /** Attempt keys a `retry` event was reported for. */
  readonly retried = new Set<number>();
  /**
   * Per attempt key: the seq of its first `timeout`, `fail` or `abandon` event (its outcome
   * decided otherwise than by success or cancellation, or its function given up).
   */
  readonly decided = new Map<number, number>();
  /** Per attempt key: the seq and time of its `cancel` event from `running`. */
  readonly runningCancel = new Map<number, { readonly seq: number; readonly at: number }>();
  /** Per task: seq of its `enter`, `skip`, `finish` event, or -1. */
  readonly enterSeq: Int32Array;
  readonly skipSeq: Int32Array;
  readonly finishSeq: Int32Array;
  /** Seq of the run's `-> settled` event, or -1. */
  readonly settledSeq: number;

  constructor(built: BuiltWorkflow, record: RunRecord) {
    const n = built.names.length;
    this.tasks = n;
    this.lastAttempt = new Uint8Array(n * 3);
    this.succeedSeq = new Int32Array(n * 3).fill(NONE);
    this.cancelSeq = new Int32Array(n * 3).fill(NONE);
    this.enterSeq = new Int32Array(n).fill(NONE);
    this.skipSeq = new Int32Array(n).fill(NONE);
    this.finishSeq = new Int32Array(n).fill(NONE);
    const log = record.ctx.log;
    for (let i = 0; i < log.length; i += 3) {
      const pos = log[i]!;
      const key = log[i + 1]!;
      if (log[i + 2] === BEGIN) {
        if (this.begin.has(key)) this.doubleBegin.push(key);
        else this.begin.set(key, pos);
        const slot = Math.floor(key / 16);
        const attempt = key % 16;
        if (attempt > this.lastAttempt[slot]!) this.lastAttempt[slot] = attempt;
      } else if (!this.end.has(key)) {
        this.end.set(key, pos);
      }
    }
    let settled = NONE;
    const indexOf = built.indexOf;
    for (const e of record.ctx.events) {
      if (e.type === "run") {
        if (e.to === "settled") settled = e.seq;
        continue;
      }
      if (e.type === "attempt") {
        const t = indexOf.get(e.task);
        if (t === undefined) continue;
        const key = keyOf(t * 3 + phaseIndex(e.phase), e.attempt);
        if (e.event === "abandon") this.abandon.set(key, e.seq);
        else if (e.event === "cancel" && e.from === "running") this.runningCancel.set(key, e);
        if (
          (e.event === "timeout" || e.event === "fail" || e.event === "abandon") &&
          !this.decided.has(key)
        ) {
          this.decided.set(key, e.seq);
        }
        continue;
      }
      if (e.type === "retry") {
        const t = indexOf.get(e.task);
        if (t !== undefined) this.retried.add(keyOf(t * 3 + phaseIndex(e.phase), e.attempt));
        continue;
      }
      if (e.type !== "task") continue;
      const t = indexOf.get(e.task);
      if (t === undefined) continue;
      switch (e.event) {
        case "enter":
          this.enterSeq[t] = e.seq;
          break;
        case "skip":
          this.skipSeq[t] = e.seq;
          break;
        case "finish":
          this.finishSeq[t] = e.seq;
          break;
        case "succeed":
          if (e.phase !== undefined) this.succeedSeq[t * 3 + phaseIndex(e.phase)] = e.seq;
          break;
        case "cancel":
          if (e.phase !== undefined) this.cancelSeq[t * 3 + phaseIndex(e.phase)] = e.seq;
          break;
        default:
          break;
      }
    }
    this.settledSeq = settled;
  }

  /** When the attempt stopped counting as running: its end, or its abandonment, whichever first. */
  over(key: number): number | undefined {
    const end = this.end.get(key);
    const abandoned = this.abandon.get(key);
    if (end === undefined) return abandoned;
    return abandoned === undefined ? end : Math.min(end, abandoned);
  }

  /** Position where a task was entered: its first preExecute call, `enter` or `skip`; or -1. */
  entry(task: number, hasPre: boolean): number {
    if (hasPre) {
      const b = this.begin.get(keyOf(task * 3, 1));
      if (b !== undefined) return b;
      return this.skipSeq[task]!;
    }
    return this.enterSeq[task]!;
  }

  /**
   * Position where a task completed preExecute (its last attempt's function ended, and the
   * engine then reported `succeed`), or the `enter` of a task without one; -1 if never.
   */
  ready(task: number, hasPre: boolean): number {
    if (!hasPre) return this.enterSeq[task]!;
    const slot = task * 3;
    if (this.succeedSeq[slot] === NONE) return NONE;
    return this.end.get(keyOf(slot, this.lastAttempt[slot]!)) ?? NONE;
  }

  /** Position where a task's teardown began: its first postExecute call, or `finish`; or -1. */
  teardownStart(task: number, hasPost: boolean): number {
    if (!hasPost) return this.finishSeq[task]!;
    return this.begin.get(keyOf(task * 3 + 2, 1)) ?? NONE;
  }

  /** Position where a task's teardown was over: its last postExecute attempt over, or `finish`. */
  teardownDone(task: number, hasPost: boolean): number {
    if (!hasPost) return this.finishSeq[task]!;
    const slot = task * 3 + 2;
    const last = this.lastAttempt[slot]!;
    if (last === 0) return NONE;
    return this.over(keyOf(slot, last)) ?? NONE;
  }
}

export { NONE };
