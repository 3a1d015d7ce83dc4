/**
 * sdax/testing: explore how your own workflow copes with failures. Runs it many times with
 * faults injected into its functions and checks, after every run, what your cleanup did.
 * @packageDocumentation
 */

export { exploreFailures, replayFailure } from "./explore.js";
export type { Fault, FaultKind, FaultPhase } from "./fault.js";
export { FAULT_KINDS, InjectedFaultError, isInjectedFaultError } from "./fault.js";
export { StalledRunError } from "./stalled-run-error.js";
export type {
  ExplorationResult,
  ExploredRun,
  ExploreOptions,
  Replay,
  RunOutcome,
  RunSetup,
  Violation,
} from "./types.js";
