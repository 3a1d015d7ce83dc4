/**
 * examples/api-server: the pool on its own, the workflow's partial-initialisation cleanup, and a
 * small version of the load test (every scenario six times) with the same checks as
 * `npx tsx examples/api-server/load.ts`. Real sockets on 127.0.0.1 and real timers; no timing
 * is asserted, and every wait is for an event, not for time to pass.
 */
import { describe, expect, it } from "vitest";
import { runLoad } from "../../examples/api-server/load.js";
import { ConnectionPool } from "../../examples/api-server/pool.js";
import { SCENARIO_NAMES, scenarioFor } from "../../examples/api-server/scenarios.js";
import { startUpstream } from "../../examples/api-server/upstream.js";
import { buildWorkflow, statusFor } from "../../examples/api-server/workflow.js";
import { isSdaxExecutionError } from "../../src/index.js";

describe("examples/api-server/pool.ts", () => {
  it("hands out up to its size, then queues waiters and serves them in arrival order", async () => {
    const pool = new ConnectionPool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: number[] = [];
    const first = pool.acquire().then((c) => {
      order.push(1);
      return c;
    });
    const second = pool.acquire().then((c) => {
      order.push(2);
      return c;
    });
    expect(pool.waiting).toBe(2);

    pool.release(b);
    expect(await first).toBe(b);
    pool.release(a);
    expect(await second).toBe(a);
    expect(order).toEqual([1, 2]);
    expect(pool).toMatchObject({ acquired: 4, released: 2, available: 0, inUse: 2, waiting: 0 });
  });

  it("a waiter whose signal aborts leaves the line with the signal's reason and takes nothing", async () => {
    const pool = new ConnectionPool(1);
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    const next = pool.acquire();
    const reason = new Error("client gone");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(pool).toMatchObject({ waiting: 1, abandonedWaits: 1 });

    pool.release(held);
    expect(await next).toBe(held); // the next waiter in line, not the one that left
    await expect(pool.acquire(controller.signal)).rejects.toBe(reason); // already aborted
    expect(pool).toMatchObject({ acquired: 2, released: 1, waiting: 0 });
  });

  it("refuses a connection released twice", async () => {
    const pool = new ConnectionPool(1);
    const c = await pool.acquire();
    pool.release(c);
    expect(() => pool.release(c)).toThrow(/not in use/);
    expect(pool).toMatchObject({ acquired: 1, released: 1, available: 1 });
  });
});

describe("examples/api-server/workflow.ts: cleanup after a partial initialisation", () => {
  // The pool's only connection is held by the test, so the `connection` task can only wait.
  async function setUp(auth: "unauthorized" | "hang") {
    const pool = new ConnectionPool(1);
    const held = await pool.acquire();
    let authArrived = () => {};
    const arrived = new Promise<void>((resolve) => {
      authArrived = resolve;
    });
    const upstream = await startUpstream((endpoint) => (endpoint === "auth" ? auth : "ok"), {
      onRequest: () => authArrived(),
    });
    const processor = buildWorkflow({
      pool,
      upstreamUrl: upstream.url,
      timeoutMs: 1_000,
      retries: 1,
      initialDelayMs: 10,
    });
    return { pool, held, upstream, processor, arrived };
  }

  async function failure(run: Promise<unknown>): Promise<unknown> {
    try {
      await run;
    } catch (error) {
      return error;
    }
    throw new Error("the run succeeded");
  }

  it("INV-7 auth refused while the connection task waits: 401, the wait is cancelled, nothing is released", async () => {
    const { pool, held, upstream, processor } = await setUp("unauthorized");
    const error = await failure(processor.processTasks({ requestId: "r1" }));
    expect(isSdaxExecutionError(error) && error.failures.map((f) => f.task)).toEqual(["auth"]);
    expect(statusFor(error)).toBe(401);
    expect(pool).toMatchObject({ acquired: 1, released: 0, abandonedWaits: 1, waiting: 0 });
    pool.release(held);
    await upstream.close();
  });

  it("INV-7 the client leaves while auth hangs and the connection task waits: 499, the upstream call is aborted", async () => {
    const { pool, held, upstream, processor, arrived } = await setUp("hang");
    const controller = new AbortController();
    const run = failure(processor.processTasks({ requestId: "r2" }, { signal: controller.signal }));
    await arrived; // the upstream holds the auth call
    controller.abort(new Error("the client closed the connection"));
    expect(statusFor(await run)).toBe(499);
    expect(pool).toMatchObject({ acquired: 1, released: 0, abandonedWaits: 1, waiting: 0 });
    await upstream.drained(); // resolves only once the aborted call closed on the upstream's side
    expect(upstream.stats).toMatchObject({ requests: 1, aborted: 1, inFlight: 0 });
    pool.release(held);
    await upstream.close();
  });
});

describe("examples/api-server/load.ts", () => {
  it("48 concurrent requests, six of each scenario: every status as expected, pool full, no upstream call or handle left open", async () => {
    const lines: string[] = [];
    const report = await runLoad({
      requests: 48,
      seed: 1,
      scenarioOf: (i) => SCENARIO_NAMES[i % SCENARIO_NAMES.length] ?? "ok",
      // A longer timeout than the CLI's: other test files share the CPU.
      app: { poolSize: 8, timeoutMs: 1_000, retries: 1, initialDelayMs: 10 },
      log: (line) => lines.push(line),
    });
    expect(report.failures).toEqual([]);
    expect(Object.values(report.counts)).toEqual(SCENARIO_NAMES.map(() => 6));
    expect(lines).toContain("closed: no socket, server or timer left open");
  });

  it("the seeded schedule depends only on the seed and the request index", () => {
    const draw = (seed: number) => Array.from({ length: 200 }, (_, i) => scenarioFor(seed, i));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(new Set(draw(1))).toEqual(new Set(SCENARIO_NAMES));
    expect(scenarioFor(1, 150)).toBe(draw(1)[150]);
  });
});
