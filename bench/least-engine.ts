/**
 * What the least engine costs: a scheduler cut down to what a bare run needs, against the
 * hand-written code and sdax, on the same workload, plan, tasks, scopes and observers.
 *   node --expose-gc --import tsx bench/least-engine.ts [levels|TASKS] [rounds]
 * `levels` is W1's shape (100 levels x 10 tasks, the default); a number is one level of that
 * many tasks (W2's shape: 10000).
 *
 * The least engine keeps what sdax does on a bare phase's path, and nothing else:
 * - sdax's own compiled plan, tasks, transition tables, scopes (`LightScope`) and promise
 *   observers (`observeLight`);
 * - per task, its state moved through the task table, and its attempt's through the attempt
 *   table, refusing an illegal transition; the count of tasks holding a slot;
 * - every check sdax makes on that path: a crashed run, a step already under way, an attempt
 *   no longer light and current, a listener, a timer, a slot to wait for, a call that throws
 *   or gives what is not a native promise;
 * - each fulfilment a step of its own, with its queue of nodes drained in a loop.
 *
 * Anything else (a rejection, a listener, a limit, a timeout, a scope read) is beyond it: the
 * run fails at once, and the call count checked after every sample would not add up. So the
 * gap between it and sdax is what sdax's own structure costs on the bare path, beyond the work
 * the path itself must do.
 */
import { executeOf, postExecuteOf, preExecuteOf } from "../src/builders/task.js";
import type { Attempt } from "../src/functions/attempt.js";
import { FULFILLED } from "../src/functions/attempt.js";
import { LightScope, type LightScopeHost, observeLight } from "../src/functions/light-scope.js";
import type { PhaseName } from "../src/functions/phase-name.js";
import type { PhaseFn } from "../src/functions/task-function.js";
import type { Plan } from "../src/graph/plan.js";
import {
  AE,
  AS,
  ATTEMPT_MACHINE,
  AWAITING_TEARDOWN,
  HOLDS_SLOT,
  TASK_MACHINE,
  TE,
} from "../src/lifecycle/machines.js";
import { RUNNING_PHASE } from "../src/lifecycle/task-phases.js";
import { planOf } from "../src/processor.js";
import { raw } from "./impls/raw.js";
import { buildProcessor } from "./impls/sdax.js";
import { type Contender, ratios, sample } from "./method.js";
import { spread } from "./stats.js";
import { type Ctx, levelsWorkload } from "./workload.js";

const ENTERING = 0;
const EXECUTING = 1;
const CLEANING_UP = 2;
const SETTLED = 3;

function beyond(what: string): never {
  throw new Error(`the least engine runs bare phases that fulfil, not ${what}`);
}

class LeastRun implements LightScopeHost {
  readonly ctx: Ctx;
  readonly #plan: Plan<Ctx>;
  readonly #states: Uint8Array;
  readonly #waitingOn: Int32Array;
  readonly #current: (number | undefined)[];
  #teardownWaitingOn: Int32Array | undefined;
  #state = ENTERING;
  #readyCount = 0;
  #active = 0;
  #teardownsLeft = 0;
  #holding = 0;
  readonly #limit = Number.POSITIVE_INFINITY;
  readonly #slotQueue: number[] = [];
  #queue: number[] = [];
  #queueSize = 0;
  #draining = false;
  #crash: unknown;
  // Never set: kept so that every check sdax makes on them is made here too.
  readonly #events: { newMoment(): void } | undefined;
  readonly #lightTimerSet: Uint8Array | undefined;
  readonly #settled: (error: unknown) => void;

  constructor(plan: Plan<Ctx>, ctx: Ctx, settled: (error: unknown) => void) {
    this.ctx = ctx;
    this.#plan = plan;
    this.#states = new Uint8Array(plan.nodeCount);
    this.#waitingOn = plan.dependencyCount.slice();
    this.#current = new Array<number | undefined>(plan.nodeCount);
    this.#settled = settled;
  }

