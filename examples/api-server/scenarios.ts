/**
 * What can happen to a request, and the status the API server must answer it with. Each
 * scenario says how the upstream answers the auth call and each attempt of the data call; the
 * load test draws one per request from a seeded generator, so a run is replayable.
 */
import type { Behaviour, Endpoint, Plan } from "./upstream.js";

export interface Scenario {
  /** Share of the load test's requests, out of 100. */
  readonly weight: number;
  readonly auth: Behaviour;
  /** The data call's answer on attempt 1, 2, ...; the last one repeats. */
  readonly data: readonly [Behaviour, ...Behaviour[]];
  /** The status the client must get; 499: the client disconnects while auth hangs. */
  readonly expect: 200 | 401 | 499 | 502 | 504;
}

export const SCENARIOS = {
  ok: { weight: 50, auth: "ok", data: ["ok"], expect: 200 },
  slow: { weight: 10, auth: "slow", data: ["slow"], expect: 200 },
  flaky: { weight: 8, auth: "ok", data: ["hang", "ok"], expect: 200 }, // timeout, then a retry
  denied: { weight: 8, auth: "unauthorized", data: ["ok"], expect: 401 },
  "auth-down": { weight: 4, auth: "error", data: ["ok"], expect: 502 },
  "data-down": { weight: 8, auth: "ok", data: ["error"], expect: 502 }, // a 500 is not retried
  "data-hangs": { weight: 6, auth: "ok", data: ["hang"], expect: 504 }, // every attempt times out
  "client-leaves": { weight: 6, auth: "hang", data: ["ok"], expect: 499 },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** How the upstream answers `endpoint` on `attempt` in `scenario`. */
export function behaviourOf(scenario: Scenario, endpoint: Endpoint, attempt: number): Behaviour {
  if (endpoint === "auth") return scenario.auth;
  return scenario.data[Math.min(attempt, scenario.data.length) - 1] ?? scenario.data[0];
}

/** An upstream plan that reads the scenario's name from the request id (`curl -H 'x-request-id: slow'`). */
export const planByName: Plan = (endpoint, requestId, attempt) => {
  const name = Object.hasOwn(SCENARIOS, requestId) ? (requestId as ScenarioName) : "ok";
  return behaviourOf(SCENARIOS[name], endpoint, attempt);
};

/** mulberry32: a small, fast, seeded PRNG returning [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The scenario of request `index` under `seed`: depends on nothing else, so any request replays alone. */
export function scenarioFor(seed: number, index: number): ScenarioName {
  const draw = mulberry32(seed ^ Math.imul(index + 1, 0x9e3779b9))() * 100;
  let sum = 0;
  for (const name of SCENARIO_NAMES) {
    sum += SCENARIOS[name].weight;
    if (draw < sum) return name;
  }
  return "ok";
}
