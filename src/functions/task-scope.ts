import type { PhaseName } from "./phase-name.js";

/**
 * What a task function receives besides the context: the identity of its attempt, the signal
 * that aborts when the attempt is cancelled or times out, and `spawn` for child work.
 *
 * @example
 * const load = taskFunc(async (ctx: Ctx, scope: TaskScope) => {
 *   // Pass the signal to I/O so a cancellation stops it at once.
 *   const res = await fetch(ctx.url, { signal: scope.signal });
 *   ctx.body = await res.text();
 * });
 */
export interface TaskScope {
  /**
   * Aborts when this attempt is cancelled (reason: a `DOMException` named `AbortError`) or
   * times out (reason: a {@link TaskTimeoutError}). Created on first read: a function that never
   * reads it costs nothing.
   */
  readonly signal: AbortSignal;
  /** The task's name. */
  readonly task: string;
  /** The phase this function runs in. */
  readonly phase: PhaseName;
  /** The attempt number, 1-based. */
  readonly attempt: number;
  /**
   * Starts child work that belongs to this attempt: the attempt ends only when the function and
   * every child have settled; a child failure fails the attempt and aborts the signal its
   * siblings received. Resolves or rejects with the child's result; a rejection you do not
   * await is still observed (no unhandled rejection), since the attempt reports it.
   */
  spawn<R>(fn: (signal: AbortSignal) => R | PromiseLike<R>): Promise<R>;
}
