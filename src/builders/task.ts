import { hasBrand } from "../errors/brand.js";
import { SdaxBuildError, unreadableInput } from "../errors/build-error.js";
import { describeValue } from "../errors/describe-error.js";
import { nearestName } from "../errors/edit-distance.js";
import { escapedText, quoted } from "../errors/quoted.js";
import { isPlainPrototype } from "../functions/option-object.js";
import { optionNames } from "../functions/options.js";
import { PHASES, type PhaseName } from "../functions/phase-name.js";
import {
  asTaskFunction,
  type PhaseFn,
  type TaskFunction,
  toPhaseFn,
} from "../functions/task-function.js";

/** The phases given to {@link task}; each is optional, but a task needs at least one. */
export interface TaskPhases<T> {
  /** Acquire or set up; runs by dependency order. */
  readonly preExecute?: PhaseFn<T> | undefined;
  /** Do the work; runs for every task at once once every preExecute succeeded. */
  readonly execute?: PhaseFn<T> | undefined;
  /** Clean up; runs in reverse dependency order for every task whose preExecute started. */
  readonly postExecute?: PhaseFn<T> | undefined;
}

const brand = Symbol.for("sdax.AsyncTask");

const objectPrototype = Object.prototype as Partial<Record<PhaseName, unknown>>;

/**
 * A named task with up to three phases. Immutable; made by {@link task} or {@link join}. Add the
 * task itself to a builder: a Proxy of it, or an object inheriting from it, is refused.
 */
export interface AsyncTask<T> {
  /** The task's name, unique within a processor. */
  readonly name: string;
  /** Acquire or set up; runs in dependency (level) order. `undefined`: the task has none. */
  readonly preExecute: TaskFunction<T> | undefined;
  /** The main work; runs once every preExecute succeeded. `undefined`: the task has none. */
  readonly execute: TaskFunction<T> | undefined;
  /** Clean up; runs in reverse dependency order. `undefined`: the task has none. */
  readonly postExecute: TaskFunction<T> | undefined;
}

/**
 * Declares a task. A phase is a function `(ctx, scope) => unknown` or a `taskFunc(fn, options)`.
 *
 * @example
 * const db = task<Ctx>("db", {
 *   preExecute: async (ctx, { signal }) => { ctx.conn = await pool.connect({ signal }); },
 *   postExecute: async (ctx) => { await ctx.conn?.release(); },
 * });
 */
export function task<T>(name: string, phases: TaskPhases<T>): AsyncTask<T> {
  checkName(name, "task");
  if (
    typeof phases !== "object" ||
    phases === null ||
    !isPlainPrototype(prototypeOf(phases, name))
  ) {
    throw new SdaxBuildError(
      "invalid-task",
      `task ${quoted(name)}: phases must be a plain object like { preExecute, execute, postExecute }, got ${describeValue(phases)}${methodsHint(phases)}`,
      name,
      "phases",
    );
  }
  // for-in with an own-key check lists what Object.keys would, without allocating an array.
  let unknownKey: string | undefined;
  try {
    for (const key in phases) {
      if (!isPhaseName(key) && Object.hasOwn(phases, key)) {
        unknownKey = key;
        break;
      }
    }
  } catch (error) {
    throw unreadablePhases(name, error);
  }
  if (unknownKey !== undefined) {
    const hint = (optionNames as readonly string[]).includes(unknownKey)
      ? `; \`${unknownKey}\` is an option of one phase: give it with taskFunc(fn, { ${unknownKey} })`
      : "";
    throw new SdaxBuildError(
      "invalid-phase",
      `task ${quoted(name)}: unknown phase \`${escapedText(unknownKey)}\`${phaseMeant(unknownKey)}; the phases are preExecute, execute and postExecute${hint}`,
      name,
      unknownKey,
    );
  }
  // Of a plain object, an inherited phase can only come from Object.prototype, which a
  // polluted prototype would make a phase of every task: then only its own are read (INV-33).
  const ownOnly = inheritsPhase();
  const made = new BrandedTask<T>(
    name,
    phaseOf(phases, "preExecute", name, ownOnly),
    phaseOf(phases, "execute", name, ownOnly),
    phaseOf(phases, "postExecute", name, ownOnly),
  );
  if (!hasPhases(made)) {
    throw new SdaxBuildError(
      "no-phase",
      `task ${quoted(name)} has no phase; give it preExecute, execute or postExecute, or use join(${quoted(name)}) for a synchronisation point`,
      name,
      "phases",
    );
  }
  return made;
}

