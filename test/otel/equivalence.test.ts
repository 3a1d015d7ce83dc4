/**
 * A traced run is the run it traces: over generated workflows (failures, timeouts, retries,
 * cancellations, abandonment, external aborts, hostile clocks and thrown values) and several
 * concurrent runs of one processor, the traced processor and the bare one give each run the
 * same events (through the user's own `onEvent`), the same report and the same error. And the
 * spans of each run are exactly its attempts, with their outcomes, never another run's.
 */
import { test } from "@fast-check/vitest";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { describeError } from "../../src/errors/describe-error.js";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type LifecycleEvent,
  type RunOptions,
  type RunReport,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { instrument, SDAX_ATTRIBUTES } from "../../src/otel/index.js";
import { SMALL, scenario } from "../support/arbitraries.js";
import { budget } from "../support/budget.js";
import {
  buildProcessor,
  drive,
  flush,
  makeThrown,
  microtaskTicker,
  quirkyClock,
  type RunCtx,
} from "../support/executor.js";
import { type Scenario, summarise } from "../support/model.js";
import { exporter, openSpans, spans, tracer, useTracing } from "./support.js";

useTracing();

interface Observed {
  readonly events: LifecycleEvent[];
  settled: boolean;
  report?: RunReport;
  error?: unknown;
}

/**
 * Runs every run of the scenario concurrently on one processor, bare or traced; a traced run
 * is started inside a span of its own, `caller <k>`, so each run has a trace of its own.
 */
async function runScenario(sc: Scenario, traced: boolean): Promise<Observed[]> {
  const clock = new VirtualClock();
  let seq = 0;
  const processor = buildProcessor(sc.shape, microtaskTicker, clock, () => seq++);
  const runner: Pick<AsyncTaskProcessor<RunCtx>, "processTasks"> = traced
    ? instrument(processor, { tracer })
    : processor;
  const runClock = quirkyClock(clock, sc.clock);
  const observed = sc.runs.map((model, run): Observed => {
    const controller = new AbortController();
    const abortNow = () => {
      if (controller.signal.aborted) return;
      const kind =
        model.abort.kind === "at" || model.abort.kind === "inside" ? model.abort.reason : undefined;
      controller.abort(makeThrown(kind, `external abort of run ${run}`));
    };
    const ctx: RunCtx = { run, model, calls: [], writes: {}, abort: abortNow };
    const result: Observed = { events: [], settled: false };
    if (model.abort.kind === "beforeStart") abortNow();
    else if (model.abort.kind === "at") clock.setTimeout(abortNow, model.abort.ms);
    const options: RunOptions = {
      clock: runClock,
      signal: controller.signal,
      random: () => 0.5,
      onEvent: (e) => {
        result.events.push(e);
      },
      ...(model.abandonAfterMs === undefined ? {} : { abandonAfterMs: model.abandonAfterMs }),
    };
    const start = () =>
      runner.processTasks(ctx, options).then(
        (report) => {
          result.settled = true;
          result.report = report;
        },
        (error: unknown) => {
          result.settled = true;
          result.error = error;
        },
      );
    if (traced) {
      tracer.startActiveSpan(`caller ${run}`, (caller) => {
        void start();
        caller.end();
      });
    } else {
      void start();
    }
    return result;
  });
  for (let round = 0; round < 100 && observed.some((r) => !r.settled); round++) {
    await drive(microtaskTicker, clock, 200_000);
    await flush();
  }
  await drive(microtaskTicker, clock, 200_000);
  await flush();
  return observed;
}

/** An error as comparable data: a run's errors are made afresh by each run. */
function errorData(error: unknown) {
  if (error === undefined) return undefined;
  if (!isSdaxExecutionError(error)) return { other: describeError(error) };
  return {
    message: error.message,
    aborted: error.aborted,
    failures: error.failures.map((f) => ({ ...f, error: describeError(f.error) })),
  };
}

/**
 * What the spans of one run must be, from its events: `name#attempt outcome [abandoned]` for
 * each attempt that ended, how many late settlements, and how many attempts are still open
 * (started, and neither settled nor abandoned: a function that never stops).
 */
function expectedSpans(events: readonly LifecycleEvent[]): {
  attempts: string[];
  late: number;
  open: number;
} {
  const outcome = new Map<string, string>();
  const ended: string[] = [];
  let late = 0;
  for (const e of events) {
    if (e.type !== "attempt") continue;
    const key = `${e.task} ${e.phase}#${e.attempt}`;
    if (e.event === "start") outcome.set(key, "");
    if (!outcome.has(key)) continue; // a retry cancelled in its delay never ran
    if (e.event === "succeed") outcome.set(key, "succeeded");
    if (e.event === "fail")
      outcome.set(key, e.from === "cancelling" ? "failedAfterCancel" : "failed");
    if (e.event === "timeout") outcome.set(key, "timedOut");
    if (e.event === "cancel") outcome.set(key, "cancelled");
    if (e.event === "succeed" || e.event === "settle") ended.push(`${key} ${outcome.get(key)}`);
    if (e.event === "abandon") ended.push(`${key} ${outcome.get(key)} abandoned`);
    if (e.event === "lateSettle") late++;
  }
  return { attempts: ended.sort(), late, open: outcome.size - ended.length };
}

