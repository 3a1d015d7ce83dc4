/**
 * The demo (`npm start`, examples/demo.ts) and the modules it is made of, run on a VirtualClock
 * with a captured log: what they print, in order, with the virtual time of each line.
 */
import { describe, expect, it } from "vitest";
import { cancellationTour } from "../../examples/cancellation.js";
import { failingRunCharts, runDemo, timelineTour } from "../../examples/demo.js";
import { graphTour } from "../../examples/graph.js";
import { levelsTour } from "../../examples/levels.js";
import { phaseRunnerTour } from "../../examples/phase-runner.js";
import { timeoutRetryTour } from "../../examples/timeout-retry.js";
import { captureIO, drive, timeline } from "./drive.js";

describe("examples/levels.ts: the Python sdax Quick Start, then a run where the level-2 task fails", () => {
  it("INV-2 INV-5 INV-10 run 1: level 1 in parallel, then execute, then teardown; INV-7 INV-14 run 2: UserData fails, Authentication is still torn down, one failure reported", async () => {
    const io = captureIO();
    await drive(io.clock, levelsTour(io));
    expect(timeline(io.lines)).toEqual([
      "0 Authentication.preExecute Checking authentication...",
      "0 FeatureFlags.preExecute Loading feature flags...",
      "30 Authentication.preExecute Auth successful.",
      "60 FeatureFlags.preExecute Flags loaded.",
      "60 UserData.execute Fetching user data...",
      "90 UserData.execute User 123 fetched.",
      "90 Authentication.postExecute Tearing down db connection...",
      "105 Authentication.postExecute Connection closed.",
      // run 2
      "0 Authentication.preExecute Checking authentication...",
      "0 FeatureFlags.preExecute Loading feature flags...",
      "30 Authentication.preExecute No user for this session.",
      "60 FeatureFlags.preExecute Flags loaded.",
      "60 UserData.execute Fetching user data...",
      "60 UserData.execute ✘ failed: Error: Auth failed, cannot fetch user data.",
      "60 Authentication.postExecute Tearing down db connection...",
      "75 Authentication.postExecute Connection closed.",
    ]);
    expect(io.lines).toContain("   ✔ Workflow completed successfully: 3 tasks in 105 ms.");
    expect(io.lines).toContain(
      '   SdaxExecutionError: sdax run failed: 1 phase failed: task "UserData" execute failed: Error: Auth failed, cannot fetch user data.',
    );
    expect(io.lines).toContain(
      '     - task "UserData", execute, 1 attempt: Error: Auth failed, cannot fetch user data.',
    );
  });
});

describe("examples/cancellation.ts: a preExecute fails on level 2 of 3", () => {
  it("INV-3 INV-4 INV-7 INV-9 INV-10 the sibling is cancelled, level 3 never starts, cleanup runs in reverse order, only the real failure is reported", async () => {
    const io = captureIO();
    await drive(io.clock, cancellationTour(io));
    expect(timeline(io.lines)).toEqual([
      "0 Database.preExecute Connecting...",
      "20 Database.preExecute Connected.",
      "20 Cache.preExecute Warming the cache (takes 50 ms)...",
      "20 Quota.preExecute Checking the quota...",
      "30 Quota.preExecute ✘ failed: QuotaExceededError: monthly quota exceeded",
      "30 Cache.preExecute ⊘ cancelled: its scope.signal aborted",
      "30 Cache.postExecute Cache was never warmed: nothing to release.",
      "30 Database.postExecute Disconnected.",
    ]);
    expect(io.lines.some((line) => line.includes("Report."))).toBe(false);
    expect(io.lines).toContain("   error.failures (1):");
    expect(io.lines).toContain(
      '     - task "Quota", preExecute, 1 attempt: QuotaExceededError: monthly quota exceeded',
    );
  });
});

describe("examples/graph.ts: graph mode with join()", () => {
  it("INV-2 INV-5 INV-10 a task enters when its own dependencies are ready; executes start together; teardown in reverse dependency order", async () => {
    const io = captureIO();
    await drive(io.clock, graphTour(io));
    expect(timeline(io.lines)).toEqual([
      "0 db.preExecute Connecting...",
      "0 auth.preExecute Checking the token...",
      "20 db.preExecute Connected.",
      "20 orders.preExecute Preparing the orders query...",
      "30 orders.preExecute Query prepared.",
      "40 auth.preExecute Token valid.",
      "40 orders.execute Loading orders...",
      "40 profile.execute Rendering the profile...",
      "50 profile.execute Profile rendered.",
      "60 orders.execute 3 orders loaded.",
      "60 orders.postExecute Cursor closed.",
      "60 db.postExecute Disconnected.",
    ]);
  });
});