/**
 * A named task without phases: a synchronisation point in a graph. Tasks that depend on it
 * are entered once everything it depends on completed preExecute.
 *
 * @example
 * AsyncTaskProcessor.graphBuilder<Ctx>()
 *   .addTask(auth, []).addTask(flags, [])
 *   .addTask(join("ready"), ["auth", "flags"])
 *   .addTask(fetchData, ["ready"]);
 */
export function join<T>(name: string): AsyncTask<T> {
  checkName(name, "join");
  return new BrandedTask<T>(name, undefined, undefined, undefined);
}

/** True for a value made by {@link task} or {@link join}. */
export function isAsyncTask(value: unknown): value is AsyncTask<unknown> {
  return hasBrand(value, brand);
}

/**
 * @internal The task with each of its functions passed through `map`, for the library's own
 * wrappers (tracing, fault injection).
 */
export function mapTaskFunctions<T>(
  task: AsyncTask<T>,
  map: (fn: TaskFunction<T>, phase: PhaseName) => TaskFunction<T>,
): AsyncTask<T> {
  const { preExecute, execute, postExecute } = task;
  return new BrandedTask<T>(
    task.name,
    preExecute && map(preExecute, "preExecute"),
    execute && map(execute, "execute"),
    postExecute && map(postExecute, "postExecute"),
  );
}

/** The prototype of a task's phases object; throws if it cannot be read (a revoked Proxy). */
function prototypeOf(phases: object, name: string): unknown {
  try {
    return Object.getPrototypeOf(phases);
  } catch (error) {
    throw unreadablePhases(name, error);
  }
}

function unreadablePhases(name: string, error: unknown): SdaxBuildError {
  return unreadableInput(
    "invalid-task",
    `task ${quoted(name)}: phases could not be read`,
    error,
    name,
    "phases",
  );
}

/**
 * For an object whose phases are methods (a class instance): how to give them instead, since a
 * phase is called without `this` (spec/task-functions.md section 1). Never throws.
 */
function methodsHint(phases: unknown): string {
  try {
    const has = (phase: PhaseName) =>
      typeof (phases as Record<string, unknown>)[phase] === "function";
    if (!has("preExecute") && !has("execute") && !has("postExecute")) return "";
  } catch {
    return "";
  }
  return "; give a plain object of functions, like { execute: (ctx, scope) => worker.execute(ctx, scope) }: a method would be called without `this`";
}

/** Whether `Object.prototype` has a phase's name: a polluted prototype. */
function inheritsPhase(): boolean {
  const p = objectPrototype;
  return p.preExecute !== undefined || p.execute !== undefined || p.postExecute !== undefined;
}

/** A phase as given, read once; `ownOnly`: an inherited one is not read. */
function phaseOf<T>(
  phases: TaskPhases<T>,
  phase: PhaseName,
  name: string,
  ownOnly: boolean,
): PhaseFn<T> | undefined {
  let value: unknown;
  try {
    value = ownOnly && !Object.hasOwn(phases, phase) ? undefined : phases[phase];
  } catch (error) {
    throw unreadableInput(
      "invalid-phase",
      `task ${quoted(name)} ${phase}: could not be read`,
      error,
      name,
      phase,
    );
  }
  return value === undefined ? undefined : toPhaseFn<T>(value, name, phase);
}

/**
 * ` (did you mean \`preExecute\`?)` for a key with a phase's letters in another case or in
 * snake case (`pre_execute`, as Python writes it); else nothing.
 */
function phaseMeant(key: string): string {
  const phase = nearestName(key.replaceAll("_", ""), PHASES, 1);
  return phase === undefined ? "" : ` (did you mean \`${phase}\`?)`;
}

/**
 * The one shape of every task: its phases as given (a bare function, or a `TaskFunction`) in
 * private fields, the brand on the prototype. The engine takes a bare function as it is; its
 * `TaskFunction` record is made only when someone reads the phase, and kept, so a workflow
 * whose phases nobody reads builds no record per phase.
 */
class BrandedTask<T> implements AsyncTask<T> {
  readonly name: string;
  #preExecute: PhaseFn<T> | undefined;
  #execute: PhaseFn<T> | undefined;
  #postExecute: PhaseFn<T> | undefined;

  constructor(
    name: string,
    preExecute: PhaseFn<T> | undefined,
    execute: PhaseFn<T> | undefined,
    postExecute: PhaseFn<T> | undefined,
  ) {
    this.name = name;
    this.#preExecute = preExecute;
    this.#execute = execute;
    this.#postExecute = postExecute;
    Object.freeze(this);
  }

