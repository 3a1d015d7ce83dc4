/**
 * Turns a {@link Scenario} into a processor and runs it: every function behaves as the run's
 * model says, on a {@link VirtualClock}, with the order of its steps chosen by a scheduler
 * (fast-check's `fc.scheduler()` in property tests; a deterministic one in exhaustive tests).
 * Each function call is recorded, from the function's point of view, for the oracle.
 */
import {
  type AsyncTask,
  AsyncTaskProcessor,
  type Clock,
  join,
  type LifecycleEvent,
  RetryableError,
  type RunReport,
  type TaskFunction,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  type Behaviour,
  type ClockQuirk,
  PHASE_KEYS,
  type PhaseKey,
  type PhaseShape,
  type RunModel,
  type Scenario,
  type Thrown,
  type WorkflowShape,
} from "./model.js";

/** What a scheduler must offer: the subset of fast-check's `Scheduler` the executor uses. */
export interface Ticker {
  schedule<T>(task: Promise<T>, label?: string): Promise<T>;
  count(): number;
  waitNext(count: number): Promise<void>;
}

/** Ticks are plain microtask yields: deterministic, no exploration (exhaustive tests). */
export const microtaskTicker: Ticker = {
  schedule: (p) => p,
  count: () => 0,
  waitNext: async () => {},
};

/** One call of a function, as the function saw it. `seq` values come from one shared counter. */
export interface Call {
  readonly run: number;
  readonly task: number;
  readonly phase: PhaseKey;
  readonly attempt: number;
  readonly seq: number;
  /** When the function's own work ended (its promise settled or it threw/returned). */
  endSeq?: number;
  outcome?: "resolved" | "rejected";
  /** True when it rejected with an error of its own, not with its signal's reason. */
  own?: boolean;
  /** What it threw, when it threw its own error. */
  thrown?: unknown;
  /** When its signal aborted, and why. */
  abortSeq?: number;
  abortReason?: { readonly name: string; readonly message: string };
}

/** The context each run passes to its functions. */
export interface RunCtx {
  readonly run: number;
  readonly model: RunModel;
  readonly calls: Call[];
  /** Written by every function: phase key -> the run id it saw. */
  readonly writes: Record<string, number>;
  /** Aborts the run's external signal now. */
  readonly abort: () => void;
}

/** What one run did. */
export interface RunResult {
  readonly run: number;
  readonly model: RunModel;
  readonly ctx: RunCtx;
  readonly events: LifecycleEvent[];
  settled: boolean;
  report?: RunReport;
  error?: unknown;
  /** The abort reason given to the controller, if it aborted. */
  abortReason?: unknown;
  abortSeq?: number;
  /** `seq` when the run's settled event was reported. */
  settledSeq?: number;
}

/** A built scenario: its processor and a way to run it. */
export interface Harness {
  readonly processor: AsyncTaskProcessor<RunCtx>;
  readonly clock: VirtualClock;
  nextSeq(): number;
}

/** Names tasks `t0`, `t1`, ... by index. */
export const taskName = (i: number): string => `t${i}`;

/** Builds the processor of a workflow shape; its functions read their behaviour from the ctx. */
export function buildProcessor(
  shape: WorkflowShape,
  ticker: Ticker,
  clock: VirtualClock,
  nextSeq: () => number,
  /** `build({ maxConcurrency })`; absent: no default limit. */
  buildLimit?: number,
): AsyncTaskProcessor<RunCtx> {
  const options = buildLimit === undefined ? undefined : { maxConcurrency: buildLimit };
  const tasks = shape.tasks.map((t, i): AsyncTask<RunCtx> => {
    const phases: Partial<Record<"preExecute" | "execute" | "postExecute", TaskFunction<RunCtx>>> =
      {};
    const full = { pre: "preExecute", exec: "execute", post: "postExecute" } as const;
    for (const k of PHASE_KEYS) {
      const s = t[k];
      if (s !== undefined) phases[full[k]] = makeFunction(i, k, s, ticker, clock, nextSeq);
    }
    return Object.keys(phases).length === 0 ? join(t.name) : task(t.name, phases);
  });
  if (shape.mode === "levels") {
    let b = AsyncTaskProcessor.builder<RunCtx>();
    tasks.forEach((t, i) => {
      b = b.addTask(t, shape.level[i]!);
    });
    return b.build(options);
  }
  let b = AsyncTaskProcessor.graphBuilder<RunCtx>();
  for (const i of shape.order) {
    b = b.addTask(
      tasks[i]!,
      shape.deps[i]!.map((d) => shape.tasks[d]!.name),
    );
  }
  return b.build(options);
}

