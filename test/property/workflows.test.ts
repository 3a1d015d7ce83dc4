/**
 * Property tests over generated workflows (spec/lifecycle.md section 5, spec/task-functions.md
 * section 10): level workflows and DAGs, every phase present or absent, every function with a
 * generated behaviour (succeed, throw, reject later, hang until aborted, ignore the abort and
 * settle late, fail K times with a RetryableError, time out), an external abort at a random
 * point, a concurrency limit and a run deadline now and then (always, in the section 8
 * property), and the interleaving of every step and every virtual timer chosen by fast-check's
 * scheduler. Each run's trace must pass checkTrace, the oracle (written from the spec) and the
 * exact-time checks.
 *
 * A failure prints the seed and path (replay: pass `{ seed, path, endOnFailure: true }` as the
 * second argument of `test.prop`), the scheduler's order of steps, and the shrunk scenario as
 * JSON; the assertion message summarises it in one line (`summarise` in test/support/model.ts).
 *
 * Budget: a few hundred runs by default; SDAX_TEST_BUDGET=long runs thousands, up to
 * 50 levels x 10 tasks and DAGs of 200 tasks.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { checkTrace } from "../../src/index.js";
import { FULL, type Sizes, SMALL, scenario } from "../support/arbitraries.js";
import { budget, LONG } from "../support/budget.js";
import { checkExactTiming } from "../support/event-checks.js";
import { runScenario } from "../support/executor.js";
import { type Scenario, summarise } from "../support/model.js";
import { judge } from "../support/oracle.js";
import { explain } from "../support/trace.js";

const sizes: Sizes = LONG ? FULL : SMALL;
/** The long budget's thousands of runs take minutes per property, not the default 60 s. */
const LONG_TIMEOUT = LONG ? 1_800_000 : undefined;

async function checkScenario(s: fc.Scheduler, sc: Scenario): Promise<void> {
  const { harness, results } = await runScenario(sc, s);
  for (const r of results) {
    const where = `run ${r.run} of ${summarise(sc)}`;
    expect(r.settled, `${where}: the run never settled`).toBe(true);
    expect(explain(checkTrace(r.events, harness.processor)), where).toBe("");
    expect(judge(sc, r), where).toEqual([]);
    expect(checkExactTiming(r.events, harness.processor, sc, r.model), where).toEqual([]);
  }
}

describe("spec/lifecycle.md section 5 over generated level workflows", () => {
  test.prop([fc.scheduler(), scenario(sizes, "levels")], {
    numRuns: budget(500, 3000),
  })(
    "INV-1 INV-2 INV-3 INV-4 INV-5 INV-7 INV-10 INV-11 INV-13 INV-14: every run passes checkTrace and the oracle",
    checkScenario,
    LONG_TIMEOUT,
  );
});

describe("spec/lifecycle.md section 5 over generated DAGs", () => {
  test.prop([fc.scheduler(), scenario(sizes, "graph")], {
    numRuns: budget(500, 3000),
  })(
    "INV-6 INV-8 INV-9 INV-12 INV-16 INV-17 INV-18 INV-19: every run passes checkTrace and the oracle",
    checkScenario,
    LONG_TIMEOUT,
  );
});

describe("spec/task-functions.md section 10 over generated runs", () => {
  test.prop([fc.scheduler(), scenario(SMALL)], { numRuns: budget(300, 2000) })(
    "INV-20 INV-21 INV-23 INV-24 INV-25 INV-26 INV-27 INV-31: attempts, retries, timeouts and abandonment are exact on a virtual clock",
    checkScenario,
    LONG_TIMEOUT,
  );
});

describe("spec/lifecycle.md section 8: a concurrency limit and a run deadline", () => {
  /** Every run under a limit of 1 or 2, half of them with a deadline of up to 20 ms. */
  const limited = fc
    .tuple(
      scenario(sizes),
      fc.integer({ min: 1, max: 2 }),
      fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    )
    .map(
      ([sc, limit, deadline]): Scenario => ({
        ...sc,
        runs: sc.runs.map((r) => {
          const run = { ...r, maxConcurrency: limit };
          if (deadline === undefined) return run;
          return { ...run, timeoutMs: deadline };
        }),
      }),
    );
  test.prop([fc.scheduler(), limited], { numRuns: budget(400, 3000) })(
    "INV-37 INV-38 INV-39 INV-40: every interleaving under a limit of 1 or 2 passes checkTrace and the oracle (functions in flight, execute order)",
    checkScenario,
    LONG_TIMEOUT,
  );
});

describe("spec/lifecycle.md INV-15 isolation: concurrent runs of one processor", () => {
  const concurrent: Sizes = { ...sizes, maxRuns: 6 };
  test.prop([fc.scheduler(), scenario(concurrent).filter((sc) => sc.runs.length >= 2)], {
    numRuns: budget(150, 1000),
  })(
    "INV-15: N concurrent runs with different contexts and injected failures each pass checkTrace and the oracle alone; no run touches another's context",
    async (s, sc) => {
      await checkScenario(s, sc);
    },
    LONG_TIMEOUT,
  );
});

/** Each run given a deadline of 0 to 12 ms: a runner paused between phases meets it too. */
const withDeadline = fc
  .tuple(scenario(SMALL), fc.integer({ min: 0, max: 12 }))
  .map(([sc, ms]): Scenario => ({ ...sc, runs: sc.runs.map((r) => ({ ...r, timeoutMs: ms })) }));

describe("spec/phase-runner.md: a runner's run keeps every lifecycle invariant", () => {
  const runnerCase = async (s: fc.Scheduler, sc: Scenario, steps: number): Promise<void> => {
    const { harness, results } = await runScenario(
      sc,
      s,
      200_000,
      sc.runs.map(() => steps),
    );
    for (const r of results) {
      const where = `runner with ${steps} step(s), run ${r.run} of ${summarise(sc)}`;
      expect(r.settled, `${where}: the run never settled`).toBe(true);
      expect(explain(checkTrace(r.events, harness.processor)), where).toBe("");
      expect(checkExactTiming(r.events, harness.processor, sc, r.model), where).toEqual([]);
    }
  };
  test.prop([fc.scheduler(), scenario(SMALL), fc.integer({ min: 0, max: 4 })], {
    numRuns: budget(150, 1500),
  })(
    "INV-1 INV-5 INV-7 INV-11 PR-9: runNext() some times, then close(): every trace passes checkTrace",
    runnerCase,
    LONG_TIMEOUT,
  );
  test.prop([fc.scheduler(), withDeadline, fc.integer({ min: 1, max: 4 })], {
    numRuns: budget(150, 1500),
  })(
    "INV-40 PR-9: a runner paused between phases is aborted by its deadline like a run that goes on (exact times)",
    runnerCase,
    LONG_TIMEOUT,
  );
});