  get preExecute(): TaskFunction<T> | undefined {
    const given = this.#preExecute;
    if (typeof given !== "function") return given;
    const made = asTaskFunction(given);
    this.#preExecute = made;
    return made;
  }

  get execute(): TaskFunction<T> | undefined {
    const given = this.#execute;
    if (typeof given !== "function") return given;
    const made = asTaskFunction(given);
    this.#execute = made;
    return made;
  }

  get postExecute(): TaskFunction<T> | undefined {
    const given = this.#postExecute;
    if (typeof given !== "function") return given;
    const made = asTaskFunction(given);
    this.#postExecute = made;
    return made;
  }

  /** True for a task made by this copy of sdax (not a Proxy of one, nor an object inheriting from one). */
  static isOwn(task: object): boolean {
    return #preExecute in task;
  }

  /** The task's preExecute as the engine takes it (a task a processor keeps: see {@link ownTask}). */
  static preExecuteOf<T>(task: AsyncTask<T>): PhaseFn<T> | undefined {
    return (task as BrandedTask<T>).#preExecute;
  }

  /** The task's execute as the engine takes it. */
  static executeOf<T>(task: AsyncTask<T>): PhaseFn<T> | undefined {
    return (task as BrandedTask<T>).#execute;
  }

  /** The task's postExecute as the engine takes it. */
  static postExecuteOf<T>(task: AsyncTask<T>): PhaseFn<T> | undefined {
    return (task as BrandedTask<T>).#postExecute;
  }
}
Object.defineProperty(BrandedTask.prototype, brand, { value: true });

/** @internal A task's phases as the engine takes them, without making a record per phase. */
export const preExecuteOf = BrandedTask.preExecuteOf;
/** @internal */
export const executeOf = BrandedTask.executeOf;
/** @internal */
export const postExecuteOf = BrandedTask.postExecuteOf;

/**
 * @internal The task as a processor keeps it: the task itself, or, for a task made by another
 * copy of sdax, a task of this copy with the same name and phases, each read once here. A
 * Proxy of a task, or an object inheriting from one or imitating one, is refused.
 */
export function ownTask<T>(task: AsyncTask<T>, method: string): AsyncTask<T> {
  if (BrandedTask.isOwn(task)) return task;
  if (!isMadeByACopy(task)) {
    throw new SdaxBuildError(
      "invalid-task",
      `${method}: expected a task made by task() or join(), got an object inheriting from a task or imitating one (add the task itself)`,
      undefined,
      "task",
    );
  }
  let name: unknown;
  let phases: TaskPhases<T>;
  try {
    name = task.name;
    phases = {
      preExecute: task.preExecute,
      execute: task.execute,
      postExecute: task.postExecute,
    };
  } catch (error) {
    throw unreadableInput(
      "invalid-task",
      `${method}: the task could not be read; a Proxy of a task cannot be added (add the task itself)`,
      error,
      undefined,
      "task",
    );
  }
  checkName(name, method);
  return new BrandedTask<T>(
    name,
    phaseOf(phases, "preExecute", name, false),
    phaseOf(phases, "execute", name, false),
    phaseOf(phases, "postExecute", name, false),
  );
}

/**
 * True when the object's own prototype carries the task brand: an instance of some copy's task
 * class, not an object inheriting from a task (whose prototype is the task) nor one with the
 * brand set on itself. Never throws.
 */
function isMadeByACopy(task: object): boolean {
  try {
    const prototype: unknown = Object.getPrototypeOf(task);
    return typeof prototype === "object" && prototype !== null && Object.hasOwn(prototype, brand);
  } catch {
    return false;
  }
}

/** True when the task has at least one phase (a join has none). */
function hasPhases<T>(task: AsyncTask<T>): boolean {
  return (
    preExecuteOf(task) !== undefined ||
    executeOf(task) !== undefined ||
    postExecuteOf(task) !== undefined
  );
}

function isPhaseName(key: string): boolean {
  return key === "preExecute" || key === "execute" || key === "postExecute";
}

function checkName(name: unknown, maker: string): asserts name is string {
  if (typeof name !== "string" || name.trim() === "") {
    throw new SdaxBuildError(
      "invalid-name",
      `${maker}(): a task name must be a non-empty string, not only spaces, got ${describeValue(name)}`,
      undefined,
      "name",
    );
  }
}
