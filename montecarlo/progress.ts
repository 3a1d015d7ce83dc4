/**
 * Progress while running: on a terminal, one bar redrawn in place (at most ten times a second);
 * otherwise a plain line at every tenth of the way (at most ten lines). Written to stderr, so
 * stdout holds only the summary.
 */
import type { Stats } from "./stats.js";

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

export interface Progress {
  update(stats: Stats, fraction: number, elapsedMs: number): void;
  /** Clears the bar (on a terminal) before the summary is printed. */
  done(): void;
}

export function makeProgress(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled) return { update() {}, done() {} };
  return stream.isTTY ? new Bar(stream) : new Lines(stream);
}

const line = (stats: Stats, elapsedMs: number): string =>
  `${fmt(stats.lifecycles)} lifecycles, ${fmt(stats.runs)} runs, ${fmt(stats.violations)} violations, ${(elapsedMs / 1000).toFixed(1)} s`;

class Bar implements Progress {
  #last = 0;
  #drawn = false;
  constructor(readonly stream: NodeJS.WriteStream) {}

  update(stats: Stats, fraction: number, elapsedMs: number): void {
    const now = performance.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    const width = 30;
    const filled = Math.round(Math.min(1, fraction) * width);
    const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
    this.stream.write(
      `\r[${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${line(stats, elapsedMs)}\u001b[K`,
    );
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.stream.write("\r\u001b[K");
  }
}

class Lines implements Progress {
  #tenth = 0;
  constructor(readonly stream: NodeJS.WriteStream) {}

  update(stats: Stats, fraction: number, elapsedMs: number): void {
    const tenth = Math.floor(Math.min(1, fraction) * 10);
    if (tenth <= this.#tenth) return;
    this.#tenth = tenth;
    this.stream.write(`montecarlo: ${tenth * 10}% ${line(stats, elapsedMs)}\n`);
  }

  done(): void {}
}
