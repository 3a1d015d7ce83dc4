/**
 * One run's events as a Mermaid Gantt chart: what `ganttFromEvents` returns.
 */
import type {
  AttemptTransitionEvent,
  LifecycleEvent,
  RetryScheduledEvent,
  RunTransitionEvent,
  TaskTransitionEvent,
} from "../events/lifecycle-event.js";
import { ATTEMPT_ENDS } from "../lifecycle/machines.js";
import { QUEUES_PHASE, STARTS_PHASE } from "../lifecycle/task-phases.js";
import { mermaidLabel } from "./mermaid-text.js";

/** One bar of the chart (a milestone when it took no time), in ms since the run began. */
interface Bar {
  label: string;
  readonly start: number;
  /** Undefined while no event has ended it. */
  end: number | undefined;
  /** What happened to it and when, in the order the events said: "failed", "cancelled"... */
  readonly marks: Mark[];
  /** Mermaid tags; when absent, derived from the marks. */
  tags?: readonly string[];
  /** An attempt's bar: its colour, not a word, says it succeeded. */
  readonly attempt?: true;
  /** A wait (a retry's delay, a queued phase): what happened to it follows after a comma. */
  readonly wait?: true;
}

/** Something that happened to a bar, at a time in ms since the run began. */
interface Mark {
  readonly word: string;
  readonly at: number;
}

/** An attempt's bar, with what its label is made of. */
interface AttemptBar {
  readonly bar: Bar;
  readonly phaseKey: string;
  readonly phase: string;
  readonly attempt: number;
}

const RUN_SECTION = "run";
/**
 * The run section's title: "run", its "r" written as an entity code, which {@link mermaidLabel}
 * never writes for a letter. Mermaid draws sections of one title as one, so a task named "run"
 * needs a title of its own; both read "run".
 */
const RUN_TITLE = "#114;un";

/** Attempt events that say how the attempt went, as the words its bar shows. */
const ATTEMPT_MARKS: ReadonlyMap<string, string> = new Map([
  ["succeed", "succeeded"],
  ["fail", "failed"],
  ["timeout", "timed out"],
  ["cancel", "cancelled"],
  ["abandon", "abandoned"],
]);

/** Reads one run's events, in order, into sections of bars; best effort (see ganttFromEvents). */
class GanttBuilder {
  readonly #sections = new Map<string, Bar[]>();
  readonly #attempts = new Map<string, AttemptBar>();
  readonly #delays = new Map<string, Bar>();
  readonly #retried = new Set<string>();
  /** Per task, the bar of its phase waiting for a slot (under `maxConcurrency`), if any. */
  readonly #queued = new Map<string, { readonly bar: Bar; readonly phase: string }>();
  readonly #origin: number;
  readonly #run: Bar = { label: "run", start: 0, end: undefined, marks: [], tags: ["active"] };
  #now = 0;

  constructor(origin: number) {
    this.#origin = origin;
    this.#sections.set(RUN_SECTION, [this.#run]);
  }

  read(event: LifecycleEvent): void {
    // An unreadable time (NaN when the clock threw) is taken to be the last one seen.
    if (Number.isFinite(event.at)) this.#now = Math.max(0, Math.round(event.at - this.#origin));
    const at = this.#now;
    if (event.type === "attempt") this.#attempt(event, at);
    else if (event.type === "retry") this.#retry(event, at);
    else if (event.type === "task") this.#task(event, at);
    else if (event.type === "run") this.#runEvent(event, at);
  }

