/**
 * spec/task-functions.md section 10: the invariants as properties (fast-check), over random
 * option sets and failure sequences, on a VirtualClock (no real time passes). Each property
 * compares the run's events with an independent oracle of what must happen.
 *
 * Replay a failure with the seed and path fast-check prints: `{ seed, path }` as a second
 * argument of `test.prop`. `SDAX_TEST_BUDGET=long` runs 10x more cases.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  isSdaxExecutionError,
  isTaskTimeoutError,
  MAX_TIMER_MS,
  type PhaseName,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  attemptEvents,
  attemptProblems,
  type Ctx,
  errorOf,
  oneLevel,
  reportOf,
  retryEvents,
  runOn,
  single,
  taskEvents,
} from "./helpers.js";

const long = process.env.SDAX_TEST_BUDGET === "long";
const runs = (n: number) => ({ numRuns: long ? n * 10 : n });

type Behaviour =
  | "ok" // returns a value synchronously
  | "okAsync" // resolves in a microtask
  | "plain" // throws a plain Error: not retryable
  | "retryable" // throws a RetryableError synchronously
  | "connReset" // rejects with { code: "ECONNRESET" } after half the timeout
  | "timeout" // waits for its signal, rejects with its reason
  | "timeoutLate"; // ignores its signal, settles `lateBy` ms after its timeout

const behaviourArb = fc.constantFrom<Behaviour>(
  "ok",
  "okAsync",
  "plain",
  "retryable",
  "connReset",
  "timeout",
  "timeoutLate",
);

const optionsArb = fc.record({
  retries: fc.integer({ min: 0, max: 6 }),
  initialDelayMs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 60_000 }),
    fc.double({ min: 0, max: 1e6, noNaN: true }),
  ),
  backoffFactor: fc.oneof(
    fc.double({ min: 0.01, max: 50, noNaN: true }),
    fc.constantFrom(1, 2, 1e6, 1e300),
  ),
  maxDelayMs: fc.option(fc.oneof(fc.integer({ min: 0, max: MAX_TIMER_MS }), fc.constant(5000)), {
    nil: undefined,
  }),
  timeoutMs: fc.integer({ min: 2, max: 100_000 }),
  lateBy: fc.integer({ min: 1, max: 10_000 }),
});

type Options = typeof optionsArb extends fc.Arbitrary<infer O> ? O : never;

/** The spec's delay (section 7.2), computed in the same order as the formula is written. */
function specDelay(o: Options, attempt: number, u: number): number {
  if (o.initialDelayMs === 0) return 0;
  const base = o.initialDelayMs * o.backoffFactor ** (attempt - 1);
  return Math.min(o.maxDelayMs ?? MAX_TIMER_MS, base * (0.5 + 0.5 * u));
}

interface Expected {
  starts: number[];
  timeouts: number[];
  delays: number[];
  outcome: "succeeded" | "failed";
  attempts: number;
  finalError: Behaviour | undefined;
}

/** An oracle of sections 5-7, independent of the engine: what one phase must do. */
function oracle(
  o: Options,
  behaviours: readonly Behaviour[],
  randoms: readonly number[],
  t0: number,
): Expected {
  const e: Expected = {
    starts: [],
    timeouts: [],
    delays: [],
    outcome: "failed",
    attempts: 0,
    finalError: undefined,
  };
  let t = t0;
  for (let k = 1; ; k++) {
    e.attempts = k;
    e.starts.push(t);
    const b = behaviours[k - 1]!;
    if (b === "ok" || b === "okAsync") {
      e.outcome = "succeeded";
      return e;
    }
    let settledAt = t;
    if (b === "connReset") settledAt = t + Math.floor(o.timeoutMs / 2);
    if (b === "timeout" || b === "timeoutLate") {
      e.timeouts.push(t + o.timeoutMs);
      settledAt = b === "timeout" ? t + o.timeoutMs : t + (o.timeoutMs + o.lateBy);
    }
    const retryable = b !== "plain";
    if (!retryable || k > o.retries) {
      e.finalError = b;
      return e;
    }
    const delay = specDelay(o, k, randoms[e.delays.length]!);
    e.delays.push(delay);
    t = settledAt + delay;
  }
}

