/**
 * The phase functions: one dispatcher per phase slot, which looks up what the current attempt
 * of this run must do (its {@link Behaviour}) and does it, logging when the function began and
 * ended. Every function that waits honours its signal, except the signal-ignoring ones.
 */
import { isTaskTimeoutError, RetryableError, type TaskScope } from "../src/index.js";
import { hostileValue } from "./hostile.js";
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
  if (!ctx.jobOpen) {
    ctx.job++;
    ctx.jobOpen = true;
    queueMicrotask(() => {
      ctx.jobOpen = false;
    });
  }
  ctx.jobs.set(key, ctx.job);
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
      log.push(ctx.events.length, key, END_FAIL);
      if (!b.async) {
        ctx.own.push({ key, value, at: ctx.events.length, afterAbort: false, immediate: "sync" });
        throw value;
      }
      const rejected =
        b.k === "throw" && b.asyncFn === true
          ? (async () => {
              throw value; // an async function that throws before its first await
            })()
          : Promise.reject(value);
      return received(ctx, key, scope, rejected, value, "rejected");
    }
    case "slow":
      return waitFor(ctx, key, scope, b.ms);
    case "hang":
      return waitFor(ctx, key, scope, undefined);
    case "ignore":
      return ignoring(ctx, key, scope, b.ms, b.fail);
    case "spawn":
      return spawning(ctx, key, scope, b.ms, b.failAt);
    case "rollback":
      return rollingBack(ctx, key, scope, b.ms, b.lag);
  }
}

/**
 * Records, as an {@link OwnRejection}, when the engine receives `promise`'s rejection with the
 * function's own `value`: this reaction is attached before the engine's, so it runs just
 * before the engine acts on it. Returns `promise`.
 */
function received<P extends Promise<unknown>>(
  ctx: RunCtx,
  key: number,
  scope: TaskScope,
  promise: P,
  value: unknown,
  immediate: "rejected" | undefined,
): P {
  promise.then(undefined, (reason: unknown) => {
    if (reason !== value) return; // the signal's reason: a cancellation echoed back
    const signal = scope.signal;
    const afterAbort = signal.aborted && !isTaskTimeoutError(signal.reason);
    ctx.own.push({ key, value, at: ctx.events.length, afterAbort, immediate });
  });
  return promise;
}

/**
 * Notes the first abort of an attempt's signal, for checks/cancellation.ts: a cancelled
 * attempt's signal aborts (INV-4), and a postExecute's only by its own outcome (INV-12).
 */
function noteAbort(ctx: RunCtx, key: number, signal: AbortSignal): void {
  if (ctx.aborts.has(key)) return;
  ctx.aborts.set(key, {
    pos: ctx.events.length,
    at: ctx.clock.now(),
    timeout: isTaskTimeoutError(signal.reason),
  });
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
    default:
      return hostileValue(kind, label(ctx, key));
  }
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
      noteAbort(ctx, key, signal);
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
function ignoring(
  ctx: RunCtx,
  key: number,
  scope: TaskScope,
  ms: number,
  fail: boolean,
): Promise<void> {
  ctx.active++;
  const error = fail ? new Error(label(ctx, key)) : undefined;
  const promise = new Promise<void>((resolve, reject) => {
    ctx.clock.setTimeout(() => {
      ctx.active--;
      ctx.log.push(ctx.events.length, key, fail ? END_FAIL : END_OK);
      if (fail) reject(error);
      else resolve();
    }, ms);
  });
  return fail ? received(ctx, key, scope, promise, error, undefined) : promise;
}

/**
 * Resolves after `ms`, unless its signal aborts first: then it rejects with an error of its
 * own, not the signal's reason (a rollback that failed), at once or `lag` ms later.
 */
function rollingBack(
  ctx: RunCtx,
  key: number,
  scope: TaskScope,
  ms: number,
  lag: number | undefined,
): Promise<void> {
  ctx.active++;
  const signal = scope.signal;
  const error = new Error(`${label(ctx, key)}: rollback failed`);
  const promise = new Promise<void>((resolve, reject) => {
    const fail = (): void => {
      ctx.active--;
      ctx.log.push(ctx.events.length, key, END_FAIL);
      reject(error);
    };
    const onAbort = (): void => {
      ctx.clock.clearTimeout(timer);
      noteAbort(ctx, key, signal);
      if (lag === undefined) fail();
      else ctx.clock.setTimeout(fail, lag);
    };
    const timer = ctx.clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      ctx.active--;
      ctx.log.push(ctx.events.length, key, END_OK);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return received(ctx, key, scope, promise, error, undefined);
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
  const childEnded = (ok: boolean): void => {
    failed ||= !ok;
    if (--pending > 0) return;
    ctx.active--;
    ctx.log.push(ctx.events.length, key, failed ? END_FAIL : END_OK);
  };
  const error = failAt === undefined ? undefined : new Error(`${label(ctx, key)} child ${failAt}`);
  for (let i = 0; i < ms.length; i++) {
    const childMs = ms[i]!;
    const failWith = i === failAt ? error : undefined;
    void scope.spawn((signal) => {
      const promise = child(ctx, key, signal, childMs, failWith, childEnded);
      return failWith === undefined
        ? promise
        : received(ctx, key, scope, promise, failWith, undefined);
    });
  }
  return undefined;
}

function child(
  ctx: RunCtx,
  key: number,
  signal: AbortSignal,
  ms: number,
  failWith: unknown,
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
      noteAbort(ctx, key, signal);
      ended(false);
      reject(signal.reason);
    };
    const timer = ctx.clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      ended(failWith === undefined);
      if (failWith === undefined) resolve();
      else {
        reject(failWith);
      }
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
