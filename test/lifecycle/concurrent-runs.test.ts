import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type PhaseName,
  type TaskScope,
  task,
} from "../../src/index.js";

/**
 * One processor, 100 concurrent runs. Each context says which phase fails (decided per context)
 * and how many microtask ticks each function waits, so runs interleave differently; every
 * function logs into the context it received. Levels: 1: A{pre,post} B{pre,exec,post};
 * 2: C{pre,exec,post}; 3: D{exec,post}.
 */
type Key = `${"A" | "B" | "C" | "D"}.${"pre" | "exec" | "post"}`;

interface Ctx {
  readonly id: number;
  readonly fail: Key | "none";
  readonly sync: boolean; // the failure is a synchronous throw
  readonly error: Error;
  readonly log: string[];
  readonly signals: AbortSignal[];
}

const LEVEL: Record<string, number> = { A: 1, B: 1, C: 2, D: 3 };
const ALL: readonly Key[] = [
  "A.pre",
  "B.pre",
  "C.pre",
  "B.exec",
  "C.exec",
  "D.exec",
  "A.post",
  "B.post",
  "C.post",
  "D.post",
];
const FAILS: readonly (Key | "none")[] = ["none", ...ALL];

/** Which phases start, per failure (the oracle). */
function expectedStarts(fail: Key | "none"): Key[] {
  switch (fail) {
    case "A.pre":
    case "B.pre":
      return ["A.pre", "B.pre", "A.post", "B.post"];
    case "C.pre":
      return ["A.pre", "B.pre", "C.pre", "C.post", "A.post", "B.post"];
    default:
      return [...ALL];
  }
}

const PHASE: Record<string, PhaseName> = {
  pre: "preExecute",
  exec: "execute",
  post: "postExecute",
};

function fn(key: Key) {
  return async (ctx: Ctx, scope: TaskScope) => {
    ctx.log.push(`${key}>`);
    ctx.signals.push(scope.signal);
    if (ctx.fail === key && ctx.sync) {
      ctx.log.push(`${key}!`);
      throw ctx.error;
    }
    const ticks = (ctx.id * 7 + key.length * 3 + key.charCodeAt(0)) % 5;
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    if (ctx.fail === key) {
      ctx.log.push(`${key}!`);
      throw ctx.error;
    }
    ctx.log.push(`${key}<`);
  };
}

const processor = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("A", { preExecute: fn("A.pre"), postExecute: fn("A.post") }), 1)
  .addTask(
    task("B", { preExecute: fn("B.pre"), execute: fn("B.exec"), postExecute: fn("B.post") }),
    1,
  )
  .addTask(
    task("C", { preExecute: fn("C.pre"), execute: fn("C.exec"), postExecute: fn("C.post") }),
    2,
  )
  .addTask(task("D", { execute: fn("D.exec"), postExecute: fn("D.post") }), 3)
  .build();

/** Checks the order rules of one run's log (ends are `<` or `!`). */
function checkOrder(log: readonly string[]): void {
  const startAt = (k: string) => log.indexOf(`${k}>`);
  const endAt = (k: string) => Math.max(log.indexOf(`${k}<`), log.indexOf(`${k}!`));
  const started = ALL.filter((k) => startAt(k) >= 0);
  for (const k of started) expect(endAt(k), `${k} ended`).toBeGreaterThan(startAt(k));
  for (const a of started) {
    for (const b of started) {
      const [ta, pa] = a.split(".") as [string, string];
      const [tb, pb] = b.split(".") as [string, string];
      // INV-2: a pre of a higher level starts after every pre of lower levels ended.
      if (pa === "pre" && pb === "pre" && LEVEL[ta]! < LEVEL[tb]!)
        expect(startAt(b), `${b} after ${a}`).toBeGreaterThan(endAt(a));
      // INV-5: executes start after every pre ended.
      if (pa === "pre" && pb === "exec") expect(startAt(b)).toBeGreaterThan(endAt(a));
      // INV-11: posts start after every pre and execute ended.
      if (pa !== "post" && pb === "post") expect(startAt(b)).toBeGreaterThan(endAt(a));
      // INV-10: a post of a lower level starts after every post of higher levels ended.
      if (pa === "post" && pb === "post" && LEVEL[ta]! > LEVEL[tb]!)
        expect(startAt(b), `${b} after ${a}`).toBeGreaterThan(endAt(a));
    }
  }
}

describe("spec 5: isolation", () => {
  it("INV-15 INV-7 INV-14: 100 concurrent runs of one processor with different contexts and failures each run correctly", async () => {
    const contexts: Ctx[] = Array.from({ length: 100 }, (_, id) => ({
      id,
      fail: FAILS[id % FAILS.length]!,
      sync: id % 3 === 0,
      error: new Error(`run ${id}`),
      log: [],
      signals: [],
    }));
    const outcomes = await Promise.allSettled(contexts.map((ctx) => processor.processTasks(ctx)));
    outcomes.forEach((outcome, id) => {
      const ctx = contexts[id]!;
      const starts = ctx.log.filter((e) => e.endsWith(">")).map((e) => e.slice(0, -1));
      expect(new Set(starts).size, `run ${id}: each phase once`).toBe(starts.length);
      expect(starts.sort(), `run ${id} (${ctx.fail})`).toEqual(expectedStarts(ctx.fail).sort());
      checkOrder(ctx.log);
      // Every entry is this run's: no function saw another run's context.
      expect(ctx.log.length).toBe(starts.length * 2);
      if (ctx.fail === "none") {
        expect(outcome.status).toBe("fulfilled");
        expect(ctx.signals.every((s) => !s.aborted)).toBe(true);
        return;
      }
      expect(outcome.status).toBe("rejected");
      const reason: unknown = outcome.status === "rejected" ? outcome.reason : undefined;
      if (!isSdaxExecutionError(reason)) throw new Error(`run ${id}: ${String(reason)}`);
      const [t, p] = ctx.fail.split(".") as [string, string];
      expect(reason.failures).toEqual([
        { task: t, phase: PHASE[p], error: ctx.error, attempts: 1, afterCancel: false },
      ]);
      expect(reason.failures[0]!.error).toBe(ctx.error);
    });
    // Signals are per run and per attempt: no two functions shared one.
    const all = contexts.flatMap((c) => c.signals);
    expect(new Set(all).size).toBe(all.length);
  });
});
