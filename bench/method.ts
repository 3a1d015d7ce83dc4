import { forceGc } from "./gc.js";
import type { Ctx } from "./workload.js";

/** One implementation prepared for sampling. */
export interface Contender {
  /** How it is reported: an implementation's name (`ImplName`) in the benchmark. */
  readonly name: string;
  /** One unit of work: a run, or a batch of concurrent runs. */
  readonly unit: (ctx: Ctx) => Promise<unknown>;
  /** Phase calls one unit must make. */
  readonly callsPerUnit: number;
  /** The counter the phase functions add to. */
  readonly counter: { calls: number };
}

export interface MethodOptions {
  readonly rounds: number;
  /** Aim for samples of about this many ms. */
  readonly sampleMs: number;
}

/** Per implementation, the ms of one unit in each round (index = round). */
export type Samples = Map<string, number[]>;

/**
 * The measuring method. Each sample is `reps` back-to-back units of one implementation, taken
 * right after a forced GC, so the garbage of one implementation is never collected on
 * another's time. Implementations are interleaved round-robin, each round starting from a
 * different one, so drift in the machine's speed spreads over all of them. `reps` is set per
 * implementation from a calibration run, so every sample lasts about `sampleMs`. After every
 * sample the phase calls counted must be exactly `reps` units' worth: an implementation that
 * does less work fails instead of winning.
 */
export async function sample(contenders: readonly Contender[], opts: MethodOptions) {
  const reps = new Map<string, number>();
  for (const c of contenders) {
    // Warm up until the JIT has settled (at least 3 units and about 300 ms), then calibrate.
    const warmUntil = performance.now() + 300;
    for (let i = 0; i < 3 || performance.now() < warmUntil; i++) await timeUnits(c, 1);
    const once = await timeUnits(c, 1);
    reps.set(
      c.name,
      Math.max(1, Math.min(10_000, Math.round(opts.sampleMs / Math.max(once, 0.01)))),
    );
  }
  const samples: Samples = new Map(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length]!;
      const n = reps.get(c.name)!;
      samples.get(c.name)!.push((await timeUnits(c, n)) / n);
    }
  }
  return samples;
}

let runId = 0;

/** ms for `n` back-to-back units after a forced GC; throws if the calls do not add up. */
async function timeUnits(c: Contender, n: number): Promise<number> {
  forceGc?.();
  const before = c.counter.calls;
  const started = performance.now();
  for (let i = 0; i < n; i++) await c.unit({ runId: runId++ });
  const ms = performance.now() - started;
  const made = c.counter.calls - before;
  if (made !== n * c.callsPerUnit) {
    throw new Error(
      `${c.name} made ${made} phase calls in ${n} unit(s); expected ${n * c.callsPerUnit}`,
    );
  }
  return ms;
}

/** Per round, `a`'s time over `b`'s. */
export function ratios(samples: Samples, a: string, b: string): number[] {
  const x = samples.get(a);
  const y = samples.get(b);
  if (x === undefined || y === undefined) return [];
  return x.map((v, i) => v / y[i]!);
}

/** Per round, (a - aRef) over (b - bRef): the cost of a feature against raw code's cost. */
export function costRatios(
  samples: Samples,
  [a, aRef]: readonly [string, string],
  [b, bRef]: readonly [string, string],
): number[] {
  const xa = samples.get(a)!;
  const xr = samples.get(aRef)!;
  const ya = samples.get(b)!;
  const yr = samples.get(bRef)!;
  return xa.map((v, i) => (v - xr[i]!) / (ya[i]! - yr[i]!));
}
