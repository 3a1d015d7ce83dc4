/**
 * Workflows for the explorer's tests: a connection pool on the run's virtual clock, a leaky
 * cleanup (releases only when preExecute finished) and one that copes with partial
 * initialisation.
 */
import { AsyncTaskProcessor, task, type VirtualClock } from "../../src/index.js";
import type { RunSetup } from "../../src/testing/index.js";

/** Waits `ms` on the run's clock; rejects with the signal's reason if it aborts first. */
export function sleep(clock: VirtualClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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

/** A pool that counts open connections; acquiring and querying take virtual time. */
export class FakePool {
  open = 0;
  constructor(readonly clock: VirtualClock) {}

  async acquire(signal: AbortSignal): Promise<Connection> {
    await sleep(this.clock, 1, signal);
    this.open++;
    return new Connection(this);
  }
}

/** One connection of a {@link FakePool}. */
export class Connection {
  #released = false;
  constructor(readonly pool: FakePool) {}

  query(signal: AbortSignal): Promise<void> {
    return sleep(this.pool.clock, 10, signal);
  }

  release(): void {
    if (this.#released) throw new Error("connection released twice");
    this.#released = true;
    this.pool.open--;
  }
}

/** The context of the pool workflows. */
export interface PoolCtx {
  readonly pool: FakePool;
  conn?: Connection;
  ready?: boolean;
  rows?: number;
}

/** A fresh context on the run's clock. */
export const poolContext = ({ clock }: RunSetup): PoolCtx => ({ pool: new FakePool(clock) });

/** Every connection acquired was released. */
export function checkReleased(ctx: PoolCtx): void {
  if (ctx.pool.open !== 0) throw new Error(`${ctx.pool.open} connection(s) never released`);
}

/**
 * auth (5 ms) and db on level 1, report on level 2. db's preExecute acquires, then sets up the
 * session with a query; `copes` picks the cleanup: release whatever was acquired, or (the
 * leak) release only when preExecute finished.
 */
export function poolWorkflow(copes: boolean): AsyncTaskProcessor<PoolCtx> {
  return AsyncTaskProcessor.builder<PoolCtx>()
    .addTask(
      task("auth", {
        preExecute: (ctx, { signal }) => sleep(ctx.pool.clock, 5, signal),
      }),
      1,
    )
    .addTask(
      task("db", {
        preExecute: async (ctx, { signal }) => {
          ctx.conn = await ctx.pool.acquire(signal);
          await ctx.conn.query(signal); // the session setup, cancelled with the phase
          ctx.ready = true;
        },
        postExecute: (ctx) => {
          if (copes) ctx.conn?.release();
          else if (ctx.ready) ctx.conn?.release();
        },
      }),
      1,
    )
    .addTask(
      task("report", {
        execute: async (ctx, { signal }) => {
          await ctx.conn?.query(signal);
          ctx.rows = 3;
        },
      }),
      2,
    )
    .build();
}
