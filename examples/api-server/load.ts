/**
 * Load test of the API server example: `npx tsx examples/api-server/load.ts [--requests 2000]
 * [--seed 1]`. Exits 0 only if every check holds; gives up with exit code 1 after 60 s.
 *
 * It starts the upstream and the API server in this process, on 127.0.0.1 (ephemeral ports),
 * and fires every request at once. Each request's scenario (scenarios.ts) comes from a seeded
 * generator and the request's index, which the client sends as `x-request-id`: the upstream
 * answers, fails, is slow or hangs accordingly. For "client-leaves", the client disconnects as
 * soon as the upstream holds its (hanging) auth call. Then it checks:
 *
 * - every request got the status its scenario expects (the server saw 499 for a disconnect);
 * - every connection acquired from the pool was released, and the pool is full again;
 * - the upstream received exactly the calls expected, saw every hanging call aborted, and has
 *   none left open;
 * - once both servers are closed, no socket, server or timer is left open.
 */
import { readFileSync } from "node:fs";
import { Agent, type ClientRequest, request } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { isMain } from "../demo-kit.js";
import { type AppOptions, startApp } from "./main.js";
import type { ConnectionPool } from "./pool.js";
import {
  behaviourOf,
  SCENARIO_NAMES,
  SCENARIOS,
  type Scenario,
  type ScenarioName,
  scenarioFor,
} from "./scenarios.js";
import type { Outcome } from "./server.js";
import type { Upstream } from "./upstream.js";

export interface LoadOptions {
  readonly requests: number;
  readonly seed: number;
  /** Requests in flight at once. @default all of them (fewer if `ulimit -n` is too low) */
  readonly concurrency?: number;
  /** The scenario of request `index`. @default scenarioFor(seed, index) */
  readonly scenarioOf?: (index: number) => ScenarioName;
  /** Pool size, timeouts and retries of the app under test. */
  readonly app?: Pick<AppOptions, "poolSize" | "timeoutMs" | "retries" | "initialDelayMs">;
  readonly log?: (line: string) => void;
  /** Give up (a failure) if not every request is answered by then. @default 50_000 */
  readonly deadlineMs?: number;
}

export interface LoadReport {
  /** One line per broken check; empty when all hold. */
  readonly failures: readonly string[];
  /** Requests per scenario. */
  readonly counts: Readonly<Record<ScenarioName, number>>;
  readonly ms: number;
}

type ClientResult = { status: number; body: string } | { status: "disconnected" };

/** File descriptors one in-flight request holds here: client and server end, twice. */
const FDS_PER_REQUEST = 4;
const RESERVED_FDS = 256;

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const baseline = process.getActiveResourcesInfo();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const failures: string[] = [];
  const fail = (line: string) => failures.push(line);

  const n = options.requests;
  const scenarioOf = options.scenarioOf ?? ((i: number) => scenarioFor(options.seed, i));
  const schedule = Array.from({ length: n }, (_, i) => scenarioOf(i));
  const concurrency = fitConcurrency(options.concurrency ?? n, log);
  const retries = options.app?.retries ?? 1;
  const timeoutMs = options.app?.timeoutMs ?? 200;

  // The server's side: one outcome per request, and how many requests it holds at once.
  const outcomes = new Map<string, Outcome>();
  let inProgress = 0;
  let peakInProgress = 0;
  let allSettled = () => {};
  const settled = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const leaving = new Map<string, ClientRequest>(); // the "client-leaves" requests, by id

  const app = await startApp({
    ...options.app,
    retries,
    timeoutMs,
    plan: (endpoint, requestId, attempt) =>
      behaviourOf(SCENARIOS[schedule[Number(requestId)] ?? "ok"], endpoint, attempt),
    // The upstream holds the auth call of a "client-leaves" request: the client goes away now.
    onUpstreamRequest: (endpoint, requestId) => {
      if (endpoint === "auth") leaving.get(requestId)?.destroy();
    },
    onOutcome: (outcome) => {
      inProgress--;
      if (outcomes.has(outcome.requestId)) fail(`request ${outcome.requestId}: two outcomes`);
      outcomes.set(outcome.requestId, outcome);
      if (outcomes.size === n) allSettled();
    },
  });
  app.api.on("request", () => {
    peakInProgress = Math.max(peakInProgress, ++inProgress);
  });
  log(`${n} requests, ${concurrency} at once, seed ${options.seed}, against ${app.url}`);

  // A client that left is done before the server's run has cleaned up: wait for both sides.
  const answered = fire(app.url, schedule, concurrency, leaving).then(async (results) => {
    await settled;
    return results;
  });
  const done = await within(answered, options.deadlineMs ?? 50_000);
  if (done === undefined) {
    const { pool, upstream } = app;
    fail(
      `not done after ${options.deadlineMs ?? 50_000} ms: ${outcomes.size} of ${n} runs settled; ` +
        `pool: ${pool.inUse} in use, ${pool.waiting} waiting; upstream: ${upstream.stats.inFlight} calls open`,
    );
    return { failures, counts: countScenarios(schedule), ms: performance.now() - started };
  }
  loopDelay.disable();
  log(
    `API server: up to ${peakInProgress} requests in progress at once; all answered after ` +
      `${Math.round(performance.now() - started)} ms; event loop delay up to ` +
      `${Math.round(loopDelay.max / 1e6)} ms (data call timeout: ${timeoutMs} ms)`,
  );

  checkStatuses(schedule, done.value, outcomes, fail);
  checkPool(app.pool, fail, log);
  await checkUpstream(app.upstream, schedule, retries, fail, log);

  // Close everything; then nothing of ours may be left: no server, socket or timer.
  if ((await within(app.close(), 5_000)) === undefined)
    fail("servers still open after 5 s: connections left");
  const leftover = await leftoverResources(baseline);
  if (leftover.length > 0) fail(`handles left open after closing: ${leftover.join(", ")}`);
  else log("closed: no socket, server or timer left open");

  return { failures, counts: countScenarios(schedule), ms: performance.now() - started };
}

