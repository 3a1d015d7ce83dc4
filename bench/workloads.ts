import type { Impl, ImplName } from "./impls/impl.js";
import { ASYNC_AUTO_MAX_TASKS, asyncAuto, effect, pGraph } from "./impls/peers.js";
import { raw } from "./impls/raw.js";
import { buildProcessor, sdax, sdaxTasks } from "./impls/sdax.js";
import { sdaxTraced } from "./impls/traced.js";
import type { Contender } from "./method.js";
import { dagWorkload, type Features, levelsWorkload, type Workload } from "./workload.js";

/** A benchmark: what it runs, and against what. */
export interface BenchDef {
  readonly id: string;
  readonly what: string;
  /** The implementations to sample; each is measured in the same rounds. */
  contenders(): Contender[];
  /** Implementations that cannot express it, and why (printed with the results). */
  readonly unsupported?: string;
}

const PEERS: readonly Impl[] = [effect, pGraph, asyncAuto];

function contender(impl: Impl, w: Workload, as: ImplName = impl.name): Contender | undefined {
  const run = impl.prepare(w);
  if (run === undefined) return undefined;
  return { name: as, unit: run, callsPerUnit: w.callsPerRun, counter: w.counter };
}

/** raw, sdax and every peer that can express the workload made by `make`. */
function everyone(make: () => Workload): Contender[] {
  const list = [raw, sdax, ...PEERS].map((impl) => contender(impl, make()));
  return list.filter((c): c is Contender => c !== undefined);
}

/** A feature workload: raw and sdax with the feature, and both without it as references. */
function feature(features: Features, extra: readonly Impl[] = []): () => Contender[] {
  return () => {
    const list = [
      contender(raw, levelsWorkload(100, 10, features)),
      contender(sdax, levelsWorkload(100, 10, features)),
      contender(raw, levelsWorkload(100, 10), "raw-bare"),
      contender(sdax, levelsWorkload(100, 10), "sdax-bare"),
      ...extra.map((impl) => contender(impl, levelsWorkload(100, 10, features))),
    ];
    return list.filter((c): c is Contender => c !== undefined);
  };
}

/** `runs` concurrent runs as one unit. */
function concurrent(c: Contender, runs: number): Contender {
  const one = c.unit;
  return {
    ...c,
    callsPerUnit: c.callsPerUnit * runs,
    unit: (ctx) => {
      const all = new Array<Promise<unknown>>(runs);
      for (let i = 0; i < runs; i++) all[i] = one(ctx);
      return Promise.all(all);
    },
  };
}

export const CONCURRENT_RUNS = 10_000;
export const BUILD_TASKS = 10_000;

/** The 10-task workload of W5: two levels of five. */
export function smallWorkload(): Workload {
  return levelsWorkload(2, 5);
}

/** One level of `tasks` tasks x 3 phases, against everyone that can run it. */
function oneLevel(id: string, tasks: number): BenchDef {
  return {
    id,
    what: `1 level x ${tasks.toLocaleString("en-US")} tasks x 3 phases`,
    contenders: () => everyone(() => levelsWorkload(1, tasks)),
    unsupported: `async: too slow above ${ASYNC_AUTO_MAX_TASKS.toLocaleString("en-US")} tasks (see impls/peers.ts)`,
  };
}

export const BENCHES: readonly BenchDef[] = [
  {
    id: "W1",
    what: "100 levels x 10 tasks x 3 phases",
    contenders: () => everyone(() => levelsWorkload(100, 10)),
  },
  oneLevel("W2", 10_000),
  {
    id: "W3",
    what: "seeded random DAG of 1,000 tasks",
    contenders: () => everyone(() => dagWorkload(1_000, 42)),
    unsupported: "effect: no dependency-graph combinator",
  },
  // W2's workload again, as the base of W4's growth, measured in the same kind of process.
  oneLevel("W4-10k", 10_000),
  oneLevel("W4-100k", 100_000),
  {
    id: "W5",
    what: `${CONCURRENT_RUNS.toLocaleString("en-US")} concurrent runs of a 10-task processor`,
    contenders: () => everyone(smallWorkload).map((c) => concurrent(c, CONCURRENT_RUNS)),
  },
  {
    id: "W6",
    what: "W1 with an onEvent listener that counts",
    contenders: feature({ listener: true }),
    unsupported: "effect, p-graph, async: no lifecycle events",
  },
  {
    id: "W7",
    what: "W1, every function reads its signal (raw: one AbortController per call)",
    contenders: feature({ readsSignal: true }, [effect]),
    unsupported: "p-graph, async: no cancellation signal",
  },
  {
    id: "W8",
    what: "W1, timeoutMs on every function (raw: one setTimeout and clearTimeout per call)",
    contenders: feature({ timeoutMs: 60_000 }, [effect]),
    unsupported: "p-graph, async: no timeouts",
  },
  {
    id: "W9",
    what: `building a processor of ${BUILD_TASKS.toLocaleString("en-US")} tasks (task() and addTask for each, then build())`,
    contenders: () => {
      const w = levelsWorkload(1, BUILD_TASKS);
      return [
        {
          name: "sdax",
          unit: async () => buildProcessor(w, sdaxTasks(w)),
          callsPerUnit: 0,
          counter: w.counter,
        },
      ];
    },
    unsupported: "raw and the peers: nothing comparable to build",
  },
  {
    id: "W10",
    what: "W1 traced with sdax/otel (a span per run and per phase), beside W1 bare and raw",
    contenders: () => {
      const list = [raw, sdax, sdaxTraced].map((impl) => contender(impl, levelsWorkload(100, 10)));
      return list.filter((c): c is Contender => c !== undefined);
    },
    unsupported: "effect, p-graph, async: no tracing integration measured",
  },
  {
    id: "W11",
    what: "1 level x 10,000 tasks x 3 phases, at most 16 functions at once (raw: a pool of 16 workers per phase)",
    contenders: () => everyone(() => levelsWorkload(1, 10_000, { maxConcurrency: 16 })),
    unsupported: `async: too slow above ${ASYNC_AUTO_MAX_TASKS.toLocaleString("en-US")} tasks (see impls/peers.ts)`,
  },
];
