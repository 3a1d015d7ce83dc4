import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import type { PhaseName } from "../functions/phase-name.js";
import { ATTEMPT_ACTIVE, attemptStateIn } from "../lifecycle/machines.js";
import { type Fault, placementKey } from "./fault.js";

/** An attempt still running, with what it is in words (`preExecute of "db"`). */
export interface RunningAttempt {
  readonly phase: PhaseName;
  readonly label: string;
}

/**
 * What the explorer sees of one run: the attempts of the user's functions still running
 * (their functions or the children they spawned), the faults that fired, and a pulse on every
 * step, so the driver knows when the run moved and when it is only waiting.
 */
export class RunWatch {
  /** Placements whose fault is a hang: their attempts wait for a cancellation, not for work. */
  readonly #hung: ReadonlySet<string>;
  /** Attempts running now, by task, phase and number. */
  readonly #running = new Map<string, RunningAttempt>();
  readonly #fired = new Set<Fault>();
  #waiting: (() => void) | undefined;

  constructor(faults: readonly Fault[]) {
    this.#hung = new Set(
      faults.filter((f) => f.kind === "hang").map((f) => placementKey(f.task, f.phase)),
    );
  }

  /** Faults whose function was called at least once, in the order they first fired. */
  get fired(): readonly Fault[] {
    return [...this.#fired];
  }

  /** Whether an attempt of the user's is running now. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** The attempts running now, in the order they started. */
  get running(): readonly RunningAttempt[] {
    return [...this.#running.values()];
  }

  /** Records that a fault's function was called. */
  fire(fault: Fault): void {
    this.#fired.add(fault);
  }

  /**
   * Follows one of the run's events: an attempt is running from its start until it ends (its
   * function and every child it spawned settled, or it was abandoned).
   */
  saw(event: LifecycleEvent): void {
    if (event.type === "attempt") {
      const placement = placementKey(event.task, event.phase);
      if (!this.#hung.has(placement)) {
        const key = JSON.stringify([placement, event.attempt]);
        if (attemptStateIn(ATTEMPT_ACTIVE, event.to)) {
          const which = event.attempt === 1 ? "" : ` (attempt ${event.attempt})`;
          const label = `${event.phase} of ${quoted(event.task)}${which}`;
          this.#running.set(key, { phase: event.phase, label });
        } else {
          this.#running.delete(key);
        }
      }
    }
    this.pulse();
  }

  /** Something happened: wakes the driver if it is waiting for the run to move. */
  pulse(): void {
    const wake = this.#waiting;
    this.#waiting = undefined;
    wake?.();
  }

  /**
   * Resolves true at the next pulse, or false if none comes within `ms` of real time (the one
   * real timer of the explorer, always cleared).
   */
  moves(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        resolve(false);
      }, ms);
      this.#waiting = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
