/**
 * The request workflow, built once at start-up and run once per request:
 *
 * - level 1, in parallel: `connection` acquires a connection from the pool; `auth` checks the
 *   caller with the upstream's `/auth`;
 * - level 2: `data` loads the caller's data from the upstream's `/data`, each attempt bounded by
 *   `timeoutMs`, retried after a timeout (`retries`);
 * - cleanup: `connection` releases its connection, whatever happened, but only if it got one.
 *
 * Every upstream call passes `scope.signal` to `fetch`, so a timeout, a failed sibling or the
 * client's disconnect aborts the HTTP request itself, and the upstream sees it closed.
 */
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  isTaskTimeoutError,
  type TaskScope,
  task,
  taskFunc,
} from "../../src/index.js";
import type { Connection, ConnectionPool } from "./pool.js";

/** One request's state: the tasks read and write it. */
export interface RequestContext {
  readonly requestId: string;
  connection?: Connection | undefined;
  user?: string;
  data?: unknown;
}

/** The upstream refused the caller (401). */
export class AuthError extends Error {
  override readonly name = "AuthError";
}

/** The upstream answered with an error status. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
}

export interface WorkflowOptions {
  readonly pool: ConnectionPool;
  readonly upstreamUrl: string;
  /** Bound on each attempt of the data call. */
  readonly timeoutMs: number;
  /** Further attempts of the data call after a timeout. */
  readonly retries: number;
  /** Base of the backoff between data attempts. */
  readonly initialDelayMs: number;
}

export function buildWorkflow(options: WorkflowOptions): AsyncTaskProcessor<RequestContext> {
  const { pool, upstreamUrl } = options;
  return AsyncTaskProcessor.builder<RequestContext>()
    .addTask(
      task("connection", {
        preExecute: async (ctx, { signal }) => {
          ctx.connection = await pool.acquire(signal); // leaves the line if the run is cancelled
        },
        // Runs even if preExecute was cancelled while waiting: release only what was acquired.
        postExecute: (ctx) => {
          if (ctx.connection === undefined) return;
          pool.release(ctx.connection);
          ctx.connection = undefined;
        },
      }),
      1,
    )
    .addTask(
      task("auth", {
        preExecute: async (ctx, scope) => {
          const { status, body } = await getJson(`${upstreamUrl}/auth`, ctx, scope);
          if (status === 401) throw new AuthError(`request ${ctx.requestId}: not authorised`);
          if (status !== 200) throw new UpstreamError(`auth: upstream answered ${status}`);
          ctx.user = (body as { user: string }).user;
        },
      }),
      1,
    )
    .addTask(
      task("data", {
        execute: taskFunc(
          async (ctx, scope) => {
            const { status, body } = await getJson(`${upstreamUrl}/data`, ctx, scope);
            if (status !== 200) throw new UpstreamError(`data: upstream answered ${status}`);
            ctx.data = body;
          },
          {
            timeoutMs: options.timeoutMs,
            retries: options.retries, // the default retryOn retries timeouts, not a 500
            initialDelayMs: options.initialDelayMs,
          },
        ),
      }),
      2,
    )
    .build();
}

/** GETs `url` with the attempt's signal, forwarding the request id and the attempt number. */
async function getJson(
  url: string,
  ctx: RequestContext,
  scope: TaskScope,
): Promise<{ status: number; body: unknown }> {
  const { signal } = scope;
  try {
    const res = await fetch(url, {
      signal,
      headers: { "x-request-id": ctx.requestId, "x-attempt": String(scope.attempt) },
    });
    const text = await res.text(); // read to the end, whatever the status: frees the socket
    return { status: res.status, body: res.ok ? JSON.parse(text) : text };
  } catch (error) {
    if (signal.aborted) throw signal.reason; // stopped as asked: a cancellation, not a failure
    throw error;
  }
}

/**
 * The HTTP status for a run that failed: 499 if the client went away (the run's signal
 * aborted), 401 if auth refused the caller, 504 if the data call timed out on every attempt,
 * 502 for any other upstream failure (an error status, a refused connection).
 */
export function statusFor(error: unknown): number {
  if (!isSdaxExecutionError(error)) return 500; // not a task failure: a bug
  if (error.aborted) return 499;
  const causes = error.leafErrors();
  if (causes.some((e) => e instanceof AuthError)) return 401;
  if (causes.some(isTaskTimeoutError)) return 504;
  return 502;
}
