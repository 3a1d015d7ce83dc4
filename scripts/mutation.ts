/**
 * Mutation check: injects deliberate bugs into the engine, one at a time, and records which
 * tests catch each.
 *
 * For every mutation it copies the repository to a temporary directory (node_modules is a
 * symlink; the working tree is never touched), applies the mutation as exact string replacements
 * in the copy's src/ (a target string that is not found exactly once is an error: the engine
 * changed, update the mutation), runs `vitest run` there and collects the failed tests. An
 * unmutated copy is run first: tests failing already are reported and not counted.
 *
 *   npx tsx scripts/mutation.ts            # every mutation
 *   npx tsx scripts/mutation.ts M3 M5      # some of them
 *   npx tsx scripts/mutation.ts --json     # the results as one JSON line at the end
 *   npx tsx scripts/mutation.ts --dry      # only check that every mutation still applies
 *   npx tsx scripts/mutation.ts --tests test/conformance   # run only these test files or
 *                                          # folders (repeatable, or comma-separated), to see
 *                                          # whether they catch each mutation on their own
 *
 * Exit code 1 if a mutation survives (no test fails) or a mutation no longer applies.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { MUTATIONS, type Mutation } from "./mutations.js";

interface Outcome {
  readonly id: string;
  readonly bug: string;
  readonly breaks: string;
  readonly failed: string[];
  readonly error?: string;
}

const root = fileURLToPath(new URL("..", import.meta.url));

function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "sdax-mutation-"));
  cpSync(root, dir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(root, src);
      return !(
        rel === "node_modules" ||
        rel === ".git" ||
        rel.startsWith("node_modules/") ||
        rel.startsWith(".git/")
      );
    },
  });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

function apply(dir: string, mutation: Mutation): void {
  for (const edit of mutation.edits) {
    const path = join(dir, edit.file);
    const text = readFileSync(path, "utf8");
    const count = text.split(edit.find).length - 1;
    if (count !== 1) {
      throw new Error(
        `${mutation.id}: expected the target string exactly once in ${edit.file}, found it ${count} times:\n${edit.find}`,
      );
    }
    writeFileSync(
      path,
      text.replace(edit.find, () => edit.replace),
    );
  }
}

interface VitestJson {
  readonly testResults: readonly {
    readonly name: string;
    readonly status: string;
    readonly message?: string;
    readonly assertionResults: readonly { readonly fullName: string; readonly status: string }[];
  }[];
}

/** Runs the suite in `dir` (only `only`, if given); returns the failed tests as `file > name`. */
function runTests(dir: string, only: readonly string[]): string[] {
  const out = join(dir, "vitest-result.json");
  try {
    execFileSync(
      "npx",
      [
        "vitest",
        "run",
        ...only,
        "--reporter=json",
        `--outputFile=${out}`,
        "--testTimeout=10000",
        "--hookTimeout=10000",
        // That test checks the mutations still apply to the unmutated engine: in a mutated
        // copy it fails by construction and would count as a catch.
        "--exclude=test/spec/mutations.test.ts",
      ],
      { cwd: dir, stdio: "ignore", timeout: 15 * 60_000, env: { ...process.env, CI: "1" } },
    );
  } catch {
    // vitest exits non-zero when a test fails; the JSON says which.
  }
  let json: VitestJson;
  try {
    json = JSON.parse(readFileSync(out, "utf8")) as VitestJson;
  } catch {
    return ["(vitest produced no result: the run crashed or timed out)"];
  }
  const failed: string[] = [];
  for (const file of json.testResults) {
    const name = relative(dir, file.name);
    const tests = file.assertionResults.filter((t) => t.status === "failed");
    for (const t of tests) failed.push(`${name} > ${t.fullName}`);
    if (file.status === "failed" && tests.length === 0)
      failed.push(`${name} > (file failed: ${file.message ?? "error"})`);
  }
  return failed;
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  if (args.includes("--dry")) {
    for (const m of MUTATIONS) {
      const dir = copyRepo();
      try {
        apply(dir, m);
        execFileSync("npx", ["tsc", "-p", "tsconfig.json", "--noEmit"], {
          cwd: dir,
          stdio: "ignore",
        });
        console.log(`${m.id} applies and typechecks`);
      } catch (error) {
        console.log(`${m.id} BROKEN: ${String(error).slice(0, 300)}`);
        process.exitCode = 1;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return;
  }
  // `--tests a --tests b,c` or `--tests=a,b`: the test paths given to vitest.
  const tests: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--tests") tests.push(...(args[++i] ?? "").split(",").filter((t) => t !== ""));
    else if (arg.startsWith("--tests="))
      tests.push(
        ...arg
          .slice(8)
          .split(",")
          .filter((t) => t !== ""),
      );
    else if (!arg.startsWith("--")) ids.push(arg);
  }
  const only = ids;
  const chosen = only.length === 0 ? MUTATIONS : MUTATIONS.filter((m) => only.includes(m.id));
  if (chosen.length === 0) throw new Error(`no mutation among ${only.join(", ")}`);

  console.log(
    `baseline: running the unmutated ${tests.length > 0 ? `tests (${tests.join(", ")})` : "suite"} in a copy ...`,
  );
  const baseDir = copyRepo();
  const baseline = new Set(runTests(baseDir, tests));
  rmSync(baseDir, { recursive: true, force: true });
  if (baseline.size > 0) {
    console.log(`baseline: ${baseline.size} test(s) already fail and are not counted:`);
    for (const t of baseline) console.log(`  ${t}`);
  } else {
    console.log("baseline: every test passes");
  }

  const outcomes: Outcome[] = [];
  for (const m of chosen) {
    const dir = copyRepo();
    try {
      apply(dir, m);
      const started = Date.now();
      const failed = runTests(dir, tests).filter((t) => !baseline.has(t));
      outcomes.push({ id: m.id, bug: m.bug, breaks: m.breaks, failed });
      console.log(
        `${m.id} ${failed.length > 0 ? "killed" : "SURVIVED"} by ${failed.length} test(s) in ${Math.round((Date.now() - started) / 1000)} s: ${m.bug}`,
      );
    } catch (error) {
      outcomes.push({ id: m.id, bug: m.bug, breaks: m.breaks, failed: [], error: String(error) });
      console.log(`${m.id} NOT APPLIED: ${String(error)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  console.log(
    "\n| mutation | bug | breaks | result | failed tests | caught by (test files: failed tests) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const o of outcomes) {
    const byFile = new Map<string, number>();
    for (const t of o.failed) {
      const file = t.split(" > ")[0]!;
      byFile.set(file, (byFile.get(file) ?? 0) + 1);
    }
    const files = [...byFile]
      .sort((a, b) => b[1] - a[1])
      .map(([f, c]) => `${f.replace(/^test\//, "")}: ${c}`)
      .join("; ");
    const result =
      o.error !== undefined ? "not applied" : o.failed.length > 0 ? "killed" : "**survived**";
    console.log(`| ${o.id} | ${o.bug} | ${o.breaks} | ${result} | ${o.failed.length} | ${files} |`);
  }
  console.log("\nExamples of the failing tests, per mutation:");
  for (const o of outcomes) {
    console.log(`${o.id}:`);
    const preferred = [
      ...o.failed.filter((t) => /test\/(verify|property|exhaustive)\//.test(t)),
      ...o.failed.filter((t) => !/test\/(verify|property|exhaustive)\//.test(t)),
    ];
    for (const t of preferred.slice(0, 6)) console.log(`  ${t}`);
  }
  if (json) console.log(JSON.stringify({ baseline: [...baseline], outcomes }));
  const bad = outcomes.filter((o) => o.error !== undefined || o.failed.length === 0);
  process.exitCode = bad.length > 0 ? 1 : 0;
}

main();
