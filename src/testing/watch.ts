import { nativeThen } from "../functions/native-then.js";
import type { Fault } from "./fault.js";

/**
 * What the explorer sees of one run from inside its functions: the user's bodies still
 * running, the faults that fired, and a pulse on every step, so the driver knows when the run
 * moved and when it is only waiting.
 */
export class RunWatch {
  /** Bodies running now, by a number of their own, with what they are for error messages. */
  readonly #running = new Map<number, string>();
  #nextId = 0;
  readonly #fired = new Set<Fault>();
  #waiting: (() => void) | undefined;

  /** Faults whose function was called at least once, in the order they first fired. */
  get fired(): readonly Fault[] {
    return [...this.#fired];
  }

  /** What is running now, in words (`preExecute of "db"`), in the order it started. */
  get running(): readonly string[] {
    return [...this.#running.values()];
  }

  /** Records that a fault's function was called. */
  fire(fault: Fault): void {
    this.#fired.add(fault);
  }

  /** Keeps a body of the user's on the running list until `promise` settles. */
  track(label: string, promise: Promise<unknown>): void {
    const id = this.#nextId++;
    this.#running.set(id, label);
    const done = () => {
      this.#running.delete(id);
      this.pulse();
    };
    nativeThen.call(promise, done, done);
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
