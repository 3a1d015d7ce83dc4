/**
 * spec/phase-runner.md section 3, PR-10: a runner driven with runNext() until it resolves false
 * goes through the same lifecycle as processTasks. Property test over small random level
 * workflows whose phases succeed or fail, synchronously or after some promise ticks, and may
 * wait for their signal.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type LifecycleEvent,
  type TaskFn,
  type TaskScope,
  task,
  VirtualClock,
} from "../../src/index.js";

type Behaviour =
  | { readonly kind: "ok" | "fail" | "throwSync"; readonly ticks: number }
  /** Resolves after `ticks` ticks unless its signal aborts first (then rejects with the reason). */
  | { readonly kind: "slowAbortable"; readonly ticks: number };

interface TaskSpec {
  readonly level: number;
  readonly pre: Behaviour | null;
  readonly exec: Behaviour | null;
  readonly post: Behaviour | null;
}

const behaviour: fc.Arbitrary<Behaviour> = fc.record({
  kind: fc.constantFrom("ok", "ok", "ok", "fail", "throwSync", "slowAbortable"),
  ticks: fc.integer({ min: 0, max: 4 }),
});

const taskSpec: fc.Arbitrary<TaskSpec> = fc
  .record({
    level: fc.integer({ min: 0, max: 3 }),
    pre: fc.option(behaviour, { nil: null }),
    exec: fc.option(behaviour, { nil: null }),
    post: fc.option(behaviour, { nil: null }),
  })
  .filter((t) => t.pre !== null || t.exec !== null || t.post !== null);

const ERRORS = new Map<string, Error>();
function errorFor(key: string): Error {
  let error = ERRORS.get(key);
  if (error === undefined) {
    error = new Error(`${key} failed`);
    ERRORS.set(key, error);
  }
  return error;
}

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function fnOf(key: string, b: Behaviour): TaskFn<null> {
  switch (b.kind) {
    case "ok":
      return async () => ticks(b.ticks);
    case "fail":
      return async () => {
        await ticks(b.ticks);
        throw errorFor(key);
      };
    case "throwSync":
      return () => {
        throw errorFor(key);
      };
    case "slowAbortable":
      return async (_ctx: null, scope: TaskScope) => {
        for (let i = 0; i < b.ticks + 2; i++) {
          if (scope.signal.aborted) throw scope.signal.reason;
          await Promise.resolve();
        }
      };
  }
}

function build(specs: readonly TaskSpec[]) {
  let builder = AsyncTaskProcessor.builder<null>();
  specs.forEach((s, i) => {
    const name = `t${i}`;
    builder = builder.addTask(
      task<null>(name, {
        preExecute: s.pre === null ? undefined : fnOf(`${name}.pre`, s.pre),
        execute: s.exec === null ? undefined : fnOf(`${name}.exec`, s.exec),
        postExecute: s.post === null ? undefined : fnOf(`${name}.post`, s.post),
      }),
      s.level,
    );
  });
  return builder.build();
}

/** The trace without `at` (both runs use a VirtualClock that never moves, but be explicit). */
function shape(events: readonly LifecycleEvent[]): unknown[] {
  return events.map(({ at: _at, ...rest }) => rest);
}

interface Outcome {
  readonly events: unknown[];
  readonly message: string | null;
  readonly failures: unknown;
}

/**
 * Where a listener aborts the run's signal: never, at the event of that number, or at the run
 * transition of that name (the transitions into a runner's stops among them: INV-19).
 */
type AbortAt = null | number | "allEntered" | "allExecuted" | "quiesce";

const abortAt: fc.Arbitrary<AbortAt> = fc.oneof(
  fc.constant(null),
  fc.nat({ max: 40 }),
  fc.constantFrom("allEntered", "allExecuted", "quiesce"),
);

/** Run options recording the events into `events`, whose listener aborts at `abortAt`. */
function optionsOf(events: LifecycleEvent[], abortAt: AbortAt) {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    onEvent: (e: LifecycleEvent) => {
      events.push(e);
      if (e.seq === abortAt || (e.type === "run" && e.event === abortAt)) {
        controller.abort(new Error("aborted by a listener"));
      }
    },
    clock: new VirtualClock(),
  };
}

async function viaProcessTasks(specs: readonly TaskSpec[], abortAt: AbortAt): Promise<Outcome> {
  const events: LifecycleEvent[] = [];
  try {
    await build(specs).processTasks(null, optionsOf(events, abortAt));
    return { events: shape(events), message: null, failures: [] };
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    return { events: shape(events), message: error.message, failures: error.failures };
  }
}

async function viaRunner(specs: readonly TaskSpec[], abortAt: AbortAt): Promise<Outcome> {
  const events: LifecycleEvent[] = [];
  const runner = build(specs).open(null, optionsOf(events, abortAt));
  let steps = 0;
  while (await runner.runNext()) steps++;
  expect(steps).toBeLessThanOrEqual(2);
  try {
    runner.raiseFailures();
    return { events: shape(events), message: null, failures: [] };
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
    return { events: shape(events), message: error.message, failures: error.failures };
  }
}

describe("phase-runner §3 PR-10 a runner drives the same run", () => {
  test.prop([fc.array(taskSpec, { minLength: 1, maxLength: 7 }), abortAt], { numRuns: 200 })(
    "PR-10 INV-19 runNext() until false gives the same transitions, failures and error as processTasks, a listener's abort at any event included",
    async (specs, abortAt) => {
      const expected = await viaProcessTasks(specs, abortAt);
      const actual = await viaRunner(specs, abortAt);
      expect(actual.events).toEqual(expected.events);
      expect(actual.failures).toEqual(expected.failures);
      expect(actual.message).toEqual(expected.message);
    },
  );
});