function makeFunction(
  i: number,
  k: PhaseKey,
  s: PhaseShape,
  ticker: Ticker,
  clock: VirtualClock,
  nextSeq: () => number,
): TaskFunction<RunCtx> {
  const fn = (ctx: RunCtx, scope: TaskScope): unknown => {
    const behaviour = ctx.model.behaviours[i]?.[k];
    if (behaviour === undefined) throw new Error(`model has no behaviour for task ${i} ${k}`);
    const call: Call = { run: ctx.run, task: i, phase: k, attempt: scope.attempt, seq: nextSeq() };
    ctx.calls.push(call);
    ctx.writes[`${i}.${k}`] = ctx.run;
    const signal = scope.signal;
    signal.addEventListener(
      "abort",
      () => {
        call.abortSeq = nextSeq();
        const r = signal.reason as { name?: unknown; message?: unknown };
        call.abortReason = { name: String(r?.name), message: String(r?.message) };
      },
      { once: true },
    );
    const end = (outcome: "resolved" | "rejected", thrown?: { value: unknown }) => {
      call.endSeq = nextSeq();
      call.outcome = outcome;
      if (thrown !== undefined) {
        call.own = true;
        call.thrown = thrown.value;
      }
    };
    const trigger = ctx.model.abort;
    if (
      trigger.kind === "inside" &&
      trigger.task === i &&
      trigger.phase === k &&
      scope.attempt === 1
    ) {
      ctx.abort();
    }
    const label = `run ${ctx.run} ${taskName(i)}.${k}#${scope.attempt}`;
    return act(behaviour, scope, signal, end, label, ticker, clock);
  };
  const options: {
    timeoutMs: number | null;
    retries: number;
    initialDelayMs: number;
    abandonAfterMs?: number | null;
  } = { timeoutMs: s.timeoutMs, retries: s.retries, initialDelayMs: s.initialDelayMs };
  if (s.abandonAfterMs !== undefined) options.abandonAfterMs = s.abandonAfterMs;
  return taskFunc(fn, options);
}

async function ticks(n: number, ticker: Ticker, label: string): Promise<void> {
  for (let j = 0; j < n; j++) await ticker.schedule(Promise.resolve(), `${label} tick ${j + 1}`);
}

