/**
 * Model-based conformance: drives the real engine through one trace of spec/lifecycle.qnt.
 *
 * The trace's workflow becomes a processor whose every function returns a deferred promise; the
 * trace's steps become the schedule: a `settle` step resolves or rejects exactly that attempt's
 * promise, a `fire` step moves the {@link VirtualClock} to the timer's due time (the run's
 * deadline's included), an `abort` step aborts the run's signal, a `proceed` step calls the
 * phase runner's `runNext()` or `close()`. The run has the trace's concurrency limit (its own
 * or the processor's), deadline, clock and driver (`processTasks` or a phase runner). After
 * each step the engine's lifecycle events so far must be the model's, one for one (with the
 * same `at`), and its clock must hold as many timers as the model's. Timers due at the same time fire in one `advance`, so after a `fire` step followed
 * by another at the same time the engine may be ahead; it is compared once that run of steps
 * is over.
 */
import {
  AsyncTaskProcessor,
  type Clock,
  join,
  type LifecycleEvent,
  type PhaseRunner,
  RetryableError,
  type RunOptions,
  type TaskFunction,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { flush } from "../support/executor.js";
import { type EventFacts, eventKey, PHASES, type Trace, taskName } from "./trace.js";

/** How the replay of one trace went: `undefined` mismatch when it conformed. */
export interface ReplayResult {
  readonly steps: number;
  readonly events: number;
  readonly mismatch?: string;
}

interface Deferred {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
}

/** The engine event in the replay's comparable form. */
export function engineEventKey(e: LifecycleEvent): string {
  const facts: EventFacts =
    e.type === "run"
      ? {
          kind: "run",
          task: "",
          phase: "",
          attempt: 0,
          event: e.event,
          from: e.from,
          to: e.to,
          afterCancel: false,
          delayMs: 0,
          at: e.at,
          maxConcurrency: e.maxConcurrency ?? null,
          timeoutMs: e.timeoutMs ?? null,
        }
      : e.type === "task"
        ? {
            kind: "task",
            task: e.task,
            phase: e.phase ?? "",
            attempt: e.attempts ?? 0,
            event: e.event,
            from: e.from,
            to: e.to,
            afterCancel: e.afterCancel === true,
            delayMs: 0,
            at: e.at,
            maxConcurrency: null,
            timeoutMs: null,
          }
        : e.type === "attempt"
          ? {
              kind: "attempt",
              task: e.task,
              phase: e.phase,
              attempt: e.attempt,
              event: e.event,
              from: e.from,
              to: e.to,
              afterCancel: false,
              delayMs: 0,
              at: e.at,
              maxConcurrency: null,
              timeoutMs: null,
            }
          : {
              kind: "retry",
              task: e.task,
              phase: e.phase,
              attempt: e.attempt,
              event: "retry",
              from: "",
              to: "",
              afterCancel: false,
              delayMs: e.delayMs,
              at: e.at,
              maxConcurrency: null,
              timeoutMs: null,
            };
  return eventKey(facts);
}

/** The first difference between two event lists, described for a report. */
function difference(model: readonly string[], engine: readonly string[]): string | undefined {
  const n = Math.max(model.length, engine.length);
  for (let i = 0; i < n; i++) {
    if (model[i] !== engine[i]) {
      return `event ${i}: model ${model[i] ?? "(none)"}, engine ${engine[i] ?? "(none)"}`;
    }
  }
  return undefined;
}

type Ctx = { readonly calls: Map<string, Deferred> };

/**
 * A function's own error. Every other one resists description (its `name` getter throws,
 * INV-33): the model does not look at errors, so the engine must describe either kind the same
 * way, without ever throwing, and never take it for an `AbortError` (INV-32).
 */
function ownError(k: number): Error {
  const error = new Error("model: own failure");
  if (k % 2 === 0) {
    Object.defineProperty(error, "name", {
      get() {
        throw new Error("model: a name that cannot be read");
      },
    });
  }
  return error;
}

const callKey = (task: string, phase: string, attempt: number) => `${task} ${phase} #${attempt}`;

/** The processor of a trace's workflow; tasks added in a loop that ignores `addTask`'s result. */
function buildProcessor(trace: Trace): AsyncTaskProcessor<Ctx> {
  const wf = trace.workflow;
  const tasks = wf.phases.map((confs, i) => {
    const phases: Partial<Record<(typeof PHASES)[number], TaskFunction<Ctx>>> = {};
    confs.forEach((conf, p) => {
      if (conf === null) return;
      const phase = PHASES[p]!;
      const fn =
        conf.sync === "ok"
          ? () => undefined
          : conf.sync === "throw"
            ? (_ctx: Ctx, scope: TaskScope) => {
                throw ownError(i + scope.attempt);
              }
            : (ctx: Ctx, scope: TaskScope) =>
                new Promise<void>((resolve, reject) => {
                  ctx.calls.set(callKey(scope.task, scope.phase, scope.attempt), {
                    resolve,
                    reject,
                    signal: scope.signal,
                  });
                });
      phases[phase] = taskFunc(fn, {
        timeoutMs: conf.timeoutMs,
        retries: conf.retries,
        initialDelayMs: 4,
        backoffFactor: 2,
        abandonAfterMs: conf.abandonAfterMs,
      });
    });
    return Object.keys(phases).length === 0
      ? join<Ctx>(taskName(i))
      : task<Ctx>(taskName(i), phases);
  });
  // The limit is the processor's default, or the run's own (see `the run options`).
  const buildOptions =
    wf.maxConcurrency !== null && wf.limitFrom === "build"
      ? { maxConcurrency: wf.maxConcurrency }
      : undefined;
  if (wf.mode === "levels") {
    const builder = AsyncTaskProcessor.builder<Ctx>();
    tasks.forEach((t, i) => {
      builder.addTask(t, wf.level[i]!);
    });
    return builder.build(buildOptions);
  }
  const builder = AsyncTaskProcessor.graphBuilder<Ctx>();
  tasks.forEach((t, i) => {
    builder.addTask(
      t,
      wf.deps[i]!.map((d) => taskName(d)),
    );
  });
  return builder.build(buildOptions);
}

/** A clock whose `setTimeout` always throws (spec/task-functions.md 5.2). */
function throwingClock(clock: VirtualClock): Clock {
  return {
    now: () => clock.now(),
    setTimeout: () => {
      throw new Error("model: the clock cannot set a timer");
    },
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}

/**
 * A clock whose time moves on by 1 ms in every `setTimeout` call, as a real clock's may while
 * the engine works: timers are due in the virtual clock's time, events are timed by `now()`.
 */
function tickingClock(clock: VirtualClock): Clock {
  let offset = 0;
  return {
    now: () => clock.now() + offset,
    setTimeout: (callback, ms) => {
      const handle = clock.setTimeout(callback, ms);
      offset += 1;
      return handle;
    },
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}

/** Replays one trace on the engine; never throws for a mismatch, it reports it. */
export async function replay(trace: Trace): Promise<ReplayResult> {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const ctx: Ctx = { calls: new Map() };
  const events: string[] = [];
  const model: string[] = [];
  let outcome: { readonly ok: boolean; readonly error?: unknown } | undefined;
  let runner: PhaseRunner | undefined;
  // A phase runner's calls never reject; one that does is a mismatch.
  let runnerError: unknown;
  const track = (step: Promise<unknown>) => {
    step.then(undefined, (error: unknown) => {
      runnerError = error;
    });
  };
  let processor: AsyncTaskProcessor<Ctx>;
  try {
    processor = buildProcessor(trace);
  } catch (error) {
    return { steps: 0, events: 0, mismatch: `the workflow does not build: ${String(error)}` };
  }
  const fail = (at: number, message: string): ReplayResult => ({
    steps: at,
    events: events.length,
    mismatch: `step ${at} (${JSON.stringify(trace.steps[at]?.action)}): ${message}`,
  });
  for (let s = 0; s < trace.steps.length; s++) {
    const step = trace.steps[s]!;
    const a = step.action;
    if (a.name === "start" || a.name === "startAborted") {
      if (a.name === "startAborted") controller.abort(new Error("aborted before the start"));
      const wf = trace.workflow;
      const options: RunOptions = {
        clock: wf.clockThrows ? throwingClock(clock) : wf.clockTicks ? tickingClock(clock) : clock,
        signal: controller.signal,
        random: () => 0.5,
        ...(wf.maxConcurrency !== null && wf.limitFrom === "run"
          ? { maxConcurrency: wf.maxConcurrency }
          : {}),
        ...(wf.timeoutMs !== null ? { timeoutMs: wf.timeoutMs } : {}),
        onEvent: (e) => events.push(engineEventKey(e)),
      };
      if (wf.runner) {
        runner = processor.open(ctx, options);
        track(runner.runNext());
      } else {
        processor.processTasks(ctx, options).then(
          () => {
            outcome = { ok: true };
          },
          (error: unknown) => {
            outcome = { ok: false, error };
          },
        );
      }
    } else if (a.name === "settle" || a.name === "lateSettle") {
      const call = ctx.calls.get(callKey(taskName(a.task), a.phase, a.attempt));
      if (call === undefined) return fail(s, "the engine never called that function");
      if (a.how === "ok") call.resolve();
      else if (a.how === "retryable") call.reject(new RetryableError("model: retryable"));
      else if (a.how === "abort") call.reject(call.signal.reason);
      else call.reject(ownError(s));
    } else if (a.name === "fire") {
      if (step.now > clock.now()) await clock.advance(step.now - clock.now());
    } else if (a.name === "abort") {
      controller.abort(new Error("external abort"));
    } else if (a.name === "proceed") {
      if (runner === undefined) return fail(s, "no phase runner to go on with");
      track(a.how === "close" ? runner.close() : runner.runNext());
    }
    await flush();
    model.push(...step.events);
    const nextStep = trace.steps[s + 1];
    const catchingUp =
      a.name === "fire" && nextStep?.action.name === "fire" && nextStep.now === step.now;
    const seen = catchingUp ? events.slice(0, model.length) : events;
    const diff = difference(model, seen);
    if (diff !== undefined) return fail(s, diff);
    if (!catchingUp && clock.pendingTimers !== step.timers) {
      return fail(
        s,
        `the engine has ${clock.pendingTimers} timers pending, the model ${step.timers}`,
      );
    }
  }
  const end = trace.steps.length - 1;
  if (runnerError !== undefined)
    return fail(end, `a phase runner call rejected: ${String(runnerError)}`);
  if (runner !== undefined && trace.final.run === "settled") {
    // The run's events, `settled` included, matched already: its outcome is the runner's.
    try {
      runner.raiseFailures();
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error };
    }
  }
  if (trace.final.run === "settled") {
    if (outcome === undefined) return fail(end, "the model settled, the engine's run did not");
    const failed = trace.final.failures.length > 0 || trace.final.aborted;
    if (outcome.ok === failed) {
      return fail(
        end,
        `the engine's run ${outcome.ok ? "resolved" : "rejected"}, the model's did not`,
      );
    }
    if (!outcome.ok) {
      const error = outcome.error as {
        failures?: readonly {
          task: string;
          phase: string;
          attempts: number;
          afterCancel?: boolean;
        }[];
      };
      const got = (error.failures ?? []).map(
        (f) => `${f.task} ${f.phase} ${f.attempts} ${f.afterCancel === true}`,
      );
      const want = trace.final.failures.map(
        (f) => `${taskName(f.task)} ${f.phase} ${f.attempts} ${f.afterCancel}`,
      );
      const diff = difference(want, got);
      if (diff !== undefined) return fail(end, `failures differ: ${diff}`);
    }
  } else if (runner === undefined && outcome !== undefined) {
    return fail(end, "the engine's run settled, the model's did not");
  }
  return { steps: trace.steps.length, events: events.length };
}