function behave(clock: VirtualClock, o: Options, b: Behaviour, signal: () => AbortSignal): unknown {
  switch (b) {
    case "ok":
      return "value";
    case "okAsync":
      return Promise.resolve("value");
    case "plain":
      throw new Error("plain");
    case "retryable":
      throw new RetryableError("transient");
    case "connReset":
      return new Promise((_, reject) => {
        clock.setTimeout(
          () => reject(Object.assign(new Error("reset"), { code: "ECONNRESET" })),
          Math.floor(o.timeoutMs / 2),
        );
      });
    case "timeout": {
      const s = signal();
      return new Promise((_, reject) => s.addEventListener("abort", () => reject(s.reason)));
    }
    case "timeoutLate":
      return new Promise<void>((resolve) => clock.setTimeout(resolve, o.timeoutMs + o.lateBy));
  }
}

describe("§10 invariants as properties", () => {
  test.prop(
    [
      optionsArb,
      fc.array(behaviourArb, { minLength: 7, maxLength: 7 }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
        minLength: 6,
        maxLength: 6,
      }),
      fc.constantFrom<PhaseName>("preExecute", "execute", "postExecute"),
      fc.integer({ min: 0, max: 1_000_000 }),
    ],
    runs(150),
  )(
    "INV-20 INV-21 INV-22 INV-24 INV-25 INV-26 INV-28 attempts, delays and timeouts match the spec's oracle",
    async (o, behaviours, randoms, phase, t0) => {
      const clock = new VirtualClock(t0);
      const fn = taskFunc(
        (_ctx: Ctx, scope) => behave(clock, o, behaviours[scope.attempt - 1]!, () => scope.signal),
        {
          timeoutMs: o.timeoutMs,
          retries: o.retries,
          initialDelayMs: o.initialDelayMs,
          backoffFactor: o.backoffFactor,
          maxDelayMs: o.maxDelayMs,
        },
      );
      let draws = 0;
      const random = () => randoms[draws++]!;
      const h = runOn(single({ [phase]: fn }), { clock, random });
      const outcome = await h.finish();
      const expected = oracle(o, behaviours, randoms, t0);

      // INV-20: legal attempt transitions, numbered without gaps, each retry announced.
      expect(attemptProblems(h.events)).toEqual([]);
      // INV-21: never more than retries + 1 attempts; the oracle's count exactly.
      const starts = attemptEvents(h.events, { event: "start" });
      expect(starts.length).toBeLessThanOrEqual(o.retries + 1);
      expect(starts.map((s) => s.at)).toEqual(expected.starts);
      // INV-24: the delays are the spec's, within the jitter bounds and the cap, finite.
      const retries = retryEvents(h.events);
      expect(retries.map((r) => r.delayMs)).toEqual(expected.delays);
      expect(draws).toBe(expected.delays.length);
      for (const r of retries) {
        const base =
          o.initialDelayMs === 0 ? 0 : o.initialDelayMs * o.backoffFactor ** (r.attempt - 1);
        const cap = o.maxDelayMs ?? MAX_TIMER_MS;
        expect(Number.isFinite(r.delayMs)).toBe(true);
        expect(r.delayMs).toBeGreaterThanOrEqual(Math.min(cap, base / 2));
        expect(r.delayMs).toBeLessThanOrEqual(Math.min(cap, base));
      }
      // INV-25: each retry right after the failed attempt settled, the next start delayMs later.
      for (const r of retries) {
        const ended = attemptEvents(h.events, { attempt: r.attempt }).filter(
          (e) => e.event === "settle" || e.event === "abandon",
        );
        expect(ended).toHaveLength(1);
        expect(r.seq).toBe(ended[0]!.seq + 1);
        const next = attemptEvents(h.events, { attempt: r.attempt + 1, event: "start" })[0];
        expect(next?.at).toBe(r.at + r.delayMs);
      }
      // INV-26: timeouts exactly timeoutMs after their attempt's start, and no others.
      const timeouts = attemptEvents(h.events, { event: "timeout" });
      expect(timeouts.map((e) => e.at)).toEqual(expected.timeouts);
      for (const e of timeouts) {
        const start = starts.find((s) => s.attempt === e.attempt)!;
        expect(e.at).toBe(start.at + o.timeoutMs);
      }
      // INV-22 and the report.
      if (expected.outcome === "succeeded") {
        const report = reportOf(outcome);
        expect(report.retried).toEqual(
          expected.attempts > 1 ? [{ task: "t", phase, attempts: expected.attempts }] : [],
        );
      } else {
        const error = errorOf(outcome);
        expect(error.failures).toHaveLength(1);
        expect(error.failures[0]).toMatchObject({ task: "t", phase, attempts: expected.attempts });
        const failed = error.failures[0]!.error;
        if (expected.finalError === "timeout" || expected.finalError === "timeoutLate") {
          expect(isTaskTimeoutError(failed)).toBe(true);
        } else {
          expect((failed as Error).message).toBe(
            { plain: "plain", retryable: "transient", connReset: "reset" }[
              expected.finalError as "plain" | "retryable" | "connReset"
            ],
          );
        }
      }
      // INV-28: nothing of the run's was pending when it settled.
      expect(h.timersAtSettle()).toBe(0);
    },
  );

  test.prop(
    [
      fc.integer({ min: 0, max: 10 }),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      fc.boolean(),
    ],
    runs(200),
  )(
    "INV-21 INV-22 only errors retryOn accepts are retried; retryOn judges each failed attempt that has attempts left, once",
    async (retries, retryable, asyncFailures) => {
      const thrown: { readonly retry: boolean; readonly n: number }[] = [];
      const judged: unknown[] = [];
      const fn = taskFunc(
        (_ctx: Ctx, scope) => {
          const error = { retry: retryable[scope.attempt - 1]!, n: scope.attempt };
          thrown.push(error);
          if (asyncFailures) return Promise.reject(error);
          throw error;
        },
        {
          retries,
          initialDelayMs: 10,
          retryOn: (error) => {
            judged.push(error);
            return (error as { retry: boolean }).retry;
          },
        },
      );
      const h = runOn(single({ execute: fn }));
      const error = errorOf(await h.finish());
      // Oracle: attempts go on while the error is retryable and attempts remain.
      let attempts = 1;
      while (attempts <= retries && retryable[attempts - 1]) attempts++;
      expect(thrown).toHaveLength(attempts);
      expect(error.failures[0]?.attempts).toBe(attempts);
      expect(error.failures[0]?.error).toBe(thrown.at(-1));
      expect(judged).toEqual(thrown.slice(0, Math.min(attempts, retries)));
      for (const r of retryEvents(h.events)) expect(retryable[r.attempt - 1]).toBe(true);
    },
  );

  test.prop(
    [
      fc.array(
        fc.record({
          timeoutMs: fc.oneof(
            fc.integer({ min: 0, max: 1e7 }),
            fc.double({ min: 0, max: 1e7, noNaN: true }),
          ),
          settleAfter: fc.integer({ min: 0, max: 2e7 }),
          obeys: fc.boolean(),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      fc.integer({ min: 0, max: 1e9 }),
    ],
    runs(150),
  )(
    "INV-26 INV-27 INV-28 timeouts fire at exactly timeoutMs of virtual time, never for a function that ended first",
    async (specs, t0) => {
      fc.pre(specs.every((s) => s.settleAfter !== s.timeoutMs));
      const clock = new VirtualClock(t0);
      // postExecute failures cancel nothing: every function runs its own course, in parallel.
      const tasks = specs.map((s, i) =>
        task<Ctx>(`t${i}`, {
          postExecute: taskFunc(
            (_ctx, scope) =>
              new Promise<void>((resolve, reject) => {
                const id = clock.setTimeout(resolve, s.settleAfter);
                if (s.obeys) {
                  scope.signal.addEventListener("abort", () => {
                    clock.clearTimeout(id);
                    reject(scope.signal.reason);
                  });
                }
              }),
            { timeoutMs: s.timeoutMs },
          ),
        }),
      );
      const h = runOn(oneLevel(...tasks), { clock });
      const outcome = await h.finish();
      const failed: string[] = [];
      specs.forEach((s, i) => {
        const name = `t${i}`;
        const start = attemptEvents(h.events, { task: name, event: "start" })[0]!;
        expect(start.at).toBe(t0);
        const timeouts = attemptEvents(h.events, { task: name, event: "timeout" });
        if (s.settleAfter < s.timeoutMs) {
          expect(timeouts).toEqual([]);
          expect(attemptEvents(h.events, { task: name, event: "succeed" })[0]?.at).toBe(
            t0 + s.settleAfter,
          );
        } else {
          failed.push(name);
          expect(timeouts.map((e) => e.at)).toEqual([t0 + s.timeoutMs]);
          const settled = t0 + (s.obeys ? s.timeoutMs : s.settleAfter);
          expect(taskEvents(h.events, name, "settle")[0]?.at).toBe(settled);
        }
      });
      if (failed.length === 0) {
        reportOf(outcome);
      } else {
        const error = errorOf(outcome);
        expect(error.failures.map((f) => f.task).sort()).toEqual(failed.sort());
        for (const f of error.failures) expect(isTaskTimeoutError(f.error)).toBe(true);
      }
      expect(h.timersAtSettle()).toBe(0);
    },
  );

  test.prop(
    [
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.boolean(),
    ],
    runs(150),
  )(
    "INV-23 INV-28 after the run is cancelled no attempt starts, no retry is scheduled, and no timer is left",
    async (retries, failAfter, abortAt, viaSibling) => {
      const clock = new VirtualClock();
      const controller = new AbortController();
      const flaky = taskFunc(
        (_ctx: Ctx, scope) =>
          new Promise((_, reject) => {
            const id = clock.setTimeout(
              () => reject(new RetryableError("transient")),
              failAfter[scope.attempt - 1]!,
            );
            scope.signal.addEventListener("abort", () => {
              clock.clearTimeout(id);
              reject(scope.signal.reason);
            });
          }),
        { retries, initialDelayMs: 100 },
      );
      const tasks = [task<Ctx>("flaky", { execute: flaky, postExecute: () => {} })];
      if (viaSibling) {
        tasks.push(
          task<Ctx>("bad", {
            execute: taskFunc(
              (_c, s) =>
                new Promise((_, reject) =>
                  s.signal.addEventListener("abort", () => reject(new Error("bad"))),
                ),
              { timeoutMs: abortAt, retryOn: () => false },
            ),
          }),
        );
      }
      const h = runOn(oneLevel(...tasks), { clock, signal: controller.signal, random: () => 0.5 });
      if (!viaSibling) {
        await clock.advance(abortAt);
        controller.abort(new Error("stop"));
      }
      const outcome = await h.finish();
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as { reason: unknown }).reason;
      expect(isSdaxExecutionError(reason)).toBe(true);
      const cancel = taskEvents(h.events, "flaky", "cancel")[0];
      if (cancel !== undefined) {
        const later = h.events.filter(
          (e) =>
            e.seq > cancel.seq &&
            ((e.type === "attempt" &&
              e.task === "flaky" &&
              e.phase === "execute" &&
              e.event === "start") ||
              (e.type === "retry" && e.task === "flaky")),
        );
        expect(later).toEqual([]);
      }
      expect(
        attemptEvents(h.events, { task: "flaky", phase: "execute", event: "start" }).length,
      ).toBeLessThanOrEqual(retries + 1);
      expect(h.timersAtSettle()).toBe(0);
      expect(attemptProblems(h.events)).toEqual([]);
    },
  );

  test.prop(
    [
      fc.array(fc.record({ fails: fc.boolean() }), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.scheduler(),
    ],
    runs(150),
  )(
    "INV-29 spawned children: the attempt ends after all of them; the first rejection fails it and aborts the rest",
    async (children, functionAwaits, s) => {
      const log: string[] = [];
      const errors = children.map((_, i) => new Error(`child ${i}`));
      const fn = (_ctx: Ctx, scope: TaskScope) => {
        const promises = children.map((c, i) =>
          scope.spawn((signal) =>
            s.schedule(Promise.resolve(i), `child ${i}`).then(() => {
              log.push(
                `child ${i} ${signal.aborted ? "aborted" : "live"} ${c.fails ? "fails" : "ok"}`,
              );
              if (c.fails) throw errors[i];
            }),
          ),
        );
        return functionAwaits ? Promise.allSettled(promises) : undefined;
      };
      const h = runOn(single({ execute: fn }), {
        listen: (e) => {
          if (e.type === "attempt" && ["fail", "settle", "succeed"].includes(e.event)) {
            log.push(`attempt ${e.event}`);
          }
        },
      });
      await s.waitAll();
      const outcome = await h.finish();
      // Oracle over the order the scheduler chose.
      const childLines = log.filter((l) => l.startsWith("child"));
      expect(childLines).toHaveLength(children.length);
      const firstFail = childLines.findIndex((l) => l.endsWith("fails"));
      const end = log.findIndex((l) => l === "attempt succeed" || l === "attempt settle");
      expect(end).toBe(log.length - 1); // the attempt ended after every child
      if (firstFail < 0) {
        reportOf(outcome);
        expect(log).not.toContain("attempt fail");
        for (const l of childLines) expect(l).toContain("live");
      } else {
        const failedChild = Number(childLines[firstFail]!.split(" ")[1]);
        const error = errorOf(outcome);
        expect(error.failures.map((f) => f.error)).toEqual([errors[failedChild]]);
        const failAt = log.indexOf("attempt fail");
        expect(failAt).toBeGreaterThan(log.indexOf(childLines[firstFail]!));
        // Children that ran after the failure was decided saw an aborted signal; before, live.
        log.forEach((l, i) => {
          if (!l.startsWith("child")) return;
          expect(l).toContain(i > failAt ? "aborted" : "live");
        });
      }
    },
  );
});