function describeSpan(s: ReadableSpan): string {
  const a = s.attributes;
  const abandoned = a[SDAX_ATTRIBUTES.abandoned] === true ? " abandoned" : "";
  return `${s.name}#${a[SDAX_ATTRIBUTES.attempt]} ${a[SDAX_ATTRIBUTES.outcome]}${abandoned}`;
}

async function checkEquivalence(sc: Scenario): Promise<void> {
  const where = summarise(sc);
  const bare = await runScenario(sc, false);
  exporter.reset();
  openSpans.clear();
  const traced = await runScenario(sc, true);
  const all = spans();
  for (const [k, b] of bare.entries()) {
    const t = traced[k]!;
    expect(t.events, `run ${k}: ${where}`).toEqual(b.events);
    expect(t.settled, `run ${k}: ${where}`).toBe(b.settled);
    expect(t.report, `run ${k}: ${where}`).toEqual(b.report);
    expect(errorData(t.error), `run ${k}: ${where}`).toEqual(errorData(b.error));

    // The run's own trace: its caller's span, then what the run traced.
    const caller = all.find((s) => s.name === `caller ${k}`)!;
    const trace = all.filter((s) => s.spanContext().traceId === caller.spanContext().traceId);
    const runSpans = trace.filter((s) => s.name === "sdax run");
    const late = trace.filter((s) => s.name.endsWith(" late settlement"));
    const attempts = trace.filter(
      (s) => s !== caller && !runSpans.includes(s) && !late.includes(s),
    );
    const expected = expectedSpans(t.events);
    expect(attempts.map(describeSpan).sort(), `run ${k}: ${where}`).toEqual(expected.attempts);
    expect(late.length, `run ${k}: ${where}`).toBe(expected.late);
    const settled = t.events.find((e) => e.type === "run" && e.to === "settled");
    const stillOpen = [...openSpans].filter(
      (s) => s.spanContext().traceId === caller.spanContext().traceId,
    );
    expect(stillOpen.length, `run ${k}: ${where}`).toBe(
      expected.open + (settled === undefined ? 1 : 0),
    );
    expect(runSpans.length, `run ${k}: ${where}`).toBe(settled === undefined ? 0 : 1);
    const runSpan = runSpans[0];
    if (runSpan !== undefined && settled?.type === "run") {
      expect(runSpan.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
      expect(runSpan.attributes[SDAX_ATTRIBUTES.outcome]).toBe(settled.outcome);
      for (const a of attempts) {
        expect(a.parentSpanContext?.spanId, `${a.name}: ${where}`).toBe(
          runSpan.spanContext().spanId,
        );
      }
    }
  }
}

describe("a traced run is the run it traces", () => {
  test.prop([scenario(SMALL)], { numRuns: budget(150, 1500) })(
    "INV-14 INV-18: the same events, report and error as the bare run; one span per attempt that ended",
    checkEquivalence,
  );

  test.prop([scenario({ ...SMALL, maxRuns: 3 })], { numRuns: budget(60, 600) })(
    "INV-15: concurrent runs of one traced processor: each run's spans are its own",
    checkEquivalence,
  );
});

describe("a traced run with a concurrency limit and a deadline", () => {
  it("INV-37 INV-40: queues, starts and aborts as the bare run does; one span per attempt", async () => {
    type Ctx = Record<string, unknown>;
    const slow = taskFunc(
      (_ctx: Ctx, { signal }: TaskScope) =>
        new Promise((resolve) => {
          signal.addEventListener("abort", () => resolve(undefined), { once: true });
        }),
      { timeoutMs: 30, retries: 1, initialDelayMs: 5 },
    );
    const builder = AsyncTaskProcessor.builder<Ctx>();
    for (const name of ["a", "b", "c", "d"]) {
      builder.addTask(
        task(name, { preExecute: slow, execute: () => {}, postExecute: () => {} }),
        1,
      );
    }
    const processor = builder.build();
    const runOf = async (p: Pick<AsyncTaskProcessor<Ctx>, "processTasks">) => {
      const clock = new VirtualClock();
      const events: LifecycleEvent[] = [];
      const run = p
        .processTasks(
          {},
          {
            clock,
            maxConcurrency: 2,
            timeoutMs: 100,
            random: () => 1,
            onEvent: (e) => events.push(e),
          },
        )
        .then(
          () => undefined,
          (error: unknown) => errorData(error),
        );
      await clock.runAll();
      return { events, error: await run };
    };
    const bare = await runOf(processor);
    const traced = await runOf(instrument(processor, { tracer }));
    expect(traced).toEqual(bare);
    expect(bare.error?.failures?.length).toBeGreaterThan(0);
    const starts = bare.events.filter((e) => e.type === "attempt" && e.event === "start").length;
    expect(spans().filter((s) => s.name !== "sdax run")).toHaveLength(starts);
    expect(spans().filter((s) => s.name === "sdax run")).toHaveLength(1);
  });
});
