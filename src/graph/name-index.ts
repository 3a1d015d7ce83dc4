import { SdaxBuildError } from "../errors/build-error.js";
import { quoted } from "../errors/quoted.js";

/*
 * Large workflows keep their names in shards of about 2,000, picked by a hash of the name:
 * V8 allocates a hash table of more than about 4,000 entries in its large-object space, from
 * fresh memory pages at every build, and on virtual machines whose page faults are slow that
 * cost more than all the rest of a build. Small tables are ordinary young objects.
 */
const NAMES_PER_SHARD = 2048;

/** What is read of a task here: its name. */
type Named = { readonly name: string };

/** Enough tables for `names` names (a power of two), each made by `make`. */
function shardsFor<S>(names: number, make: () => S): S[] {
  let count = 1;
  while (count * NAMES_PER_SHARD < names) count *= 2;
  const shards: S[] = [];
  for (let i = 0; i < count; i++) shards.push(make());
  return shards;
}

/** FNV-1a over the UTF-16 code units, masked to a shard. */
function shardOf(name: string, mask: number): number {
  if (mask === 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash & mask;
}

/** Refuses a workflow that uses a name twice, naming both places it was added. */
export function refuseDuplicateNames(tasks: readonly Named[]): void {
  const shards = shardsFor(tasks.length, () => new Set<string>());
  const mask = shards.length - 1;
  for (let i = 0; i < tasks.length; i++) {
    const name = tasks[i]!.name;
    const shard = shards[shardOf(name, mask)]!;
    const size = shard.size;
    shard.add(name);
    if (shard.size === size) throw duplicateName(tasks, i);
  }
}

/** The index of each task name; refuses a name used twice. */
export class NameIndex {
  readonly #shards: Map<string, number>[];
  readonly #mask: number;

  constructor(tasks: readonly Named[]) {
    this.#shards = shardsFor(tasks.length, () => new Map<string, number>());
    this.#mask = this.#shards.length - 1;
    for (let i = 0; i < tasks.length; i++) {
      const name = tasks[i]!.name;
      const shard = this.#shards[shardOf(name, this.#mask)]!;
      if (shard.has(name)) throw duplicateName(tasks, i);
      shard.set(name, i);
    }
  }

  /** The index of `name`, or undefined. */
  get(name: string): number | undefined {
    return this.#shards[shardOf(name, this.#mask)]!.get(name);
  }
}

function duplicateName(tasks: readonly Named[], second: number): SdaxBuildError {
  const name = tasks[second]!.name;
  const first = tasks.findIndex((t) => t.name === name);
  return new SdaxBuildError(
    "duplicate-name",
    `task name ${quoted(name)} is used twice (tasks #${first + 1} and #${second + 1} added); names must be unique`,
    name,
    "name",
  );
}
