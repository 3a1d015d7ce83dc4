import { type Context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { quoted } from "../errors/quoted.js";
import { callListener } from "../events/event-log.js";
import type {
  AttemptTransitionEvent,
  LifecycleEvent,
  RetryScheduledEvent,
  RunTransitionEvent,
} from "../events/lifecycle-event.js";
import type { Attempt } from "../functions/attempt.js";
import { attemptOf } from "../functions/attempt-scope.js";
import { fullAttemptOf } from "../functions/light-scope.js";
import type { TaskScope } from "../functions/task-scope.js";
import { SDAX_ATTRIBUTES as A, SDAX_EVENTS } from "./attributes.js";
import { exceptionOf, type RecordedException } from "./exception.js";
import { announceStart } from "./handshake.js";
import { PHASE_INDEX, type PhaseSlot, type TraceShape } from "./shape.js";

/** An attempt the engine stopped waiting for: its span ended; its late settlement may come. */
interface AbandonedAttempt {
  readonly slot: number;
  readonly attempt: number;
  readonly span: Span;
  /** The attempt's record, which holds the error of its late settlement as thrown. */
  readonly record: Attempt | undefined;
}

/**
 * The tracing of one run: its span, the span of each attempt running, and the run's `onEvent`
 * listener, which learns every outcome (success, failure, timeout, cancellation, retry,
 * abandonment) and passes each event on to the user's own listener first.
 *
 * The run span starts at the run's first event and ends when the run settles. An attempt's
 * span starts when its function is called and ends when the attempt has settled (its function
 * and every child it spawned), or when it is abandoned.
 */
export class RunTracer {
  readonly #shape: TraceShape;
  /** The context active where the run was started: the run span's parent. */
  readonly #parent: Context;
  readonly #user: ((event: LifecycleEvent) => void) | undefined;
  /** `undefined` until the run's first event; `null` if the tracer threw starting it. */
  #runSpan: Span | null | undefined;
  /** The parent context of every attempt's span: `#parent` with the run span. */
  #runContext: Context;
  /** Per phase slot: the span of the attempt running, and that attempt (its scope). */
  readonly #spans: (Span | undefined)[];
  readonly #scopes: (TaskScope | undefined)[];
  #abandoned: AbandonedAttempt[] | undefined;
  /** The message of the abort's reason (the signal's, or the run deadline's), once aborted. */
  #abortReason = "";

  constructor(
    shape: TraceShape,
    parent: Context,
    user: ((event: LifecycleEvent) => void) | undefined,
  ) {
    this.#shape = shape;
    this.#parent = parent;
    this.#runContext = parent;
    this.#user = user;
    this.#spans = new Array<Span | undefined>(shape.slots.length);
    this.#scopes = new Array<TaskScope | undefined>(shape.slots.length);
  }

  /**
   * The run's `onEvent`. The user's listener sees each event first, so that nothing it does
   * (even starting another traced run) comes between an attempt's `start` and its function's
   * call. An error it throws is rethrown as uncaught, as the engine would; one the tracing
   * throws (a tracer is user code) goes to the engine, which does the same.
   */
  readonly listener = (event: LifecycleEvent): void => {
    const user = this.#user;
    if (user === undefined) {
      this.#observe(event);
      return;
    }
    callListener(user, event); // as the engine calls a listener
    this.#observe(event);
  };

  /**
   * Starts the span of an attempt whose function is being called; returns the context to call
   * it in, so the spans the function starts are children of its attempt's span.
   */
  begin(slot: PhaseSlot, scope: TaskScope): Context {
    const attempt = scope.attempt;
    const options =
      attempt === 1 ? slot.first : { attributes: { ...slot.attributes, [A.attempt]: attempt } };
    const span = this.#shape.tracer.startSpan(slot.name, options, this.#runContext);
    this.#spans[slot.index] = span;
    this.#scopes[slot.index] = scope;
    return trace.setSpan(this.#runContext, span);
  }

  #observe(event: LifecycleEvent): void {
    if (event.type === "attempt") this.#onAttempt(event);
    else if (event.type === "run") this.#onRun(event);
    else if (event.type === "retry") this.#onRetry(event);
  }

  #onRun(event: RunTransitionEvent): void {
    let span = this.#runSpan;
    if (span === null) return; // the tracer threw starting it: that was reported, once
    if (span === undefined) {
      const shape = this.#shape;
      this.#runSpan = null; // until it has started: a tracer that throws is not asked again
      span = shape.tracer.startSpan(shape.runName, shape.runOptions, this.#parent);
      this.#runSpan = span;
      this.#runContext = trace.setSpan(this.#parent, span);
    }
    if (event.event === "abort") {
      this.#abortReason = event.reason?.message ?? "";
      span.addEvent(SDAX_EVENTS.abort, { [A.reason]: this.#abortReason });
    }
    if (event.to !== "settled") return;
    // The span ends even if the tracer throws decorating it (the error still surfaces).
    try {
      const failures = event.failures ?? [];
      span.setAttribute(A.outcome, event.outcome ?? "succeeded");
      span.setAttribute(A.aborted, event.aborted === true);
      span.setAttribute(A.failures, failures.length);
      if (event.outcome === "failed") {
        const first = failures[0];
        const message =
          first === undefined
            ? `the run was aborted: ${this.#abortReason}`
            : `task ${quoted(first.task)} ${first.phase} failed: ${first.error.message}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ""}`;
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
    } finally {
      span.end();
    }
  }

  #onRetry(event: RetryScheduledEvent): void {
    this.#runSpan?.addEvent(SDAX_EVENTS.retry, {
      [A.task]: event.task,
      [A.phase]: event.phase,
      [A.attempt]: event.attempt,
      [A.delayMs]: event.delayMs,
      [A.reason]: event.error.message,
    });
  }

  #onAttempt(event: AttemptTransitionEvent): void {
    if (event.event === "start") {
      announceStart(this); // the engine calls the attempt's function right after this event
      return;
    }
    const task = this.#shape.taskIndex.get(event.task);
    if (task === undefined) return;
    const slot = task * 3 + PHASE_INDEX[event.phase];
    if (event.event === "lateSettle") {
      this.#lateSettle(slot, event);
      return;
    }
    const scope = this.#scopes[slot];
    // No span for this attempt: a retry cancelled while it waited out its delay never ran.
    if (scope === undefined || scope.attempt !== event.attempt) return;
    const span = this.#spans[slot]!;
    switch (event.event) {
      case "succeed":
        try {
          span.setAttribute(A.outcome, "succeeded");
        } finally {
          this.#end(slot, span);
        }
        return;
      case "fail":
        this.#failed(
          span,
          event.from === "cancelling" ? "failedAfterCancel" : "failed",
          scope,
          event,
        );
        return;
      case "timeout":
        this.#failed(span, "timedOut", scope, event);
        return;
      case "cancel":
        span.setAttribute(A.outcome, "cancelled");
        span.addEvent(SDAX_EVENTS.cancel, { [A.reason]: event.error?.message ?? "" });
        return;
      case "settle":
        try {
          // An error of the attempt's own that came after its outcome was decided.
          if (event.error !== undefined) span.recordException(thrownBy(recordOf(scope), event));
        } finally {
          this.#end(slot, span);
        }
        return;
      case "abandon":
        this.#abandoned ??= [];
        this.#abandoned.push({ slot, attempt: event.attempt, span, record: recordOf(scope) });
        try {
          span.setAttribute(A.abandoned, true);
          span.addEvent(SDAX_EVENTS.abandon);
        } finally {
          this.#end(slot, span);
        }
        return;
    }
  }

  /**
   * A failure or a timeout: the attempt's own error (as thrown, with its stack) is recorded.
   * The scope the engine passed leads to the attempt (for a light one, to the full attempt that
   * took over when it failed), which holds that error; the event only carries a description
   * of it.
   */
  #failed(span: Span, outcome: string, scope: TaskScope, event: AttemptTransitionEvent): void {
    span.setAttribute(A.outcome, outcome);
    const exception = thrownBy(recordOf(scope), event);
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
  }

  #end(slot: number, span: Span): void {
    this.#spans[slot] = undefined; // first: a tracer's end() may throw
    this.#scopes[slot] = undefined;
    span.end();
  }

  /**
   * An abandoned attempt settled at last. Its span has ended, so the settlement is a span of
   * its own, a child of it, of no duration: `<task> <phase> late settlement`.
   */
  #lateSettle(slot: number, event: AttemptTransitionEvent): void {
    const abandoned = this.#abandoned;
    const at = abandoned?.findIndex((a) => a.slot === slot && a.attempt === event.attempt) ?? -1;
    if (abandoned === undefined || at < 0) return;
    const { span, record } = abandoned[at]!;
    abandoned.splice(at, 1);
    const late = this.#shape.tracer.startSpan(
      `${this.#shape.slots[slot]!.name} late settlement`,
      {
        attributes: {
          [A.task]: event.task,
          [A.phase]: event.phase,
          [A.attempt]: event.attempt,
          [A.settled]: event.error === undefined ? "fulfilled" : "rejected",
        },
      },
      trace.setSpan(this.#runContext, span),
    );
    try {
      if (event.error !== undefined) late.recordException(thrownBy(record, event));
    } finally {
      late.end();
    }
  }
}

/** The attempt record a scope leads to: for a light attempt, the full one that took over. */
function recordOf(scope: TaskScope): Attempt | undefined {
  return fullAttemptOf(scope) ?? attemptOf(scope);
}

/** The error an attempt event carries, as thrown (with its stack) where the record has it. */
function thrownBy(record: Attempt | undefined, event: AttemptTransitionEvent): RecordedException {
  if (record !== undefined) return exceptionOf(record.eventError);
  return event.error ?? { name: "Error", message: "" };
}