describe("examples/timeout-retry.ts: a timed-out attempt is retried", () => {
  it("INV-26 INV-24 INV-25 the first attempt times out at exactly timeoutMs, the retry waits initialDelayMs * jitter after it settled, the second attempt succeeds", async () => {
    const io = captureIO(0); // jitter factor 0.5: a 10 ms delay
    await drive(io.clock, timeoutRetryTour(io));
    expect(timeline(io.lines)).toEqual([
      "0 Quote.execute Attempt 1: asking the quote service...",
      "50 Quote.execute ⏱ attempt 1 timed out",
      "50 Quote.execute ↻ retrying in 10 ms",
      "60 Quote.execute Attempt 2: asking the quote service...",
      "80 Quote.execute Attempt 2: quote is 42.5.",
    ]);
    expect(io.lines).toContain("   ✔ Succeeded; report.retried: Quote.execute took 2 attempts.");
  });

  it("INV-24 the delay follows the jitter source: random 1 gives the full initialDelayMs", async () => {
    const io = captureIO(1);
    await drive(io.clock, timeoutRetryTour(io));
    expect(timeline(io.lines)).toContain("50 Quote.execute ↻ retrying in 20 ms");
    expect(timeline(io.lines)).toContain("70 Quote.execute Attempt 2: asking the quote service...");
  });
});

describe("examples/phase-runner.ts: a request handler with open() and await using", () => {
  it("PR-3 PR-8 the response goes out between execute and postExecute; a failed preExecute still closes the connection, then await using throws", async () => {
    const io = captureIO();
    await drive(io.clock, phaseRunnerTour(io));
    expect(timeline(io.lines)).toEqual([
      "0 Connection.preExecute Opened conn-7.",
      "0 Page.preExecute User checked.",
      "0 Page.execute Page rendered.",
      "0 handler Responding 200: <h1>Hello, user 7</h1>",
      "0 Connection.postExecute Closed conn-7.",
      "0 Connection.preExecute Opened conn-99.",
      "0 Page.preExecute ✘ failed: RangeError: no such user: 99",
      "0 handler Responding 400; cleanup follows.",
      "0 Connection.postExecute Closed conn-99.",
    ]);
    expect(io.lines).toContain(
      '     - task "Page", preExecute, 1 attempt: RangeError: no such user: 99',
    );
  });
});

/** Part 3's run as a Gantt chart: what `npm start` prints last and docs/pictures shows. */
const FAILING_RUN_GANTT = [
  "gantt",
  "  dateFormat x",
  "  axisFormat %-L ms",
  "  todayMarker off",
  "  section #114;un",
  "    run failed :crit, 0, 30ms",
  "  section Database",
  "    preExecute :done, 0, 20ms",
  "    postExecute :done, milestone, 30, 0ms",
  "  section Cache",
  "    preExecute cancelled :active, 20, 10ms",
  "    postExecute :done, milestone, 30, 0ms",
  "  section Quota",
  "    preExecute failed :crit, 20, 10ms",
];

describe("examples/demo.ts: the timeline of the failing run", () => {
  it("INV-4 INV-7 part 7 prints part 3's run as a Gantt chart: Quota fails at 30 ms, Cache is cancelled, both cleanups run at once", async () => {
    const io = captureIO();
    await drive(io.clock, timelineTour(io));
    expect(io.lines[0]).toBe("7. The timeline of run 3, drawn from its lifecycle events");
    const start = io.lines.indexOf("gantt");
    expect(io.lines.slice(start, start + FAILING_RUN_GANTT.length)).toEqual(FAILING_RUN_GANTT);
    expect(io.lines.at(-1)).toBe("");
    expect(io.clock.pendingTimers).toBe(0);
  });

  it("the charts of part 3: its workflow's flowchart and its run's Gantt chart", async () => {
    const io = captureIO();
    const { flowchart, gantt } = await drive(io.clock, failingRunCharts(io));
    expect(gantt).toBe(`${FAILING_RUN_GANTT.join("\n")}\n`);
    expect(flowchart).toContain('subgraph L1["level 2"]');
    expect(io.lines).toEqual([]); // the run again, quietly
  });
});

describe("examples/demo.ts: npm start", () => {
  it("INV-28 runs every part in order, uncoloured when not asked, and leaves no timer pending", async () => {
    const io = captureIO();
    await drive(io.clock, runDemo(io));
    const headings = io.lines.filter((line) => /^\d\. /.test(line));
    expect(headings.map((h) => h.slice(0, 2))).toEqual(["1.", "2.", "3.", "4.", "5.", "6.", "7."]);
    expect(io.lines.join("\n")).not.toContain("\u001b[");
    expect(io.clock.pendingTimers).toBe(0);
    expect(timeline(io.lines)).toHaveLength(8 + 8 + 8 + 12 + 5 + 9);
  });

  it("colours its output when asked", async () => {
    const io = { ...captureIO(), color: true };
    await drive(io.clock, runDemo(io));
    expect(io.lines[0]).toContain("\u001b[1m");
  });
});
