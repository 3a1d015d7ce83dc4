/**
 * Pack smoke test: what a user installs works.
 *
 * Packs the package (`npm pack`, which builds it first), checks the tarball's contents, installs
 * the tarball into a clean temporary project (its dependency zod from the npm cache or the
 * registry), and uses it there:
 *
 * - from ESM: `import { ... } from "sdax"`, running a workflow that fails and cleans up;
 * - from CommonJS: `require("sdax")` (Node 20.19+ loads an ES module by require);
 * - from TypeScript: `tsc` with `module: nodenext`, an ESM file and a CommonJS (.cts) file,
 *   with `lib: ["ES2022", "DOM"]`, no @types/node and no `skipLibCheck`, then runs the output.
 *
 * Relative links in the packed Markdown that lead outside the package are listed as warnings.
 *
 *   npm run smoke:pack
 *   npx tsx scripts/smoke-pack.ts --keep     # keep the temporary project, print its path
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";

import { output, root, run } from "./package-tools.js";

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const WORKFLOW = (importLine: string) => `${importLine}

const log = [];
const processor = AsyncTaskProcessor.builder()
  .addTask(task("db", {
    preExecute: () => { log.push("db open"); },
    postExecute: () => { log.push("db close"); },
  }), 1)
  .addTask(task("fail", { execute: taskFunc(async () => { throw new Error("boom"); }, { retries: 0 }) }), 2)
  .build();

processor.processTasks({}).then(
  () => { console.log("unexpected success"); process.exitCode = 1; },
  (error) => {
    if (!isSdaxExecutionError(error)) throw error;
    console.log(JSON.stringify({ failures: error.failures.map((f) => f.task + "." + f.phase), log }));
  },
);
`;

const EXPECTED = JSON.stringify({ failures: ["fail.execute"], log: ["db open", "db close"] });

const TS_ESM = `import { AsyncTaskProcessor, isSdaxExecutionError, type RunReport, task } from "sdax";

const processor = AsyncTaskProcessor.builder<{ n?: number }>()
  .addTask(task("a", { execute: (ctx) => { ctx.n = 1; } }), 1)
  .build();
const report: RunReport = await processor.processTasks({});
console.log(JSON.stringify({ esm: report.tasks, guard: isSdaxExecutionError(report) }));
`;

const TS_CJS = `import { AsyncTaskProcessor, task } from "sdax";

const processor = AsyncTaskProcessor.builder<{ n?: number }>()
  .addTask(task("a", { execute: (ctx) => { ctx.n = 1; } }), 1)
  .build();
processor.processTasks({}).then((report) => console.log(JSON.stringify({ cjs: report.tasks })));
`;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`smoke-pack: ${what}`);
  console.log(`ok   ${what}`);
}

/** Relative Markdown links in packed files whose targets are not packed. */
function brokenLinks(dir: string, files: ReadonlySet<string>): string[] {
  const broken: string[] = [];
  for (const file of files) {
    if (!file.endsWith(".md")) continue;
    const text = readFileSync(join(dir, file), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:|^#/i.test(target)) continue;
      const path = normalize(join(dirname(file), target.split("#")[0]!)).replace(/\/$/, "");
      const packed = files.has(path) || [...files].some((f) => f.startsWith(`${path}/`));
      if (!packed) broken.push(`${file}: ${target}`);
    }
  }
  return broken;
}

/** `node` with the flag require(esm) needs before Node 20.19 / 22.12 (none after). */
function requireFlags(): string[] {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const unflagged = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  return unflagged ? [] : ["--experimental-require-module"];
}

