import { quoted } from "../errors/quoted.js";
import type { AttemptTransitionEvent } from "../events/lifecycle-event.js";
import { ATTEMPT_TRANSITIONS, type AttemptState } from "../lifecycle/attempt-states.js";
import {
  early,
  hasKey,
  isActive,
  PHASES,
  POST,
  runningStateOf,
  timeOf,
} from "./phases-and-states.js";
import { type AttemptRecord, attemptKey, type ReplayState } from "./replay-state.js";
import type { RetryReplay } from "./retry-replay.js";

/**
 * Attempts (INV-12, INV-16, INV-20 .. INV-27): each attempt follows the attempt table; attempts
 * are numbered 1, 2, ... inside their phase's one start, one at a time, after a retry event;
 * timeouts and abandonment come no earlier than their settings allow.
 */
export class AttemptReplay<T> {
  readonly #state: ReplayState<T>;
  readonly #retries: RetryReplay<T>;

  constructor(state: ReplayState<T>, retries: RetryReplay<T>) {
    this.#state = state;
    this.#retries = retries;
  }

  onAttempt(e: AttemptTransitionEvent): void {
    const state = this.#state;
    const located = state.locatePhase(e, "attempt", e);
    if (located === undefined) return;
    const { node, p } = located;
    const key = attemptKey(e.task, e.phase, e.attempt);
    const record = state.attempts.get(key);
    const from: AttemptState = record?.state ?? "idle";
    if (e.from !== from) {
      state.report(
        "INV-20",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase}: ${e.from} --${e.event}--> but the attempt was ${from}`,
        [e],
      );
    }
    const row = ATTEMPT_TRANSITIONS[from] as Partial<Record<string, AttemptState>>;
    let to = hasKey(row, e.event) ? row[e.event] : undefined;
    if (to === undefined) {
      state.report(
        "INV-20",
        `illegal attempt transition ${from} --${e.event}--> for attempt ${e.attempt} of ${quoted(e.task)} ${e.phase}`,
        [e],
      );
      to = hasKey(ATTEMPT_TRANSITIONS, e.to) ? e.to : from;
    } else if (e.to !== to) {
      state.report(
        "INV-20",
        `attempt ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    const k = node * 3 + p;
    let current = record;
    if (e.event === "start") {
      this.#onStart(e, node, p);
      current = this.#newRecord(to, e);
      state.attempts.set(key, current);
      if (e.attempt > state.lastAttempt[k]!) state.lastAttempt[k] = e.attempt;
    } else if (current === undefined) {
      current = this.#newRecord(to, e);
      state.attempts.set(key, current);
    }
    if (e.event === "fail" && from === "cancelling") {
      this.#onFailAfterCancel(e, current);
    } else if (
      e.event === "succeed" ||
      e.event === "fail" ||
      e.event === "timeout" ||
      e.event === "cancel"
    ) {
      current.decidedBy = e.event;
      current.decidedAt = timeOf(e);
    }
    if (e.event === "delay") this.#retries.onDelay(e, k);
    if (e.event === "cancel") {
      if (p === POST) {
        state.report(
          "INV-12",
          `the postExecute of ${quoted(e.task)} (attempt ${e.attempt}) was cancelled; only its own timeout may abort it`,
          [e],
        );
      } else if (state.runState !== "failing") {
        state.report(
          "INV-4",
          `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} was cancelled while the run was ${state.runState}`,
          [e],
        );
      }
    }
    if (e.event === "timeout") this.#checkTimeout(e, node, p, current);
    if (e.event === "abandon") this.#checkAbandon(e, node, p, current);
    const wasActive = isActive(from);
    const nowActive = isActive(to);
    if (p !== POST && wasActive !== nowActive) state.activeAttempts += nowActive ? 1 : -1;
    if (e.event === "settle" || e.event === "abandon") current.endIndex = state.index;
    current.lastIndex = state.index;
    current.state = to;
  }

  /** INV-32: a cancelled attempt's own failure is not its cancellation echoed back. */
  #onFailAfterCancel(e: AttemptTransitionEvent, record: AttemptRecord): void {
    record.failedAfterCancel = true;
    const name = (e.error as { name?: unknown } | undefined)?.name;
    if (name === "AbortError") {
      this.#state.report(
        "INV-32",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} failed after its cancellation with an AbortError, which is the cancellation itself`,
        [e],
      );
    }
  }

  #newRecord(state: AttemptState, e: AttemptTransitionEvent): AttemptRecord {
    return {
      state,
      startIndex: this.#state.index,
      startAt: timeOf(e),
      decidedBy: undefined,
      decidedAt: timeOf(e),
      lastIndex: this.#state.index,
    };
  }

  #onStart(e: AttemptTransitionEvent, node: number, p: number): void {
    const state = this.#state;
    const k = node * 3 + p;
    const name = e.task;
    if (state.taskState[node] !== runningStateOf(p)) {
      state.report(
        "INV-16",
        `attempt ${e.attempt} of ${quoted(name)} ${e.phase} started while the task was ${state.taskState[node]}; attempts run only inside the phase's one start`,
        [e],
      );
    }
    if (state.cancelled[k] === 1) {
      state.report(
        "INV-23",
        `attempt ${e.attempt} of ${quoted(name)} ${e.phase} started after the phase was cancelled`,
        [e],
      );
    }
    const last = state.lastAttempt[k]!;
    if (e.attempt !== last + 1) {
      state.report(
        "INV-20",
        `attempt ${e.attempt} of ${quoted(name)} ${e.phase} started after attempt ${last}; attempts are numbered 1, 2, ...`,
        [e],
      );
    }
    if (e.attempt > 1) {
      this.#retries.checkRetryBefore(e, k);
      if (e.from !== "delayed") {
        state.report(
          "INV-36",
          `attempt ${e.attempt} of ${quoted(name)} ${e.phase} started from ${e.from}; a retry starts only from delayed`,
          [e],
        );
      }
      const prev = state.attempt(name, e.phase, e.attempt - 1);
      if (prev !== undefined && isActive(prev.state)) {
        state.report(
          "INV-25",
          `attempt ${e.attempt} of ${quoted(name)} ${e.phase} started while attempt ${e.attempt - 1} was still ${prev.state}`,
          [state.events[prev.startIndex]!, e],
        );
      }
      const fn = state.plan.tasks[node]![PHASES[p]!];
      if (fn !== undefined && e.attempt > fn.retries + 1) {
        state.report(
          "INV-21",
          `attempt ${e.attempt} of ${quoted(name)} ${e.phase} exceeds its retries (${fn.retries})`,
          [e],
        );
      }
    }
  }

  #checkTimeout(e: AttemptTransitionEvent, node: number, p: number, record: AttemptRecord): void {
    const state = this.#state;
    const fn = state.plan.tasks[node]![PHASES[p]!];
    if (fn === undefined) return;
    if (fn.timeoutMs === null) {
      state.report(
        "INV-26",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} timed out but has no timeoutMs`,
        [e],
      );
    } else if (early(timeOf(e), record.startAt + fn.timeoutMs)) {
      state.report(
        "INV-26",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} timed out after ${e.at - record.startAt} ms; its timeoutMs is ${fn.timeoutMs}`,
        [state.events[record.startIndex]!, e],
      );
    }
  }

  #checkAbandon(e: AttemptTransitionEvent, node: number, p: number, record: AttemptRecord): void {
    const state = this.#state;
    const wait = state.plan.tasks[node]![PHASES[p]!]?.abandonAfterMs;
    if (wait === null) {
      state.report(
        "INV-27",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} was abandoned although its abandonAfterMs is null (wait for ever)`,
        [e],
      );
    } else if (typeof wait === "number" && early(timeOf(e), record.decidedAt + wait)) {
      state.report(
        "INV-27",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} was abandoned ${e.at - record.decidedAt} ms after its outcome was decided; its abandonAfterMs is ${wait}`,
        [state.events[record.startIndex]!, e],
      );
    }
  }
}
