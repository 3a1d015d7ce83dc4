/**
 * sdax: structured, declarative, parallel async execution.
 *
 * The public surface: everything a user imports comes from here, by name.
 * @packageDocumentation
 */

export type { BuildOptions } from "./builders/build-options.js";
export type { GraphBuilder } from "./builders/graph-builder.js";
export type { LevelBuilder } from "./builders/level-builder.js";
export type { AsyncTask, TaskPhases } from "./builders/task.js";
export { isAsyncTask, join, task } from "./builders/task.js";
export type { BuildErrorCode } from "./errors/build-error.js";
export { isSdaxBuildError, SdaxBuildError } from "./errors/build-error.js";
export type { ErrorInfo } from "./errors/describe-error.js";
export type { SdaxExecutionErrorJSON, TaskFailure } from "./errors/execution-error.js";
export { isSdaxExecutionError, SdaxExecutionError } from "./errors/execution-error.js";
export { flattenErrors } from "./errors/flatten-errors.js";
export {
  isRetryable,
  isTaskTimeoutError,
  RetryableError,
  TaskTimeoutError,
} from "./errors/retryable-error.js";
export type {
  AbortedBy,
  AttemptTransitionEvent,
  FailureInfo,
  LifecycleEvent,
  RetryScheduledEvent,
  RunAbortEvent,
  RunSettledEvent,
  RunStartEvent,
  RunStepEvent,
  RunTransitionEvent,
  TaskEntryEvent,
  TaskFailEvent,
  TaskPhaseEvent,
  TaskSucceedEvent,
  TaskTransitionEvent,
} from "./events/lifecycle-event.js";
export type { TaskFunctionOptions } from "./functions/options.js";
export { MAX_TIMER_MS } from "./functions/options.js";
export type { PhaseName } from "./functions/phase-name.js";
export type { PhaseFn, TaskFn, TaskFunction } from "./functions/task-function.js";
export { isTaskFunction, taskFunc } from "./functions/task-function.js";
export type { TaskScope } from "./functions/task-scope.js";
export type { AttemptEvent, AttemptState } from "./lifecycle/attempt-states.js";
export { ATTEMPT_TRANSITIONS } from "./lifecycle/attempt-states.js";
export { IllegalTransitionError } from "./lifecycle/illegal-transition-error.js";
export type { RunEvent, RunState } from "./lifecycle/run-states.js";
export { RUN_TRANSITIONS } from "./lifecycle/run-states.js";
export type { TaskEvent, TaskState } from "./lifecycle/task-states.js";
export { TASK_TRANSITIONS } from "./lifecycle/task-states.js";
export { PhaseRunner } from "./phase-runner.js";
export type { TaskDescription } from "./processor.js";
export { AsyncTaskProcessor } from "./processor.js";
export type { RunOptions } from "./scheduler/run-options.js";
export type { PhaseAttempts, RunReport } from "./scheduler/run-report.js";
export type { Clock } from "./time/clock.js";
export { realClock } from "./time/clock.js";
export { VirtualClock } from "./time/virtual-clock.js";
export type { TraceViolation } from "./verify/check-trace.js";
export { checkTrace } from "./verify/check-trace.js";
export type { PhaseCounts, WorkflowAnalysis } from "./visualize/analysis.js";
export type { FlowchartOptions } from "./visualize/flowchart.js";
export { ganttFromEvents } from "./visualize/gantt.js";