/** A value of the kind asked for: an `Error`, or one that resists description (INV-33). */
export function makeThrown(kind: Thrown | undefined, label: string): unknown {
  switch (kind) {
    case undefined:
    case "error":
      return new Error(label);
    case "revokedProxy": {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case "badName": {
      const e = new Error(label);
      Object.defineProperty(e, "name", {
        get() {
          throw new Error("name getter");
        },
      });
      return e;
    }
    case "badMessage": {
      const e = new Error(label);
      Object.defineProperty(e, "message", {
        get() {
          throw new Error("message getter");
        },
      });
      return e;
    }
    case "symbolMessage": {
      const e = new Error(label);
      Object.defineProperty(e, "message", { value: Symbol(label) });
      return e;
    }
  }
}

/** The run's clock, with the scenario's quirk (spec/task-functions.md 5.2). */
export function quirkyClock(clock: VirtualClock, quirk: ClockQuirk | undefined): Clock {
  if (quirk === undefined || quirk === "plain") return clock;
  if (quirk === "noHandle") {
    return {
      now: () => clock.now(),
      setTimeout: (callback, ms) => {
        clock.setTimeout(callback, ms);
        return undefined; // no handle: such a timer can never be cleared
      },
      clearTimeout: () => {},
    };
  }
  let syncHandles = 0;
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => {
      if (ms > 0) return clock.setTimeout(callback, ms);
      callback(); // fired from inside setTimeout, before it returns
      return `sync ${++syncHandles}`;
    },
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}

function act(
  b: Behaviour,
  scope: TaskScope,
  signal: AbortSignal,
  end: (outcome: "resolved" | "rejected", thrown?: { value: unknown }) => void,
  label: string,
  ticker: Ticker,
  clock: VirtualClock,
): unknown {
  switch (b.kind) {
    case "ok":
      if (b.ticks === 0) {
        end("resolved");
        return undefined;
      }
      return ticks(b.ticks, ticker, label).then(() => end("resolved"));
    case "throw": {
      const value = makeThrown(b.value, `${label}: throw`);
      end("rejected", { value });
      throw value;
    }
    case "reject": {
      const value = makeThrown(b.value, `${label}: reject`);
      if (b.ticks === 0) {
        end("rejected", { value });
        return Promise.reject(value); // already rejected when returned: the same turn
      }
      return ticks(b.ticks, ticker, label).then(() => {
        end("rejected", { value });
        throw value;
      });
    }
    case "hang":
      return new Promise<void>((_resolve, reject) => {
        const onAbort = () => {
          if (b.own === true) {
            const value = new Error(`${label}: rollback failed`);
            end("rejected", { value });
            reject(value);
            return;
          }
          end("rejected");
          reject(signal.reason);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
    case "slow":
      return new Promise<void>((resolve, reject) => {
        clock.setTimeout(() => {
          if (b.reject) {
            const value = new Error(`${label}: slow reject`);
            end("rejected", { value });
            reject(value);
          } else {
            end("resolved");
            resolve();
          }
        }, b.ms);
      });
    case "flaky": {
      const failing = scope.attempt <= b.failures;
      const value = failing ? new RetryableError(`${label}: flaky`) : undefined;
      if (b.ticks === 0) {
        end(failing ? "rejected" : "resolved", failing ? { value } : undefined);
        if (failing) throw value;
        return undefined;
      }
      return ticks(b.ticks, ticker, label).then(() => {
        end(failing ? "rejected" : "resolved", failing ? { value } : undefined);
        if (failing) throw value;
      });
    }
  }
}

/** Lets queued promise callbacks (and those they queue) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs every run of the scenario concurrently on one processor, one clock and one ticker,
 * until nothing is scheduled and no timer is left. Virtual timers fire as scheduler steps of
 * their own, so the scheduler also chooses when time moves relative to function steps.
 */
export async function runScenario(
  scenario: Scenario,
  ticker: Ticker = microtaskTicker,
  maxSteps = 200_000,
  /**
   * Drive run k with a phase runner (`processor.open`) instead of `processTasks`: call
   * `runNext()` at most `runnerSteps[k]` times (pausing one scheduler step before each), then
   * `close()`. Undefined: every run uses `processTasks`.
   */
  runnerSteps?: readonly number[],
): Promise<{ harness: Harness; results: RunResult[] }> {
  const clock = new VirtualClock();
  let seq = 0;
  const nextSeq = () => seq++;
  const processor = buildProcessor(scenario.shape, ticker, clock, nextSeq, scenario.buildLimit);
  const harness: Harness = { processor, clock, nextSeq };
  const runClock = quirkyClock(clock, scenario.clock);
  const results = scenario.runs.map((model, run): RunResult => {
    const controller = new AbortController();
    const abortNow = () => {
      if (controller.signal.aborted) return;
      const kind =
        model.abort.kind === "at" || model.abort.kind === "inside" ? model.abort.reason : undefined;
      const reason = makeThrown(kind, `external abort of run ${run}`);
      result.abortReason = reason;
      result.abortSeq = nextSeq();
      controller.abort(reason);
    };
    const ctx: RunCtx = { run, model, calls: [], writes: {}, abort: abortNow };
    const result: RunResult = { run, model, ctx, events: [], settled: false };
    if (model.abort.kind === "beforeStart") abortNow();
    else if (model.abort.kind === "at") clock.setTimeout(abortNow, model.abort.ms);
    const options: Parameters<AsyncTaskProcessor<RunCtx>["processTasks"]>[1] = {
      clock: runClock,
      signal: controller.signal,
      random: () => 0.5,
      onEvent: (e) => {
        result.events.push(e);
        if (e.type === "run" && e.to === "settled") result.settledSeq = nextSeq();
      },
      ...(model.abandonAfterMs === undefined ? {} : { abandonAfterMs: model.abandonAfterMs }),
      ...(model.maxConcurrency === undefined ? {} : { maxConcurrency: model.maxConcurrency }),
      ...(model.timeoutMs === undefined ? {} : { timeoutMs: model.timeoutMs }),
    };
    const steps = runnerSteps?.[run];
    if (steps === undefined) {
      processor.processTasks(ctx, options).then(
        (report) => {
          result.settled = true;
          result.report = report;
        },
        (error: unknown) => {
          result.settled = true;
          result.error = error;
        },
      );
    } else {
      const runner = processor.open(ctx, options);
      const control = async () => {
        for (let k = 0; k < steps; k++) {
          await ticker.schedule(Promise.resolve(), `run ${run} runner pause ${k + 1}`);
          if (!(await runner.runNext())) break;
        }
        await ticker.schedule(Promise.resolve(), `run ${run} runner pause before close`);
        await runner.close();
        runner.raiseFailures();
      };
      control().then(
        () => {
          result.settled = true;
        },
        (error: unknown) => {
          result.settled = true;
          result.error = error;
        },
      );
    }
    return result;
  });
  // A runner may take its next step only after the driver went idle: drive until every run
  // settled or nothing moves any more.
  for (let round = 0; round < 100 && results.some((r) => !r.settled); round++) {
    await drive(ticker, clock, maxSteps);
    await flush();
  }
  await drive(ticker, clock, maxSteps);
  return { harness, results };
}

/** Releases scheduled steps and fires timers until neither is left. */
export async function drive(ticker: Ticker, clock: VirtualClock, maxSteps: number): Promise<void> {
  let clockStep = false;
  let clockDue = false;
  for (let step = 0; ; step++) {
    if (step > maxSteps) throw new Error(`drive: more than ${maxSteps} steps; a loop?`);
    await flush();
    if (clockDue) {
      clockDue = false;
      clockStep = false;
      const at = clock.nextTimerAt();
      if (at !== undefined) await clock.advance(at - clock.now());
      continue;
    }
    if (!clockStep && clock.pendingTimers > 0) {
      if (ticker === microtaskTicker) {
        const at = clock.nextTimerAt()!;
        await clock.advance(at - clock.now());
        continue;
      }
      clockStep = true;
      void ticker.schedule(Promise.resolve(), "clock").then(() => {
        clockDue = true;
      });
    }
    if (ticker.count() === 0) {
      if (clockStep || clock.pendingTimers > 0) continue;
      break;
    }
    await ticker.waitNext(1);
  }
}