/**
 * The client: sends request `i` with `x-request-id: i`, `concurrency` at a time (each worker
 * sends its next request when its last one ended), through an Agent with a socket for each.
 */
async function fire(
  url: string,
  schedule: readonly ScenarioName[],
  concurrency: number,
  leaving: Map<string, ClientRequest>,
): Promise<ClientResult[]> {
  const agent = new Agent({ keepAlive: false, maxSockets: concurrency });
  const send = (i: number) =>
    new Promise<ClientResult>((resolve) => {
      const id = String(i);
      const req = request(`${url}/profile`, { agent, headers: { "x-request-id": id } });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", () => resolve({ status: "disconnected" }));
      });
      req.on("error", () => resolve({ status: "disconnected" }));
      if (schedule[i] === "client-leaves") leaving.set(id, req);
      req.end();
    });
  const results: ClientResult[] = new Array(schedule.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < schedule.length; i = next++) results[i] = await send(i);
    }),
  );
  agent.destroy();
  return results;
}

/** Every request got the status its scenario expects, on both sides, with its own body. */
function checkStatuses(
  schedule: readonly ScenarioName[],
  results: readonly ClientResult[],
  outcomes: ReadonlyMap<string, Outcome>,
  fail: (line: string) => void,
): void {
  schedule.forEach((name, i) => {
    const expected = SCENARIOS[name].expect;
    const client = results[i];
    const server = outcomes.get(String(i))?.status;
    const who = `request ${i} (${name})`;
    if (server !== expected) fail(`${who}: the server answered ${server}, expected ${expected}`);
    if (expected === 499) {
      if (client?.status !== "disconnected") fail(`${who}: the client got ${client?.status}`);
    } else if (client === undefined || client.status !== expected) {
      fail(`${who}: the client got ${client?.status}, expected ${expected}`);
    } else if (expected === 200 && "body" in client && requestIdOf(client.body) !== String(i)) {
      fail(`${who}: the body is not this request's: ${client.body}`);
    }
  });
}

function requestIdOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { requestId?: unknown }).requestId;
  } catch {
    return undefined;
  }
}

/** Every connection acquired was released; the pool is full, nobody waiting. */
function checkPool(
  pool: ConnectionPool,
  fail: (line: string) => void,
  log: (line: string) => void,
) {
  log(
    `pool: ${pool.acquired} acquired, ${pool.released} released, ${pool.available}/${pool.size} ` +
      `free; up to ${pool.peakWaiting} waiting, ${pool.abandonedWaits} stopped waiting (cancelled)`,
  );
  if (pool.acquired !== pool.released) {
    fail(`pool: ${pool.acquired} acquired, but ${pool.released} released`);
  }
  if (pool.available !== pool.size || pool.inUse !== 0 || pool.waiting !== 0) {
    fail(
      `pool: ${pool.available}/${pool.size} free, ${pool.inUse} in use, ${pool.waiting} waiting`,
    );
  }
}

/**
 * The upstream received exactly the calls the schedule implies, saw every hanging call aborted,
 * and has none left open. A call the API server aborted closes on the upstream's side a moment
 * later (its socket closes): wait for that, for at most 2 s.
 */
