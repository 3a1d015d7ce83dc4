/**
 * spec/task-functions.md section 5.1 and spec/lifecycle.md INV-33: the scope a function gets
 * holds its attempt's identity, signal and spawn, and nothing of the engine's, on the first
 * attempt (light) as on a retry (full).
 */
import { describe, expect, it } from "vitest";
import { RetryableError, type TaskScope, taskFunc } from "../../src/index.js";
import { reportOf, runOn, single } from "./helpers.js";

const SCOPE_MEMBERS = ["attempt", "phase", "signal", "spawn", "task"];

/** Every property name reachable on the scope, own or inherited, other than Object's. */
function reachable(scope: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = scope; o !== null && o !== Object.prototype; ) {
    for (const key of Reflect.ownKeys(o)) if (typeof key === "string") names.add(key);
    o = Object.getPrototypeOf(o) as object | null;
  }
  names.delete("constructor");
  return [...names].sort();
}

/** What the scope's class offers beyond any class's own: nothing. */
function classStatics(scope: object): string[] {
  const ctor = (scope as { constructor: object }).constructor;
  return Reflect.ownKeys(ctor)
    .filter((k) => k !== "length" && k !== "name" && k !== "prototype")
    .map(String);
}

describe("INV-33: a function's scope exposes nothing of the engine", () => {
  it("INV-33: the first attempt's scope and a retry's have only the TaskScope members, which read right", async () => {
    const seen: { names: string[]; task: string; phase: string; attempt: number }[] = [];
    const fn = taskFunc(
      async (_ctx, scope: TaskScope) => {
        expect(classStatics(scope)).toEqual([]);
        seen.push({
          names: reachable(scope),
          task: scope.task,
          phase: scope.phase,
          attempt: scope.attempt,
        });
        expect(scope.signal.aborted).toBe(false);
        expect(await scope.spawn(async () => scope.attempt)).toBe(scope.attempt);
        if (scope.attempt === 1) throw new RetryableError("once");
      },
      { retries: 1, initialDelayMs: 5 },
    );
    const h = runOn(single({ execute: fn }, "job"));
    const report = reportOf(await h.finish());
    expect(report.retried).toEqual([{ task: "job", phase: "execute", attempts: 2 }]);
    expect(seen).toEqual([
      { names: SCOPE_MEMBERS, task: "job", phase: "execute", attempt: 1 },
      { names: SCOPE_MEMBERS, task: "job", phase: "execute", attempt: 2 },
    ]);
  });

  it("INV-33 INV-13: a retry cannot reach its attempt's cancel() to leave the run unsettled", async () => {
    const fn = taskFunc(
      async (_ctx, scope: TaskScope) => {
        const engine = scope as unknown as { cancel?: unknown; host?: unknown; start?: unknown };
        expect(engine.cancel).toBeUndefined();
        expect(engine.host).toBeUndefined();
        expect(engine.start).toBeUndefined();
        if (scope.attempt === 1) throw new RetryableError("once");
      },
      { retries: 1, initialDelayMs: 5 },
    );
    const h = runOn(single({ execute: fn }, "job"));
    expect((await h.finish()).status).toBe("fulfilled");
  });
});
