/**
 * What the demo's examples share: where they print, which clock they sleep on, and a timeline
 * printer that stamps each line with the time since the run began and the phase that printed it.
 *
 * The examples take a {@link DemoIO} so tests can run them with a captured `log` and a
 * `VirtualClock` (no real time passes); `npm start` uses the console and real timers.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock, LifecycleEvent, TaskScope } from "../src/index.js";
import { realClock } from "../src/index.js";

export interface DemoIO {
  /** Prints one line. */
  readonly log: (line: string) => void;
  /** The clock the examples sleep on and pass to their runs. */
  readonly clock: Clock;
  /** Jitter source for retry delays (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /** Colour the output (ANSI). */
  readonly color?: boolean | undefined;
}

/** True when the module at `moduleUrl` is the script node (or tsx) was asked to run. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(moduleUrl);
}

/** The console and real timers, coloured when stdout is a terminal. */
export function consoleIO(): DemoIO {
  return {
    log: (line) => console.log(line),
    clock: realClock,
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}

/** Sleeps `ms` on `clock`; rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Style = keyof typeof codes;

/** Prints headings and timestamped lines for one example. */
export class Timeline {
  readonly #io: DemoIO;
  #start: number;

  constructor(io: DemoIO) {
    this.#io = io;
    this.#start = io.clock.now();
  }

  /** Restarts the clock shown on each line (call it just before a run). */
  restart(): void {
    this.#start = this.#io.clock.now();
  }

  /** Milliseconds since {@link restart}, rounded. */
  elapsed(): number {
    return Math.round(this.#io.clock.now() - this.#start);
  }

  paint(style: Style, text: string): string {
    return this.#io.color === true ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
  }

  /** A plain line, indented under the heading. */
  note(text: string, style?: Style): void {
    this.#io.log(`   ${style === undefined ? text : this.paint(style, text)}`);
  }

  blank(): void {
    this.#io.log("");
  }

  heading(text: string): void {
    this.#io.log(this.paint("bold", text));
  }

  /** `   30 ms  Authentication.preExecute   Auth successful.` */
  say(who: TaskScope | string, text: string, style?: Style): void {
    const label = typeof who === "string" ? who : `${who.task}.${who.phase}`;
    const ms = `${this.elapsed()} ms`.padStart(8);
    const body = style === undefined ? text : this.paint(style, text);
    this.#io.log(`${this.paint("dim", ms)}  ${this.paint("cyan", label.padEnd(27))} ${body}`);
  }

  /**
   * An `onEvent` listener that prints what the task functions cannot print themselves: a
   * failure, a cancellation, a timeout, a scheduled retry.
   */
  events(): (event: LifecycleEvent) => void {
    return (event) => {
      if (event.type === "task" && event.phase !== undefined) {
        const who = `${event.task}.${event.phase}`;
        if (event.event === "fail") {
          const error = event.error;
          const tries = event.attempts === 1 ? "" : ` after ${event.attempts} attempts`;
          this.say(who, `✘ failed${tries}: ${error?.name}: ${error?.message}`, "red");
        } else if (event.event === "cancel") {
          this.say(who, "⊘ cancelled: its scope.signal aborted", "yellow");
        }
      } else if (event.type === "attempt" && event.event === "timeout") {
        this.say(`${event.task}.${event.phase}`, `⏱ attempt ${event.attempt} timed out`, "yellow");
      } else if (event.type === "retry") {
        const who = `${event.task}.${event.phase}`;
        this.say(who, `↻ retrying in ${Math.round(event.delayMs)} ms`, "yellow");
      }
    };
  }
}
