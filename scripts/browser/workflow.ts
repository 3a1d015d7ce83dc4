/**
 * The workflow that scripts/browser-check.ts runs both in Node and in headless Chromium: on a
 * VirtualClock, a task times out twice (one retry) while a sibling waits on a long timer, so
 * the sibling is cancelled and every started task is cleaned up; then a run phase by phase
 * closed by `Symbol.asyncDispose`, and an option refused at build time. Its result is plain
 * data, so the two runs can be compared.
 */
import {
  AsyncTaskProcessor,
  checkTrace,
  isSdaxBuildError,
  isSdaxExecutionError,
  isTaskTimeoutError,
  type LifecycleEvent,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";

export interface WorkflowResult {
  /** What the phases did, in order. */
  readonly log: string[];
  /** `task.phase: ErrorName attempts=N` for each failed phase. */
  readonly failures: string[];
  /** Virtual time when the run settled. */
  readonly settledAt: number;
  /** `checkTrace` of the run's events: [] when every rule held. */
  readonly violations: string[];
  /** The phases a PhaseRunner ran before `Symbol.asyncDispose` closed it. */
  readonly phased: string[];
  /** The message of the SdaxBuildError for `retries: -1`. */
  readonly badOption: string;
}

type Ctx = Record<string, unknown>;

export async function workflow(): Promise<WorkflowResult> {
  const clock = new VirtualClock();
  const log: string[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clock.clearTimeout(timer);
        reject(signal.reason);
      });
    });

  const processor = AsyncTaskProcessor.builder<Ctx>()
    .addTask(
      task<Ctx>("db", {
        preExecute: async (_ctx, { signal }) => {
          await sleep(10, signal);
          log.push(`db open @${clock.now()}`);
        },
        postExecute: () => void log.push(`db close @${clock.now()}`),
      }),
      1,
    )
    .addTask(
      task<Ctx>("cache", {
        preExecute: () => void log.push("cache open"),
        postExecute: () => void log.push(`cache close @${clock.now()}`),
      }),
      1,
    )
    .addTask(
      task<Ctx>("fetch", {
        execute: taskFunc(
          (_ctx, { signal }) => {
            log.push(`fetch attempt @${clock.now()}`);
            return sleep(60_000, signal);
          },
          { timeoutMs: 1000, retries: 1, initialDelayMs: 200 },
        ),
      }),
      2,
    )
    .addTask(
      task<Ctx>("report", {
        execute: async (_ctx, { signal }) => {
          try {
            await sleep(60_000, signal);
          } catch (error) {
            log.push(`report cancelled @${clock.now()}`);
            throw error;
          }
        },
      }),
      2,
    )
    .build();

  const events: LifecycleEvent[] = [];
  const run = processor.processTasks(
    {},
    { clock, random: () => 0.5, onEvent: (e) => events.push(e) },
  );
  const outcome = run.then(
    () => [] as string[],
    (error: unknown) => {
      if (!isSdaxExecutionError(error)) throw error;
      return error.failures.map((f) => {
        const kind = isTaskTimeoutError(f.error) ? "TaskTimeoutError" : String(f.error);
        return `${f.task}.${f.phase}: ${kind} attempts=${f.attempts}`;
      });
    },
  );
  await clock.runAll();
  const failures = await outcome;
  const settledAt = clock.now();
  const violations = checkTrace(events, processor).map((v) => `${v.invariant}: ${v.message}`);

  const phased: string[] = [];
  const runner = processor.open({}, { clock });
  const step = runner.runNext(); // preExecute: db waits on a timer, cache does not
  await clock.runAll();
  await step;
  phased.push(String(runner.lastPhase));
  const closing = runner[Symbol.asyncDispose]();
  await clock.runAll();
  await closing.catch((error: unknown) => phased.push(`closed: ${String(error)}`));
  phased.push(`next: ${String(runner.nextPhase)}`);

  let badOption = "";
  try {
    taskFunc(async () => {}, { retries: -1 });
  } catch (error) {
    badOption = isSdaxBuildError(error) ? error.message : String(error);
  }
  return { log, failures, settledAt, violations, phased, badOption };
}
