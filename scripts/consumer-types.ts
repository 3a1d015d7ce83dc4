/**
 * Consumer type check: the emitted declarations (dist/*.d.ts) compile for the projects that
 * install sdax, with `skipLibCheck` off, so every declaration file is checked:
 *
 * - a browser project: `lib: ["ES2022", "DOM"]`, no @types/node, bundler resolution;
 * - a Node ESM project: `module: nodenext`, the same lib, no @types/node;
 * - a project with @types/node and `lib: ["ESNext"]` (the disposable types declared twice
 *   must merge), using `await using` on a PhaseRunner;
 * - a CommonJS project: `module: nodenext` (or `node20`, or the older `commonjs`) compiles
 *   `import ... from "sdax"` to `require("sdax")`, which Node 20.19+ runs (require of ESM);
 *   `module: node16` and `node18` refuse it with TS1479, as the docs say.
 *
 * Each consumer is a temporary folder whose node_modules/sdax links to this repository.
 *
 *   npm run check:types               # builds first
 *   npx tsx scripts/consumer-types.ts --no-build
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { root, run } from "./package-tools.js";

const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

const USE_ESM = `
import {
  AsyncTaskProcessor,
  type GraphBuilder,
  isSdaxExecutionError,
  type LevelBuilder,
  type PhaseRunner,
  type RunReport,
  task,
  taskFunc,
  VirtualClock,
} from "sdax";

interface Ctx {
  n?: number;
}

const processor = AsyncTaskProcessor.builder<Ctx>()
  .addTask(
    task<Ctx>("a", {
      execute: taskFunc(
        async (ctx, { signal }) => {
          signal.throwIfAborted();
          ctx.n = 1;
        },
        { timeoutMs: 10, retries: 1 },
      ),
    }),
    1,
  )
  .build();

// The context type holds both ways in the emitted declarations too, where private fields
// no longer mention it: a processor or builder that needs more than a context has is refused.
interface Big extends Ctx {
  db: { close(): void };
}
const big = AsyncTaskProcessor.builder<Big>()
  .addTask(task<Big>("db", { postExecute: (ctx) => ctx.db.close() }), 1)
  .build();
// @ts-expect-error: it would run with a context that has no db
export const narrowed: AsyncTaskProcessor<Ctx> = big;
export const widened: AsyncTaskProcessor<Big> = processor; // it needs less: fine
// @ts-expect-error: tasks needing a db could be added to a builder of Ctx
export const builder: LevelBuilder<Big> = AsyncTaskProcessor.builder<Ctx>();
// @ts-expect-error: the same for a graph builder
export const graph: GraphBuilder<Big> = AsyncTaskProcessor.graphBuilder<Ctx>();

export async function main(): Promise<RunReport | undefined> {
  const clock = new VirtualClock();
  const run = processor.processTasks({}, { clock });
  await clock.runAll();
  try {
    return await run;
  } catch (error) {
    if (!isSdaxExecutionError(error)) throw error;
  }
  const runner: PhaseRunner = processor.open({});
  await runner[Symbol.asyncDispose]();
  return undefined;
}
`;

/** The other entry points, typed as a consumer sees them. */
const USE_ENTRIES = `
import { AsyncTaskProcessor, task } from "sdax";
import { instrument, type TracedProcessor } from "sdax/otel";
import { exploreFailures, type Fault } from "sdax/testing";

interface Pool {
  open: number;
}
const processor = AsyncTaskProcessor.builder<Pool>()
  .addTask(task<Pool>("db", { preExecute: (p) => { p.open++; }, postExecute: (p) => { p.open--; } }), 1)
  .build();

interface Bigger extends Pool {
  db: string;
}
// @ts-expect-error: a traced processor needing more is not one for less
export const traced: TracedProcessor<Bigger> extends TracedProcessor<Pool> ? true : never = true;

export async function main(): Promise<(readonly Fault[])[]> {
  await instrument(processor).processTasks({ open: 0 });
  const result = await exploreFailures(processor, {
    context: () => ({ open: 0 }),
    check: (pool: Pool) => {
      if (pool.open !== 0) throw new Error("leak");
    },
  });
  return result.violations.map((v) => v.faults);
}
`;

