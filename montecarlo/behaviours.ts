/**
 * The phase functions: one dispatcher per phase slot, which looks up what the current attempt
 * of this run must do (its {@link Behaviour}) and does it, logging when the function began and
 * ended. Every function that waits honours its signal, except the signal-ignoring ones.
 */
import { isTaskTimeoutError, RetryableError, type TaskScope } from "../src/index.js";
import type { Behaviour, PhaseName, ThrownKind } from "./model.js";
import { BEGIN, END_FAIL, END_OK, keyOf, type RunCtx } from "./run-context.js";

/** The function of phase `phase` of task `task` (its slot: task * 3 + phase index). */
export function phaseFunction(slot: number): (ctx: RunCtx, scope: TaskScope) => unknown {
  return (ctx, scope) => perform(ctx, slot, scope);
}

function perform(ctx: RunCtx, slot: number, scope: TaskScope): unknown {
  const key = keyOf(slot, scope.attempt);
  const log = ctx.log;
  log.push(ctx.events.length, key, BEGIN);
  if (ctx.calls++ === ctx.abortAtCall || key === ctx.abortAtKey) ctx.abortRun();
  const b = ctx.scripts[slot]?.[scope.attempt - 1];
  if (b === undefined) {
    log.push(ctx.events.length, key, END_OK);
    return undefined;
  }
  return act(ctx, key, scope, b);
}

function act(ctx: RunCtx, key: number, scope: TaskScope, b: Behaviour): unknown {
  const log = ctx.log;
  switch (b.k) {
    case "async":
      log.push(ctx.events.length, key, END_OK);
      return Promise.resolve();
    case "throw":
    case "retryable": {
      const value =
        b.k === "retryable" ? new RetryableError(label(ctx, key)) : thrown(b.value, ctx, key);
      ctx.thrown.set(key, value);
      log.push(ctx.events.length, key, END_FAIL);
      if (b.async) return Promise.reject(value);
      throw value;
    }
    case "slow":
      return waitFor(ctx, key, scope, b.ms);
    case "hang":
      return waitFor(ctx, key, scope, undefined);
    case "ignore":
      return ignoring(ctx, key, b.ms, b.fail);
    case "spawn":
      return spawning(ctx, key, scope, b.ms, b.failAt);
  }
}

function label(ctx: RunCtx, key: number): string {
  const slot = Math.floor(key / 16);
  const phase = PHASE_NAMES[slot % 3]!;
  return `montecarlo fault: task "${ctx.names[Math.floor(slot / 3)]}" ${phase} attempt ${key % 16}`;
}

const PHASE_NAMES: readonly PhaseName[] = ["preExecute", "execute", "postExecute"];

function thrown(kind: ThrownKind, ctx: RunCtx, key: number): unknown {
  switch (kind) {
    case "error":
      return new Error(label(ctx, key));
    case "string":
      return label(ctx, key);
    case "undefined":
      return undefined;
    case "object":
      return { montecarlo: label(ctx, key) };
  }
}

/**
 * Watches a postExecute's signal: only its own timeout, or the failure of its own attempt (a
 * child that rejected), may abort it; never a failure elsewhere or the external signal (INV-12).
 */
function checkPostAbort(ctx: RunCtx, key: number, signal: AbortSignal, ownFailure: boolean): void {
  if (ownFailure || Math.floor(key / 16) % 3 !== 2 || isTaskTimeoutError(signal.reason)) return;
  ctx.notes.push({
    invariant: "INV-12",
    message: `${label(ctx, key)}: its signal aborted with ${String(signal.reason)}, not by its own timeout`,
  });
}

/** Resolves after `ms` (never, if undefined), or rejects with the reason when the signal aborts. */
function waitFor(
  ctx: RunCtx,
  key: number,
  scope: TaskScope,
  ms: number | undefined,
): Promise<void> {
  ctx.active++;
  const signal = scope.signal;
  return new Promise<void>((resolve, reject) => {
    let timer: unknown;
    const onAbort = (): void => {
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      checkPostAbort(ctx, key, signal, false);
      ctx.active--;
      ctx.log.push(ctx.events.length, key, END_FAIL);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (ms === undefined) return;
    timer = ctx.clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      ctx.active--;
      ctx.log.push(ctx.events.length, key, END_OK);
      resolve();
    }, ms);
  });
}

/** Ignores its signal: settles after `ms` whatever happens. */
function ignoring(ctx: RunCtx, key: number, ms: number, fail: boolean): Promise<void> {
  ctx.active++;
  const error = fail ? new Error(label(ctx, key)) : undefined;
  if (fail) ctx.thrown.set(key, error);
  return new Promise<void>((resolve, reject) => {
    ctx.clock.setTimeout(() => {
      ctx.active--;
      ctx.log.push(ctx.events.length, key, fail ? END_FAIL : END_OK);
      if (fail) reject(error);
      else resolve();
    }, ms);
  });
}

/**
 * Returns at once, leaving children that settle after their `ms` (child `failAt` rejects).
 * The function counts as ended when its last child settles.
 */
function spawning(
  ctx: RunCtx,
  key: number,
  scope: TaskScope,
  ms: readonly number[],
  failAt: number | undefined,
): undefined {
  if (ms.length === 0) {
    ctx.log.push(ctx.events.length, key, END_OK);
    return undefined;
  }
  ctx.active++;
  let pending = ms.length;
  let failed = false;
  const family = { failed: false };
  const childEnded = (ok: boolean): void => {
    failed ||= !ok;
    if (--pending > 0) return;
    ctx.active--;
    ctx.log.push(ctx.events.length, key, failed ? END_FAIL : END_OK);
  };
  const error = failAt === undefined ? undefined : new Error(`${label(ctx, key)} child ${failAt}`);
  if (error !== undefined) ctx.thrown.set(key, error);
  for (let i = 0; i < ms.length; i++) {
    const childMs = ms[i]!;
    void scope.spawn((signal) =>
      child(ctx, key, signal, childMs, i === failAt ? error : undefined, family, childEnded),
    );
  }
  return undefined;
}

function child(
  ctx: RunCtx,
  key: number,
  signal: AbortSignal,
  ms: number,
  failWith: unknown,
  family: { failed: boolean },
  ended: (ok: boolean) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      ended(false);
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      ctx.clock.clearTimeout(timer);
      checkPostAbort(ctx, key, signal, family.failed);
      ended(false);
      reject(signal.reason);
    };
    const timer = ctx.clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      ended(failWith === undefined);
      if (failWith === undefined) resolve();
      else {
        family.failed = true;
        reject(failWith);
      }
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
