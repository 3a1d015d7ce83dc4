/**
 * Shared recording helpers for lifecycle tests. Small on purpose:
 *
 * - {@link deferred}: a promise you settle by hand, to control interleavings.
 * - {@link flush}: lets every queued promise callback run (no timers, no real time).
 * - {@link Recorder}: builds tasks whose phases log `"A.pre>"` when called, `"A.pre<"` when they
 *   end well and `"A.pre!"` when they fail, and keeps each phase's {@link TaskScope}.
 * - {@link waitFor}: a phase body that waits for a deferred (and, by default, honours its signal).
 * - {@link gates}: one deferred per phase key, opened by hand.
 * - {@link collectEvents}, {@link lastRunEvent}: an `onEvent` that keeps every lifecycle event.
 * - {@link trackAbortListeners}: counts the `abort` listeners a run adds to and removes from a signal.
 *
 * Import from `../helpers/recorder.js`.
 */
import type { AsyncTask, LifecycleEvent, TaskScope } from "../../src/index.js";
import { task } from "../../src/index.js";

import { type Deferred, deferred, flush } from "./async.js";

export { type Deferred, deferred, flush } from "./async.js";

/** Short phase names used in log entries and scope keys. */
export type Short = "pre" | "exec" | "post";

/** What a recorded phase does after logging its start. `true`: return at once (synchronously). */
export type Body<T> = true | ((ctx: T, scope: TaskScope) => unknown);

/** The phases of a recorded task, by short name. */
export interface RecordedPhases<T> {
  readonly pre?: Body<T>;
  readonly exec?: Body<T>;
  readonly post?: Body<T>;
}

/**
 * Records phase calls in one shared, ordered `log`:
 * `"<task>.<short>>"` on call, `"<task>.<short><"` on success, `"<task>.<short>!"` on failure
 * (a synchronous throw or a rejection). A body that returns a non-promise keeps the phase
 * synchronous. `scopes` maps `"<task>.<short>"` to the scope of its (latest) call.
 */
export class Recorder<T = unknown> {
  readonly log: string[] = [];
  readonly scopes = new Map<string, TaskScope>();

  /** A task whose given phases are recorded. */
  task(name: string, phases: RecordedPhases<T>): AsyncTask<T> {
    return task<T>(name, {
      preExecute: phases.pre && this.fn(name, "pre", phases.pre),
      execute: phases.exec && this.fn(name, "exec", phases.exec),
      postExecute: phases.post && this.fn(name, "post", phases.post),
    });
  }

  /** A recorded phase function. */
  fn(name: string, short: Short, body: Body<T>): (ctx: T, scope: TaskScope) => unknown {
    const key = `${name}.${short}`;
    return (ctx: T, scope: TaskScope) => {
      this.log.push(`${key}>`);
      this.scopes.set(key, scope);
      let result: unknown;
      try {
        result = body === true ? undefined : body(ctx, scope);
      } catch (error) {
        this.log.push(`${key}!`);
        throw error;
      }
      if (!(result instanceof Promise)) {
        this.log.push(`${key}<`);
        return result;
      }
      return result.then(
        (value: unknown) => {
          this.log.push(`${key}<`);
          return value;
        },
        (error: unknown) => {
          this.log.push(`${key}!`);
          throw error;
        },
      );
    };
  }

  /** True once `"<task>.<short>"` was called. */
  started(key: string): boolean {
    return this.log.includes(`${key}>`);
  }

  /** The keys called so far, in call order (`["A.pre", "B.pre", ...]`). */
  starts(): string[] {
    return this.log.filter((e) => e.endsWith(">")).map((e) => e.slice(0, -1));
  }

  /** The scope of `"<task>.<short>"`; throws if it was never called. */
  scope(key: string): TaskScope {
    const scope = this.scopes.get(key);
    if (scope === undefined) throw new Error(`${key} was never called`);
    return scope;
  }
}

/** A body that waits for `gate` and, if `honourSignal`, rejects with the signal's reason on abort. */
export function waitFor<T>(gate: Deferred<unknown>, honourSignal = true): Body<T> {
  return (_ctx: T, scope: TaskScope) => {
    if (!honourSignal) return gate.promise;
    const signal = scope.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      gate.promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };
}

/** The last run transition among `events`, or undefined. */
export function lastRunEvent(events: readonly LifecycleEvent[]): LifecycleEvent | undefined {
  return events.filter((e) => e.type === "run").at(-1);
}

/**
 * One {@link Deferred} per key (`"A.pre"`), made on first use. `open(...keys)` resolves them and
 * then lets the engine react ({@link flush}).
 */
export function gates(): {
  gate(key: string): Deferred<unknown>;
  open(...keys: string[]): Promise<void>;
} {
  const all = new Map<string, Deferred<unknown>>();
  const gate = (key: string): Deferred<unknown> => {
    let d = all.get(key);
    if (d === undefined) {
      d = deferred<unknown>();
      all.set(key, d);
    }
    return d;
  };
  return {
    gate,
    async open(...keys: string[]) {
      for (const key of keys) gate(key).resolve(undefined);
      await flush();
    },
  };
}

/** An `onEvent` listener and the events it has received. */
export function collectEvents(): {
  readonly events: LifecycleEvent[];
  readonly onEvent: (event: LifecycleEvent) => void;
} {
  const events: LifecycleEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

/** Each event as one word: a run transition's event, or the type of any other event. */
export function eventWords(events: readonly LifecycleEvent[]): string[] {
  return events.map((e) => (e.type === "run" ? e.event : e.type));
}

/**
 * The events of a run aborted before it started (INV-17), as {@link eventWords} gives them:
 * run events only, the ones the run table leaves after `start` and `abort`.
 */
export { ABORTED_AT_START } from "../../src/lifecycle/run-states.js";

/** Counts `abort` listeners added to and removed from `signal` (wraps its two methods). */
export function trackAbortListeners(signal: AbortSignal): {
  /** Listeners added and not removed yet. */
  readonly active: number;
  /** Listeners ever added. */
  readonly added: number;
} {
  const active = new Set<unknown>();
  let added = 0;
  const add: EventTarget["addEventListener"] = signal.addEventListener.bind(signal);
  const remove: EventTarget["removeEventListener"] = signal.removeEventListener.bind(signal);
  type Listener = EventListenerOrEventListenerObject | null;
  type Options = boolean | AddEventListenerOptions | undefined;
  Object.defineProperty(signal, "addEventListener", {
    configurable: true,
    value: (type: string, listener: Listener, options?: Options) => {
      if (type === "abort" && listener !== null && !active.has(listener)) {
        active.add(listener);
        added++;
      }
      add(type, listener, options);
    },
  });
  Object.defineProperty(signal, "removeEventListener", {
    configurable: true,
    value: (type: string, listener: Listener, options?: boolean | EventListenerOptions) => {
      if (type === "abort") active.delete(listener);
      remove(type, listener, options);
    },
  });
  return {
    get active() {
      return active.size;
    },
    get added() {
      return added;
    },
  };
}
