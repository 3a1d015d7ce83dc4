/**
 * Bundle size check: what a browser user ships for a small workflow.
 *
 * Bundles a three-task workflow (two tasks on level 1, one on level 2, one `taskFunc` with a
 * timeout and retries, the error guard) from `src/` with esbuild for the browser, minified, and
 * prints its size raw and gzipped, with the largest inputs. Exits 1 above the limits.
 *
 *   npm run size
 *   npx tsx scripts/bundle-size.ts --max-raw 72000 --max-gzip 23000
 */
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

import { root } from "./package-tools.js";

/**
 * The limits, in bytes: 78.5 KB minified, 25.25 KB gzipped. (20 KB gzipped until the engine's
 * light attempts, which run a bare phase without a full attempt record, added 0.76 KB; 21 KB
 * until checks of user input that could half-run a workflow or crash a run added 0.7 KB: task
 * functions of another copy and classes at build time, the run's signal, a clock's
 * clearTimeout starting child work, each with its message; 22 KB and 70 KB minified until more
 * of them added 1.1 KB: names escaped in messages, plain option objects read by their own
 * properties, retryOn and random that must answer at once, the scope of a retry, and the
 * lifecycle's sets derived from its tables rather than spelled out; 23 KB and 72 KB minified
 * until 0.35 KB more: constructors that refuse to be called by hand, a phase runner that
 * answers at once after a crash, its dispose method where a runtime has no
 * `Symbol.asyncDispose`, and toMermaid's options checked as every other options argument;
 * 23.5 KB and 73 KB minified until 1 KB more: every error an attempt throws after its
 * outcome kept and reported with its failure, a task's phases read by their own properties,
 * error classes refused as retryOn, and given values shown on one line in messages; 24.5 KB
 * and 76 KB minified until 0.3 KB more: a failed run's error as JSON, frozen failures, and
 * build errors that name what code ported from Python meant; 24.75 KB and 76.5 KB minified
 * until 0.4 KB more: long names cut in messages, another realm's error classes refused as
 * retryOn and an answer that is an error named, the nearest name suggested for a missing
 * dependency, and a phase runner's report; 25.1 KB and 78 KB minified until 0.1 KB more: an
 * array's push given as onEvent refused.)
 */
const MAX_RAW = 78_500;
const MAX_GZIP = 25_250;

const WORKFLOW = `
import { AsyncTaskProcessor, isSdaxExecutionError, task, taskFunc } from "./src/index.ts";

const processor = AsyncTaskProcessor.builder()
  .addTask(task("auth", {
    preExecute: async (ctx) => { ctx.user = 7; },
    postExecute: async (ctx) => { ctx.closed = true; },
  }), 1)
  .addTask(task("flags", {
    preExecute: taskFunc(async (ctx) => { ctx.flags = { beta: true }; }, { timeoutMs: 1000, retries: 2 }),
  }), 1)
  .addTask(task("data", { execute: async (ctx) => { ctx.data = [ctx.user]; } }), 2)
  .build();

export async function run() {
  const ctx = {};
  try {
    return await processor.processTasks(ctx);
  } catch (error) {
    if (isSdaxExecutionError(error)) return error.failures;
    throw error;
  }
}
`;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`${name} needs a number of bytes`);
  return value;
}

/** Output bytes per package (or "sdax" for the library's own sources), largest first. */
function byPackage(metafile: Metafile): [string, number][] {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match?.[1] ?? (path.startsWith("src/") ? "sdax" : path);
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

const maxRaw = option("--max-raw", MAX_RAW);
const maxGzip = option("--max-gzip", MAX_GZIP);
const result = await build({
  stdin: { contents: WORKFLOW, resolveDir: root, loader: "ts", sourcefile: "workflow.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  metafile: true,
  logLevel: "warning",
});
const code = result.outputFiles[0]!.contents;
const raw = code.byteLength;
const gzip = gzipSync(code, { level: 9 }).byteLength;

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
console.log("three-task workflow, esbuild --bundle --minify --platform=browser:");
for (const [name, bytes] of byPackage(result.metafile).slice(0, 5))
  console.log(`  ${name.padEnd(20)} ${kb(bytes).padStart(10)}`);
console.log(`minified: ${raw} bytes (${kb(raw)}; limit ${kb(maxRaw)})`);
console.log(`gzipped:  ${gzip} bytes (${kb(gzip)}; limit ${kb(maxGzip)})`);
if (raw > maxRaw || gzip > maxGzip) {
  console.error("bundle-size: over the limit");
  process.exit(1);
}
console.log("bundle-size: ok");