async function checkUpstream(
  upstream: Upstream,
  schedule: readonly ScenarioName[],
  retries: number,
  fail: (line: string) => void,
  log: (line: string) => void,
): Promise<void> {
  if ((await within(upstream.drained(), 2_000)) === undefined)
    fail("upstream: calls still open after 2 s");
  let calls = 0;
  let aborted = 0;
  for (const name of schedule) {
    const one = expectedUpstreamCalls(SCENARIOS[name], retries);
    calls += one.calls;
    aborted += one.aborted;
  }
  const s = upstream.stats;
  log(
    `upstream: ${s.requests} calls (expected ${calls}), ${s.aborted} aborted by the caller ` +
      `(expected ${aborted}), ${s.inFlight} open, up to ${s.peakInFlight} at once`,
  );
  if (s.requests !== calls) fail(`upstream: ${s.requests} calls, expected ${calls}`);
  if (s.aborted !== aborted) fail(`upstream: ${s.aborted} calls aborted, expected ${aborted}`);
  if (s.inFlight !== 0) fail(`upstream: ${s.inFlight} calls left open`);
}

/** Upstream calls a request of `scenario` makes, and how many of them it aborts (hangs). */
function expectedUpstreamCalls(
  scenario: Scenario,
  retries: number,
): { calls: number; aborted: number } {
  if (scenario.auth === "hang") return { calls: 1, aborted: 1 }; // the client leaves
  if (scenario.auth !== "ok" && scenario.auth !== "slow") return { calls: 1, aborted: 0 };
  let calls = 1;
  let aborted = 0;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    calls++;
    if (behaviourOf(scenario, "data", attempt) !== "hang") break;
    aborted++; // timed out: the attempt's signal aborted the call
  }
  return { calls, aborted };
}

/** `wanted`, or fewer if the open-file limit cannot hold that many requests at once. */
function fitConcurrency(wanted: number, log: (line: string) => void): number {
  let limit: number | undefined;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m?.[1] !== undefined) limit = Number(m[1]);
  } catch {
    // not Linux: no /proc; trust the limit
  }
  if (limit === undefined) return wanted;
  const fits = Math.max(1, Math.floor((limit - RESERVED_FDS) / FDS_PER_REQUEST));
  if (fits < wanted) {
    log(`ulimit -n is ${limit}: ${fits} requests at once, not ${wanted} (raise it with ulimit -n)`);
    return fits;
  }
  return wanted;
}

/** `{ value }` if `promise` fulfils within `ms`, else undefined; the timer is cleared either way. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function countScenarios(schedule: readonly ScenarioName[]): Record<ScenarioName, number> {
  const counts = Object.fromEntries(SCENARIO_NAMES.map((name) => [name, 0]));
  for (const name of schedule) counts[name] = (counts[name] ?? 0) + 1;
  return counts as Record<ScenarioName, number>;
}

/**
 * Active resources beyond `baseline`. Sockets the peer closed end a few event-loop turns later,
 * so it looks again on each turn, for at most 2 s.
 */
async function leftoverResources(baseline: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const extra = [...process.getActiveResourcesInfo()];
    for (const r of [...baseline, "Immediate"]) {
      const at = extra.indexOf(r);
      if (at >= 0) extra.splice(at, 1);
    }
    if (extra.length === 0 || Date.now() > deadline) return extra;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
    },
  });
  const requests = Number(values.requests);
  const seed = Number(values.seed);
  if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(seed)) {
    throw new RangeError("usage: load.ts [--requests N (>= 1)] [--seed S (an integer)]");
  }
  // The run gives up after 50 s with a diagnosis; this is the backstop if even that hangs.
  const watchdog = setTimeout(() => {
    console.error("load test: not done after 60 s, giving up");
    process.exit(1);
  }, 60_000);
  const report = await runLoad({ requests, seed, log: (line) => console.log(line) });
  clearTimeout(watchdog);
  console.log("");
  for (const name of SCENARIO_NAMES) {
    console.log(
      `  ${name.padEnd(14)} ${String(report.counts[name]).padStart(5)}  -> ${SCENARIOS[name].expect}`,
    );
  }
  console.log("");
  for (const line of report.failures.slice(0, 20)) console.log(`FAIL ${line}`);
  if (report.failures.length > 20) console.log(`... and ${report.failures.length - 20} more`);
  console.log(
    report.failures.length === 0
      ? `load test passed in ${(report.ms / 1000).toFixed(1)} s`
      : `load test FAILED: ${report.failures.length} check(s)`,
  );
  // On success nothing is left open and the process ends by itself; a failure may leave handles.
  if (report.failures.length > 0) process.exit(1);
}