const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "sdax-smoke-"));
try {
  // 1. Pack (npm runs prepack: a fresh build).
  const packed = JSON.parse(
    output("npm", ["pack", "--json", "--pack-destination", work]),
  ) as PackResult[];
  const tarball = join(work, packed[0]!.filename);
  const files = new Set(packed[0]!.files.map((f) => f.path));
  console.log(`packed ${tarball}: ${files.size} files`);
  check(files.has("dist/index.js") && files.has("dist/index.d.ts"), "dist/index.js and .d.ts");
  check(files.has("docs/getting-started.md") && files.has("spec/README.md"), "docs/ and spec/");
  check(
    files.has("README.md") && files.has("CHANGELOG.md") && files.has("LICENSE"),
    "README, CHANGELOG, LICENSE",
  );
  check(
    ![...files].some((f) => f.endsWith(".map")),
    "no source maps (their sources are not shipped)",
  );
  check(
    ![...files].some((f) => /^(src|test|scripts|bench|montecarlo|docs\/api)\//.test(f)),
    "no src/, test/, scripts/, bench/, montecarlo/ or docs/api/",
  );

  // 2. Install it into a clean project.
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], app);
  const unpacked = join(app, "node_modules", "sdax");
  const broken = brokenLinks(unpacked, files);
  for (const link of broken) console.log(`warn link outside the package: ${link}`);

  // 3. ESM.
  writeFileSync(
    join(app, "esm.mjs"),
    WORKFLOW('import { AsyncTaskProcessor, isSdaxExecutionError, task, taskFunc } from "sdax";'),
  );
  check(output("node", ["esm.mjs"], app).trim() === EXPECTED, "import from ESM runs a workflow");

  // 3b. The other entry points: sdax/testing alone, sdax/otel once its optional peer is there.
  writeFileSync(
    join(app, "testing.mjs"),
    `import { exploreFailures } from "sdax/testing";
import { AsyncTaskProcessor, task } from "sdax";
const released = [];
const processor = AsyncTaskProcessor.builder()
  .addTask(task("db", { preExecute: () => {}, postExecute: () => { released.push(1); } }), 1)
  .build();
const result = await exploreFailures(processor, { context: () => ({}), check: () => {}, seed: 1 });
console.log(JSON.stringify({ runs: result.runs, violations: result.violations.length }));
`,
  );
  check(
    output("node", ["testing.mjs"], app).trim() === JSON.stringify({ runs: 4, violations: 0 }),
    "sdax/testing explores a workflow",
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "@opentelemetry/api@1.9.0"],
    app,
  );
  writeFileSync(
    join(app, "otel.mjs"),
    `import { instrument } from "sdax/otel";
import { AsyncTaskProcessor, task } from "sdax";
const processor = AsyncTaskProcessor.builder()
  .addTask(task("a", { execute: () => {} }), 1)
  .build();
const report = await instrument(processor).processTasks({});
console.log(JSON.stringify({ otel: report.tasks }));
`,
  );
  check(
    output("node", ["otel.mjs"], app).trim() === JSON.stringify({ otel: 1 }),
    "sdax/otel runs a traced workflow (no SDK registered: a no-op tracer)",
  );

  // 4. CommonJS: require(esm).
  writeFileSync(
    join(app, "cjs.cjs"),
    WORKFLOW(
      'const { AsyncTaskProcessor, isSdaxExecutionError, task, taskFunc } = require("sdax");',
    ),
  );
  const cjs = execFileSync("node", [...requireFlags(), "cjs.cjs"], {
    cwd: app,
    encoding: "utf8",
    stdio: "pipe",
  });
  check(cjs.trim() === EXPECTED, `require from CommonJS runs a workflow (node ${process.version})`);

  // 5. TypeScript, module nodenext: an ESM file and a CommonJS file.
  writeFileSync(join(app, "main.mts"), TS_ESM);
  writeFileSync(join(app, "main.cts"), TS_CJS);
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "nodenext",
        lib: ["ES2022", "DOM"],
        types: [],
        strict: true,
        skipLibCheck: false,
        outDir: "out",
      },
      files: ["main.mts", "main.cts"],
    }),
  );
  run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", app], app);
  check(
    output("node", ["out/main.mjs"], app).trim() === JSON.stringify({ esm: 1, guard: false }),
    "TypeScript ESM consumer (nodenext) compiles and runs",
  );
  check(
    output("node", [...requireFlags(), "out/main.cjs"], app).trim() === JSON.stringify({ cjs: 1 }),
    "TypeScript CommonJS consumer (nodenext, .cts) compiles and runs",
  );
  console.log(`smoke-pack: ok${broken.length > 0 ? ` (${broken.length} link warnings)` : ""}`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