  #bars(task: string): Bar[] {
    // Task sections are keyed apart from the run's, so a task named "run" has its own.
    const key = `task:${task}`;
    let bars = this.#sections.get(key);
    if (bars === undefined) {
      bars = [];
      this.#sections.set(key, bars);
    }
    return bars;
  }

  /**
   * Skips, and the time a phase waits for a slot: from its `queue...` event to its task's next
   * event, the phase's start, or else what came instead (a skip, a teardown without it).
   */
  #task(event: TaskTransitionEvent, at: number): void {
    const queued = this.#queued.get(event.task);
    if (queued !== undefined) {
      this.#queued.delete(event.task);
      queued.bar.end = at;
      if (event.event === "skip") queued.bar.marks.push({ word: "skipped", at });
      else if (STARTS_PHASE.get(event.event) !== queued.phase) {
        queued.bar.marks.push({ word: "never started", at });
      }
    } else if (event.event === "skip") this.#bars(event.task).push(milestone("skipped", at));
    const phase = QUEUES_PHASE.get(event.event);
    if (phase !== undefined) {
      const bar: Bar = {
        label: `${phase} queued`,
        start: at,
        end: undefined,
        marks: [],
        tags: [],
        wait: true,
      };
      this.#queued.set(event.task, { bar, phase });
      this.#bars(event.task).push(bar);
    }
  }

  #attempt(event: AttemptTransitionEvent, at: number): void {
    const phaseKey = `${event.task}\u0000${event.phase}`;
    const key = `${phaseKey}\u0000${event.attempt}`;
    if (event.event === "delay") {
      this.#delay(event.task, key, `${event.phase} retry delay`, at);
      return;
    }
    const wait = this.#delays.get(key);
    if (event.event === "start") {
      if (wait !== undefined && wait.end === undefined) wait.end = at;
      if (this.#attempts.has(key)) return;
      const bar: Bar = { label: event.phase, start: at, end: undefined, marks: [], attempt: true };
      this.#attempts.set(key, { bar, phaseKey, phase: event.phase, attempt: event.attempt });
      this.#bars(event.task).push(bar);
      return;
    }
    if (event.event === "cancel" && event.from === "delayed") {
      if (wait !== undefined && wait.end === undefined) {
        wait.end = at;
        wait.marks.push({ word: "cancelled", at });
      }
      return;
    }
    const open = this.#attempts.get(key);
    if (open === undefined) return; // its start is not in the list: nothing to draw from
    if (event.event === "lateSettle") {
      this.#bars(event.task).push(milestone(`${event.phase} settled late`, at));
      return;
    }
    const mark = ATTEMPT_MARKS.get(event.event);
    if (mark !== undefined) open.bar.marks.push({ word: mark, at });
    if (ATTEMPT_ENDS.has(event.event) && open.bar.end === undefined) open.bar.end = at;
  }

  /** A retry's delay: made by whichever comes first, the `retry` event or the `delay` one. */
  #delay(task: string, key: string, label: string, at: number): Bar {
    let wait = this.#delays.get(key);
    if (wait === undefined) {
      wait = { label, start: at, end: undefined, marks: [], tags: [], wait: true };
      this.#delays.set(key, wait);
      this.#bars(task).push(wait);
    }
    return wait;
  }

  #retry(event: RetryScheduledEvent, at: number): void {
    this.#retried.add(`${event.task}\u0000${event.phase}`);
    const key = `${event.task}\u0000${event.phase}\u0000${event.attempt + 1}`;
    const wait = this.#delay(event.task, key, "", at);
    wait.label = `${event.phase} retry in ${formatMs(event.delayMs)} ms`;
  }

  #runEvent(event: RunTransitionEvent, at: number): void {
    if (event.event === "abort") {
      const bar = milestone("aborted", at);
      bar.tags = ["crit"];
      this.#sections.get(RUN_SECTION)!.push(bar);
    }
    if (event.to === "settled" && this.#run.end === undefined) {
      this.#run.end = at;
      this.#run.marks.push({ word: event.outcome ?? "closed", at });
      this.#run.tags = event.outcome === "failed" ? ["crit"] : ["done"];
    }
  }

  /** The chart. Whatever is still open ends at the last time seen, marked "unfinished". */
  chart(): string {
    for (const { bar, phaseKey, phase, attempt } of this.#attempts.values()) {
      if (attempt > 1 || this.#retried.has(phaseKey)) bar.label = `${phase} (attempt ${attempt})`;
    }
    const lines = ["gantt", "  dateFormat x", `  axisFormat ${axisFormat(this.#now)}`];
    lines.push("  todayMarker off");
    for (const [key, bars] of this.#sections) {
      const title = key === RUN_SECTION ? RUN_TITLE : mermaidLabel(key.slice("task:".length));
      lines.push(`  section ${title}`);
      for (const bar of bars) lines.push(`    ${barLine(bar, this.#now)}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

function milestone(label: string, at: number): Bar {
  return { label, start: at, end: at, marks: [], tags: [] };
}

function tagsOf(marks: readonly Mark[]): readonly string[] {
  const has = (word: string) => marks.some((m) => m.word === word);
  if (has("failed") || has("timed out")) return ["crit"];
  if (has("cancelled")) return ["active"];
  if (has("succeeded")) return ["done"];
  return [];
}

/** `label :tags, start, length` with the label escaped; a bar of no length is a milestone. */
function barLine(bar: Bar, lastTime: number): string {
  const end = bar.end ?? lastTime;
  const marks = bar.end === undefined ? [...bar.marks, { word: "unfinished", at: end }] : bar.marks;
  // A decision taken before the bar ends (a timeout, a cancellation) says when it was taken.
  const words = marks
    .filter((m) => !bar.attempt || m.word !== "succeeded")
    .map((m) => (m.at < end ? `${m.word} at ${m.at} ms` : m.word));
  const text =
    words.length === 0 ? bar.label : `${bar.label}${bar.wait ? "," : ""} ${words.join(", ")}`;
  const length = end - bar.start;
  const tags = [...(bar.tags ?? tagsOf(marks)), ...(length > 0 ? [] : ["milestone"])];
  const fields = [...tags, String(bar.start), `${Math.max(0, length)}ms`];
  return `${mermaidLabel(text)} :${fields.join(", ")}`;
}

/**
 * The axis labels' format. Mermaid formats the axis in the viewer's local time, and times
 * since the run began read as dates near 1970, so minutes and hours would move with the time
 * zone (by 30 minutes in India): seconds since the epoch (`%s`) and milliseconds of the second
 * (`%L`) do not.
 */
function axisFormat(lastTime: number): string {
  if (lastTime < 1000) return "%-L ms";
  if (lastTime < 60_000) return "%s.%L s";
  return "%s s";
}

function formatMs(ms: number): string {
  return Number.isFinite(ms) ? String(Math.round(ms)) : "?";
}

/** The index of each run start (`idle -> entering` or `idle -> settled`) in `events`. */
function runStarts(events: readonly (LifecycleEvent | undefined)[]): number[] {
  const starts: number[] = [];
  events.forEach((e, i) => {
    if (e?.type === "run" && e.from === "idle") starts.push(i);
  });
  return starts;
}

const PHASE_NAMES: ReadonlySet<unknown> = new Set(["preExecute", "execute", "postExecute"]);

/**
 * Each entry of `events` as a copy of its own fields, read once, or undefined for one that is
 * not an event the chart can be drawn from: one that cannot be read (a getter that throws, a
 * revoked `Proxy`), of no known kind, or whose task is not a string or whose phase is not a
 * phase's name (a chart line must not begin with anything Mermaid reads as a statement).
 */
function readEvents(events: readonly unknown[]): (LifecycleEvent | undefined)[] {
  const read: (LifecycleEvent | undefined)[] = [];
  for (let i = 0; i < events.length; i++) {
    let copy: Partial<Record<"type" | "task" | "phase" | "attempt", unknown>>;
    try {
      const value = events[i];
      if (typeof value !== "object" || value === null) {
        read.push(undefined);
        continue;
      }
      copy = { ...value };
    } catch {
      read.push(undefined);
      continue;
    }
    read.push(isDrawable(copy) ? (copy as LifecycleEvent) : undefined);
  }
  return read;
}

function isDrawable(e: Partial<Record<"type" | "task" | "phase" | "attempt", unknown>>): boolean {
  if (e.type === "run") return true;
  if (e.type === "task") {
    return typeof e.task === "string" && (e.phase === undefined || PHASE_NAMES.has(e.phase));
  }
  if (e.type !== "attempt" && e.type !== "retry") return false;
  return typeof e.task === "string" && PHASE_NAMES.has(e.phase) && typeof e.attempt === "number";
}

/**
 * One run's events (as `onEvent` delivers them) as a Mermaid Gantt chart, with times in
 * milliseconds since the run began, rounded to whole ms.
 *
 * The first section, `run`, has one bar for the whole run, marked with how it ended, and a
 * milestone where the external signal aborted it. Then one section per task, in the order
 * the tasks first did something: one bar per phase attempt, from its start until its function
 * settled (or was abandoned), marked `failed` or `timed out` (red), `cancelled`, `abandoned`;
 * a succeeded attempt is drawn done (grey). Retried phases number their attempts, and each
 * retry's delay is a bar of its own (`retry in 10 ms`), as is the time a phase waited for a
 * slot under `maxConcurrency` (`queued`). A skipped task, and an abandoned function settling
 * late, are milestones. Anything that took no time on the run's clock is a milestone too.
 *
 * Best effort on a partial or odd list: events are read in the order given; an attempt whose
 * start is missing is left out; a bar no event ended (a list cut short) runs to the last time
 * seen and is marked `unfinished`; an event whose `at` is not a finite number (the clock
 * threw) takes the time of the event before it; values that are not events (or cannot be
 * read, or name no phase where an event has one) are skipped. It
 * throws a `TypeError` only for something that is not an array, or for the events of more
 * than one run (two run starts): draw each run on its own.
 *
 * @example
 * const events: LifecycleEvent[] = [];
 * await processor.processTasks(ctx, { onEvent: (e) => events.push(e) }).catch(() => {});
 * console.log(ganttFromEvents(events)); // paste into any Mermaid renderer
 */
export function ganttFromEvents(events: readonly LifecycleEvent[]): string {
  if (!Array.isArray(events)) {
    throw new TypeError(`ganttFromEvents: expected an array of events, got ${typeof events}`);
  }
  const read = readEvents(events);
  const starts = runStarts(read);
  if (starts.length > 1) {
    throw new TypeError(
      `ganttFromEvents: expected the events of one run, found ${starts.length} run starts (at indexes ${starts.join(", ")}); draw each run on its own`,
    );
  }
  const first = read[starts[0] ?? -1];
  const origin = first !== undefined && Number.isFinite(first.at) ? first.at : earliest(read);
  const builder = new GanttBuilder(origin);
  for (const event of read) if (event !== undefined) builder.read(event);
  return builder.chart();
}

/** The smallest finite `at` of the list, or 0: the origin of a list without its run start. */
function earliest(events: readonly (LifecycleEvent | undefined)[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const e of events) if (e !== undefined && Number.isFinite(e.at)) min = Math.min(min, e.at);
  return Number.isFinite(min) ? min : 0;
}