  start(): void {
    this.#draining = true;
    try {
      for (const root of this.#plan.roots) this.#queueNode(root);
      this.#pump();
    } catch (error) {
      this.#crashed(error);
    } finally {
      this.#draining = false;
    }
  }

  /** A fulfilment: a step of its own, bracketed in place as sdax does (no closure per step). */
  deliverLight(node: number, phase: PhaseName, entry: number, _error: unknown): void {
    if (this.#crash !== undefined) return;
    if (entry !== FULFILLED || this.#lightPhase(node) !== phase || this.#draining) {
      this.#crashed(new Error("the least engine runs bare phases that fulfil, not a rejection"));
      return;
    }
    this.#draining = true;
    this.#events?.newMoment();
    try {
      if (this.#lightTimerSet !== undefined && this.#lightTimerSet[node] === 1) beyond("a timer");
      this.#moveLight(node, AE.succeed);
      this.#current[node] = undefined;
      this.#move(node, TE.succeed);
      if (phase === "preExecute") {
        this.#active--;
        this.#markReady(node);
      } else if (phase === "execute") {
        this.#active--;
      } else {
        this.#tornDown(node);
      }
      this.#pump();
    } catch (error) {
      this.#crashed(error);
    } finally {
      this.#draining = false;
    }
  }

  promote(): Attempt {
    return beyond("a scope read");
  }

  promoted(): Attempt | undefined {
    return undefined;
  }

  taskName(node: number): string {
    return this.#plan.tasks[node]!.name;
  }

  /** Drains the queue of nodes and moves the run on, in a loop. */
  #pump(): void {
    do {
      for (let at = 0; at < this.#queueSize; at++) {
        const node = this.#queue[at]!;
        if (this.#state === CLEANING_UP) this.#tearDown(node);
        else this.#enter(node);
      }
      this.#queueSize = 0;
    } while (this.#advance());
  }

  #crashed(error: unknown): void {
    if (this.#crash !== undefined) return;
    this.#crash = error;
    this.#settled(error);
  }

  #advance(): boolean {
    if (this.#state === ENTERING && this.#readyCount === this.#plan.nodeCount) {
      this.#state = EXECUTING;
      const nodes = this.#plan.executeNodes;
      for (let k = 0; k < nodes.length; k++) {
        const node = nodes[k]!;
        this.#active++;
        if (this.#mustQueue()) beyond("a limit");
        this.#move(node, TE.startExec);
        this.#startAttempt(node, "execute", executeOf(this.#plan.tasks[node]!)!);
      }
      return true;
    }
    if (this.#state === EXECUTING && this.#active === 0) {
      this.#beginCleanup();
      return true;
    }
    if (this.#state === CLEANING_UP && this.#teardownsLeft === 0) {
      this.#state = SETTLED;
      this.#settled(undefined);
    }
    return false;
  }

  #enter(node: number): void {
    const task = this.#plan.tasks[node];
    const pre = task === undefined ? undefined : preExecuteOf(task);
    if (pre === undefined) {
      this.#move(node, TE.enter);
      this.#markReady(node);
      return;
    }
    this.#active++;
    if (this.#mustQueue()) beyond("a limit");
    this.#move(node, TE.startPre);
    this.#startAttempt(node, "preExecute", pre);
  }

  #markReady(node: number): void {
    this.#readyCount++;
    const { dependentsStart, dependents } = this.#plan;
    const end = dependentsStart[node + 1]!;
    for (let i = dependentsStart[node]!; i < end; i++) {
      const dependent = dependents[i]!;
      if (--this.#waitingOn[dependent]! === 0) this.#queueNode(dependent);
    }
  }

  #beginCleanup(): void {
    this.#state = CLEANING_UP;
    const { nodeCount, dependenciesStart, dependencies } = this.#plan;
    const waitingOn = new Int32Array(nodeCount);
    this.#teardownWaitingOn = waitingOn;
    let eligible = 0;
    for (let node = 0; node < nodeCount; node++) {
      if (AWAITING_TEARDOWN[this.#states[node]!] === 0) continue;
      eligible++;
      const end = dependenciesStart[node + 1]!;
      for (let i = dependenciesStart[node]!; i < end; i++) waitingOn[dependencies[i]!]!++;
    }
    this.#teardownsLeft = eligible;
    for (let node = 0; node < nodeCount; node++) {
      if (waitingOn[node] === 0 && AWAITING_TEARDOWN[this.#states[node]!] === 1) {
        this.#queueNode(node);
      }
    }
  }

  #tearDown(node: number): void {
    const task = this.#plan.tasks[node];
    const post = task === undefined ? undefined : postExecuteOf(task);
    if (post === undefined) {
      this.#move(node, TE.finish);
      this.#tornDown(node);
      return;
    }
    if (this.#mustQueue()) beyond("a limit");
    this.#move(node, TE.startPost);
    this.#startAttempt(node, "postExecute", post);
  }

  #tornDown(node: number): void {
    this.#teardownsLeft--;
    const waitingOn = this.#teardownWaitingOn!;
    const { dependenciesStart, dependencies } = this.#plan;
    const end = dependenciesStart[node + 1]!;
    for (let i = dependenciesStart[node]!; i < end; i++) {
      const dependency = dependencies[i]!;
      if (--waitingOn[dependency]! === 0) this.#queueNode(dependency);
    }
  }

  #startAttempt(node: number, phase: PhaseName, given: PhaseFn<Ctx>): void {
    const bare = typeof given === "function";
    const timeoutMs = bare ? null : given.timeoutMs;
    this.#current[node] = AS.idle;
    this.#moveLight(node, AE.start);
    let result: unknown;
    let native = false;
    try {
      result = (bare ? given : given.fn)(this.ctx, new LightScope(this, node, phase));
      if (typeof this.#current[node] === "number") native = result instanceof Promise;
    } catch {
      beyond("a call that throws");
    }
    if (!native) beyond("a result that is not a native promise");
    this.#events?.newMoment();
    if (observeLight(this, node, phase, result as Promise<unknown>, timeoutMs !== null)) {
      beyond("a timeout");
    }
  }

  #lightPhase(node: number): PhaseName | undefined {
    return typeof this.#current[node] === "number" ? RUNNING_PHASE[this.#states[node]!] : undefined;
  }

  #mustQueue(): boolean {
    return this.#holding >= this.#limit || this.#slotQueue.length > 0;
  }

  #queueNode(node: number): void {
    if (this.#queueSize < this.#queue.length) this.#queue[this.#queueSize] = node;
    else this.#queue.push(node);
    this.#queueSize++;
  }

  #move(node: number, event: number): void {
    const from = this.#states[node]!;
    const to = TASK_MACHINE.next(from, event);
    if (to < 0) throw TASK_MACHINE.illegal(from, event);
    this.#states[node] = to;
    this.#holding += HOLDS_SLOT[to]! - HOLDS_SLOT[from]!;
    this.#events?.newMoment();
  }

  #moveLight(node: number, event: number): void {
    const from = this.#current[node]!;
    const to = ATTEMPT_MACHINE.next(from, event);
    if (!(to >= 0)) throw ATTEMPT_MACHINE.illegal(from, event);
    this.#current[node] = to;
    this.#events?.newMoment();
  }
}

/**
 * The first run, kept for the life of the process: after a forced GC with no run alive, V8
 * would drop the runs' object layout and the code optimised for it (sdax keeps one for the
 * same reason: docs/performance.md, "Runs after a garbage collection").
 */
const anchors: LeastRun[] = [];

function leastEngine(plan: Plan<Ctx>): (ctx: Ctx) => Promise<void> {
  return (ctx) =>
    new Promise<void>((resolve, reject) => {
      const run = new LeastRun(plan, ctx, (error) =>
        error === undefined ? resolve() : reject(error),
      );
      if (anchors.length === 0) anchors.push(run);
      run.start();
    });
}

const [shapeArg = "levels", roundsArg = "16"] = process.argv.slice(2);
const w = shapeArg === "levels" ? levelsWorkload(100, 10) : levelsWorkload(1, Number(shapeArg));
const processor = buildProcessor(w);
const units: Record<string, (ctx: Ctx) => Promise<unknown>> = {
  raw: raw.prepare(w)!,
  least: leastEngine(planOf(processor)),
  sdax: (ctx) => processor.processTasks(ctx),
};
const contenders: Contender[] = Object.entries(units).map(([name, unit]) => ({
  name,
  unit,
  callsPerUnit: w.callsPerRun,
  counter: w.counter,
}));
const samples = await sample(contenders, { rounds: Number(roundsArg), sampleMs: 150 });
const shape = shapeArg === "levels" ? "100 levels x 10 tasks" : `1 level x ${shapeArg} tasks`;
console.log(`${shape} x 3 phases (median, p25-p75 over ${roundsArg} rounds):`);
for (const [a, b] of [
  ["least", "raw"],
  ["sdax", "raw"],
  ["sdax", "least"],
] as const) {
  const s = spread(ratios(samples, a, b));
  console.log(
    `  ${`${a} / ${b}`.padEnd(13)} ${s.value.toFixed(2)}x  (${s.p25.toFixed(2)}-${s.p75.toFixed(2)})`,
  );
}
