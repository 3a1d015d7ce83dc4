/**
 * The names sdax gives its span attributes: stable, so dashboards and queries can rely on them.
 *
 * @example
 * const failed = exporter
 *   .getFinishedSpans()
 *   .filter((span) => span.attributes[SDAX_ATTRIBUTES.outcome] === "failed");
 */
export const SDAX_ATTRIBUTES = Object.freeze({
  /** Run span: how many tasks the workflow has. */
  tasks: "sdax.tasks",
  /** Phase span: the task's name. */
  task: "sdax.task",
  /** Phase span: `preExecute`, `execute` or `postExecute`. */
  phase: "sdax.phase",
  /** Phase span: the attempt's number, 1 for the first. */
  attempt: "sdax.attempt",
  /**
   * Phase span: `succeeded`, `failed`, `timedOut`, `cancelled` or `failedAfterCancel`. Run
   * span: `succeeded` or `failed`.
   */
  outcome: "sdax.outcome",
  /** Phase span: true when the engine stopped waiting for the attempt to settle. */
  abandoned: "sdax.abandoned",
  /** Run span: true when the run's signal, or its deadline, aborted it. */
  aborted: "sdax.aborted",
  /** Run span: how many phases failed. */
  failures: "sdax.failures",
  /** Retry event: the delay before the next attempt, in ms. */
  delayMs: "sdax.retry.delay_ms",
  /** Cancel, abort and retry events: the reason's or the error's message. */
  reason: "sdax.reason",
  /** Late settlement span: `fulfilled` or `rejected`. */
  settled: "sdax.settled",
} as const);

/**
 * The names of the span events sdax adds (besides OpenTelemetry's own `exception`).
 *
 * @example
 * const retries = runSpan.events.filter((event) => event.name === SDAX_EVENTS.retry);
 */
export const SDAX_EVENTS = Object.freeze({
  /** On a phase span: the run cancelled the attempt (its signal aborted). */
  cancel: "sdax.cancel",
  /** On a phase span: the attempt did not settle within `abandonAfterMs`; the span ends there. */
  abandon: "sdax.abandon",
  /** On the run span: a failed attempt will be retried after a delay. */
  retry: "sdax.retry",
  /** On the run span: the run's signal, or its deadline, aborted it. */
  abort: "sdax.abort",
} as const);