/** Appended to USE_ESM, whose imports it uses. */
const USE_AWAIT_USING = `
const phased = AsyncTaskProcessor.builder<object>()
  .addTask(task("a", { execute: () => {} }), 1)
  .build();

export async function phases(): Promise<void> {
  await using runner = phased.open({});
  while (await runner.runNext()) {}
  const disposable: AsyncDisposable = runner;
  void disposable;
}
`;

const USE_CJS = `
import { AsyncTaskProcessor, task } from "sdax";

export const processor = AsyncTaskProcessor.builder<object>()
  .addTask(task("a", { execute: () => {} }), 1)
  .build();
`;

const strict = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  target: "ES2022",
  lib: ["ES2022", "DOM"],
  types: [],
};

interface Consumer {
  readonly name: string;
  readonly type: "module" | "commonjs";
  readonly compilerOptions: Record<string, unknown>;
  readonly source: string;
  /** A TypeScript error code the compiler must report; absent: it must compile cleanly. */
  readonly expectError?: string;
}

const consumers: Consumer[] = [
  {
    name: "browser (ES2022 + DOM, bundler, no @types/node)",
    type: "module",
    compilerOptions: { ...strict, module: "ESNext", moduleResolution: "bundler" },
    source: USE_ESM,
  },
  {
    name: "Node ESM (nodenext, ES2022 + DOM, no @types/node)",
    type: "module",
    compilerOptions: { ...strict, module: "nodenext" },
    source: USE_ESM,
  },
  {
    name: "Node ESM (nodenext, ESNext + @types/node, await using)",
    type: "module",
    compilerOptions: {
      ...strict,
      module: "nodenext",
      lib: ["ESNext"],
      types: ["node"],
      typeRoots: [join(root, "node_modules", "@types")],
    },
    source: USE_ESM + USE_AWAIT_USING,
  },
  {
    name: "sdax/otel and sdax/testing (nodenext, ES2022 + DOM, no @types/node)",
    type: "module",
    compilerOptions: { ...strict, module: "nodenext" },
    source: USE_ENTRIES,
  },
  ...["nodenext", "node20"].map(
    (module): Consumer => ({
      name: `CommonJS (${module})`,
      type: "commonjs",
      compilerOptions: { ...strict, module },
      source: USE_CJS,
    }),
  ),
  {
    name: "CommonJS (module commonjs, node10 resolution: main and types)",
    type: "commonjs",
    compilerOptions: { ...strict, module: "commonjs" },
    source: USE_CJS,
  },
  ...["node16", "node18"].map(
    (module): Consumer => ({
      name: `CommonJS (${module}): refused, as the docs say`,
      type: "commonjs",
      compilerOptions: { ...strict, module },
      source: USE_CJS,
      expectError: "TS1479",
    }),
  ),
];

/** Compiles one consumer; returns an error message, or undefined when it behaved as expected. */
function check(consumer: Consumer): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "sdax-consumer-"));
  try {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(root, join(dir, "node_modules", "sdax"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: consumer.type }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: consumer.compilerOptions, files: ["index.ts"] }),
    );
    writeFileSync(join(dir, "index.ts"), consumer.source);
    let out = "";
    let failed = false;
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      failed = true;
      out = String((error as { stdout?: string }).stdout ?? error);
    }
    if (consumer.expectError === undefined) return failed ? out : undefined;
    if (!failed) return `expected ${consumer.expectError}, but it compiled`;
    return out.includes(consumer.expectError)
      ? undefined
      : `expected ${consumer.expectError}:\n${out}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!process.argv.includes("--no-build")) run("npm", ["run", "build"]);
let failures = 0;
for (const consumer of consumers) {
  const problem = check(consumer);
  console.log(`${problem === undefined ? "ok  " : "FAIL"} ${consumer.name}`);
  if (problem !== undefined) {
    failures++;
    console.log(problem.replace(/^/gm, "     "));
  }
}
console.log(
  `consumer-types: ${consumers.length - failures} of ${consumers.length} consumers as expected`,
);
process.exit(failures === 0 ? 0 : 1);
