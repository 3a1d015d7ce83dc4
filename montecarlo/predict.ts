/**
 * The oracle: what a phase's script must lead to, computed from the script and the function's
 * options alone. Exact under a virtual clock (the generator never lets a duration equal a
 * timeout) and under real timers (it keeps wide margins there).
 */
import type { Behaviour, FnSpec, PhaseScript } from "./model.js";

/** What one attempt comes to: success, a retryable failure (timeouts included), a failure that
 * is not retried, or never settling unless cancelled. */
export type AttemptResult = "ok" | "retryable" | "fail" | "block";

export function attemptResult(b: Behaviour | undefined, fn: FnSpec): AttemptResult {
  const t = fn.timeoutMs;
  if (b === undefined) return "ok";
  switch (b.k) {
    case "async":
      return "ok";
    case "slow":
    case "rollback": // fails on its own only once cancelled: see checks/own-errors.ts
      return t !== undefined && b.ms > t ? "retryable" : "ok";
    case "throw":
      return "fail";
    case "retryable":
      return "retryable";
    case "hang":
      return t !== undefined ? "retryable" : "block";
    case "ignore":
      if (t !== undefined && b.ms > t) return "retryable";
      return b.fail ? "fail" : "ok";
    case "spawn": {
      const failMs = b.failAt === undefined ? undefined : b.ms[b.failAt];
      if (failMs !== undefined && (t === undefined || failMs < t)) return "fail";
      const last = b.ms.length === 0 ? -1 : Math.max(...b.ms);
      return t !== undefined && last > t ? "retryable" : "ok";
    }
  }
}

/** How a phase ends when nothing cancels it, and after how many attempts. */
export interface PhaseOutcome {
  readonly result: "ok" | "fail" | "block";
  readonly attempts: number;
}

export function predictPhase(script: PhaseScript | undefined, fn: FnSpec): PhaseOutcome {
  const last = (fn.retries ?? 0) + 1;
  for (let attempt = 1; attempt <= last; attempt++) {
    const r = attemptResult(script?.attempts[attempt - 1], fn);
    if (r === "retryable") {
      if (attempt === last) return { result: "fail", attempts: attempt };
      continue;
    }
    return { result: r, attempts: attempt };
  }
  return { result: "ok", attempts: last }; // unreachable: the loop returns
}
