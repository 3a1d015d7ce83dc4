import { callListener } from "../events/event-log.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { AsyncTaskProcessor } from "../processor.js";
import type { RunOptions } from "../scheduler/run-options.js";
import { fireNextTimer, flushPromises, type VirtualClock } from "../time/virtual-clock.js";
import { type Fault, faultsKey } from "./fault.js";
import { injectFaults } from "./inject.js";
import { hashString, seededRandom } from "./random.js";
import { StalledRunError } from "./stalled-run-error.js";
import type { RunOutcome } from "./types.js";
import { type RunningAttempt, RunWatch } from "./watch.js";

/** How one driven run ended. */
export type DrivenRun =
  | {
      readonly state: "settled";
      readonly outcome: RunOutcome;
      readonly fired: readonly Fault[];
      readonly stalled: boolean;
      readonly events: readonly LifecycleEvent[];
    }
  | {
      /** Aborted and still not settled: these functions ignore their cancellation. */
      readonly state: "unsettled";
      readonly running: readonly RunningAttempt[];
      readonly fired: readonly Fault[];
    };

/** What `driveRun` needs besides the workflow and the faults. */
export interface DriveSettings {
  readonly runOptions: RunOptions;
  readonly stallMs: number;
}

/**
 * More timers than this in one run is a timer loop: the run is aborted, and given up if as
 * many again fire before it settles (an abandonment's timer is among them).
 */
const timerLimit = 100_000;

/**
 * Runs the workflow once with `faults` injected, on its own virtual clock, driving time
 * itself: whenever the run is waiting (a macrotask passed), the next timer fires. When no
 * timer is due and no function of the user's is still working (or none settled within
 * `stallMs` of real time), only cancellation can move the run: the explorer aborts it, as a
 * caller would. If even that leaves it unsettled, the run is given up (`unsettled`).
 */
export async function driveRun<T>(
  processor: AsyncTaskProcessor<T>,
  faults: readonly Fault[],
  ctx: T,
  clock: VirtualClock,
  settings: DriveSettings,
): Promise<DrivenRun> {
  const watch = new RunWatch(faults);
  const controller = new AbortController();
  const events: LifecycleEvent[] = [];
  const userOnEvent = settings.runOptions.onEvent;
  let outcome: RunOutcome | undefined;
  injectFaults(processor, faults, watch)
    .processTasks(ctx, {
      ...settings.runOptions,
      clock,
      signal: controller.signal,
      random: seededRandom(hashString(faultsKey(faults))),
      onEvent: (event) => {
        events.push(event);
        watch.saw(event);
        // As the engine calls a listener: a throw or a rejection surfaces as uncaught.
        if (userOnEvent !== undefined) callListener(userOnEvent, event);
      },
    })
    .then(
      (report) => {
        outcome = { status: "resolved", report };
      },
      (error: unknown) => {
        outcome = { status: "rejected", error };
      },
    )
    .finally(() => watch.pulse());

  for (let timers = 0, budget = timerLimit; ; ) {
    await flushPromises();
    if (outcome !== undefined) break;
    if (timers < budget && fireNextTimer(clock)) {
      timers++;
      continue;
    }
    if (watch.busy && (await watch.moves(settings.stallMs))) continue;
    if (outcome !== undefined) break;
    if (controller.signal.aborted) {
      return { state: "unsettled", running: watch.running, fired: watch.fired };
    }
    budget = timers + timerLimit; // after the abort, time goes on: abandonment takes timers
    controller.abort(
      new StalledRunError(
        timers >= timerLimit
          ? `the run fired more than ${timerLimit} timers (a timer loop?): the explorer aborted it`
          : "every running function was waiting for a cancellation nothing would send: the explorer aborted the run, as a caller giving up would",
      ),
    );
  }
  return {
    state: "settled",
    outcome,
    fired: watch.fired,
    stalled: controller.signal.aborted,
    events,
  };
}
