/**
 * Checks the formal model and the engine's conformance to it.
 *
 * 1. Simulates spec/lifecycle.qnt with Quint (`quint run --backend=typescript`) with every
 *    invariant of the model (`inv*`, `live*`, `model*` definitions), over many random traces,
 *    in two worker processes with different seeds.
 * 2. Replays traces written by those simulations (`--out-itf`) on the real engine
 *    (test/conformance/replay.ts): the engine's lifecycle events must be the model's, one for
 *    one.
 *
 *    First, the model's unit tests (spec/lifecycle_test.qnt, `quint test`) run and write their
 *    directed traces, which are replayed too.
 * 3. Replays the committed corpus of model traces (test/conformance/corpus.json.gz) as well.
 *
 *   npx tsx scripts/spec-check.ts            # 10,000 traces simulated, 2,000 of them replayed
 *   npx tsx scripts/spec-check.ts --quick    # 600 simulated and replayed, and the corpus (CI)
 *   npx tsx scripts/spec-check.ts --long     # 40,000 simulated, 10,000 of them replayed
 *   npx tsx scripts/spec-check.ts --seed 7   # another seed (default: a fixed one)
 *   npx tsx scripts/spec-check.ts --write-corpus   # 1,000 traces of a fixed seed -> the corpus
 *
 * Its last line is one JSON object:
 * `{"samples": n, "invariants": k, "violations": v, "conformanceTraces": m, "mismatches": x}`;
 * the exit code is 1 when v or x is not 0.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CORPUS_PATH, readCorpus } from "../test/conformance/corpus.js";
import { fromItf } from "../test/conformance/itf.js";
import { replay } from "../test/conformance/replay.js";
import type { Trace } from "../test/conformance/trace.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const model = join(root, "spec", "lifecycle.qnt");
const modelTests = join(root, "spec", "lifecycle_test.qnt");
const quintCli = createRequire(import.meta.url).resolve("@informalsystems/quint/dist/src/cli.js");

interface Budget {
  /** Traces simulated with every invariant, per worker. */
  readonly samples: number;
  /** Of those, traces written and replayed on the engine, per worker. */
  readonly replayed: number;
}

const WORKERS = 2;
const BUDGETS: Record<"quick" | "default" | "long" | "corpus", Budget> = {
  quick: { samples: 300, replayed: 300 },
  corpus: { samples: 500, replayed: 500 },
  default: { samples: 5_000, replayed: 1_000 },
  long: { samples: 20_000, replayed: 5_000 },
};
/**
 * Worker `i` simulates from `seed + i * SEED_SPACING`: Quint's simulator seeds each sample from
 * the one before, so neighbouring seeds would give the workers the same traces, shifted by one.
 */
const SEED_SPACING = 1_000_003;
/** Long enough for every run of the model's largest workflows to settle. */
const MAX_STEPS = 80;

/** The names of the model's invariants, as defined in the model. */
function invariantNames(): string[] {
  const text = readFileSync(model, "utf8");
  return [...text.matchAll(/^ {2}val ((?:inv|live|model)[A-Za-z0-9]+) =/gm)].map((m) => m[1]!);
}

interface Simulation {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs quint with `args`; `ok` when it exits with 0. */
function quint(args: readonly string[]): Promise<Simulation> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [quintCli, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ ok: code === 0, output }));
  });
}

/** The model's unit tests, each writing its trace to `out`. */
function modelUnitTests(out: string): Promise<Simulation> {
  return quint([
    "test",
    modelTests,
    "--backend=typescript",
    `--out-itf=${join(out, "{test}.itf.json")}`,
    "--verbosity=1",
  ]);
}

function simulate(
  budget: Budget,
  seed: number,
  invariants: string[],
  out: string,
): Promise<Simulation> {
  return quint([
    "run",
    model,
    "--backend=typescript",
    `--max-samples=${budget.samples}`,
    `--n-traces=${budget.replayed}`,
    `--max-steps=${MAX_STEPS}`,
    `--seed=${seed}`,
    `--out-itf=${join(out, "trace{seq}.itf.json")}`,
    "--verbosity=1",
    "--invariants",
    ...invariants,
  ]);
}

function readTraces(dir: string): { readonly name: string; readonly trace: Trace }[] {
  return readdirSync(dir)
    .sort()
    .map((file) => ({
      name: file,
      trace: fromItf(JSON.parse(readFileSync(join(dir, file), "utf8"))),
    }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const writeCorpus = args.includes("--write-corpus");
  const mode = writeCorpus
    ? "corpus"
    : args.includes("--quick")
      ? "quick"
      : args.includes("--long")
        ? "long"
        : "default";
  const seedAt = args.indexOf("--seed");
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 20_251_206;
  if (!Number.isSafeInteger(seed)) throw new Error("--seed needs an integer");
  const budget = BUDGETS[mode];
  const invariants = invariantNames();
  if (invariants.length === 0) throw new Error("no invariants found in spec/lifecycle.qnt");

  const dirs = Array.from({ length: WORKERS }, () => mkdtempSync(join(tmpdir(), "sdax-spec-")));
  const testDir = mkdtempSync(join(tmpdir(), "sdax-spec-tests-"));
  try {
    console.log("running the model's unit tests (spec/lifecycle_test.qnt) ...");
    const tests = await modelUnitTests(testDir);
    let violations = 0;
    if (!tests.ok) {
      violations++;
      console.log(`a model unit test failed:\n${tests.output}`);
    }
    const directed = readTraces(testDir);
    console.log(
      `simulating spec/lifecycle.qnt: ${WORKERS} x ${budget.samples} traces, ${invariants.length} invariants ...`,
    );
    const sims = await Promise.all(
      dirs.map((dir, i) => simulate(budget, seed + i * SEED_SPACING, invariants, dir)),
    );
    sims.forEach((sim, i) => {
      if (!sim.ok && !sim.output.includes("[violation]")) {
        throw new Error(`quint failed (seed ${seed + i * SEED_SPACING}):\n${sim.output}`);
      }
      if (!sim.ok) {
        violations++;
        console.log(
          `worker ${i} (seed ${seed + i * SEED_SPACING}) found a violation:\n${sim.output}`,
        );
      }
    });

    const fresh = [...directed, ...dirs.flatMap(readTraces)];
    if (writeCorpus) {
      if (violations > 0) throw new Error("the model has violations: no corpus written");
      writeFileSync(CORPUS_PATH, gzipSync(JSON.stringify(fresh.map((f) => f.trace))));
      console.log(`wrote ${fresh.length} traces to ${CORPUS_PATH}`);
    }
    const corpus = writeCorpus
      ? []
      : readCorpus().map((trace, i) => ({ name: `corpus #${i}`, trace }));
    let traces = 0;
    let mismatches = 0;
    for (const { name, trace } of [...fresh, ...corpus]) {
      const result = await replay(trace);
      traces++;
      if (result.mismatch !== undefined) {
        mismatches++;
        if (mismatches <= 5) {
          console.log(`mismatch in ${name}: ${result.mismatch}`);
          console.log(`  workflow: ${JSON.stringify(trace.workflow)}`);
        }
      }
    }
    console.log(`replayed ${traces} traces on the engine, ${mismatches} mismatches`);
    if (violations > 0 || mismatches > 0) process.exitCode = 1;
    console.log(
      JSON.stringify({
        samples: WORKERS * budget.samples,
        invariants: invariants.length,
        violations,
        conformanceTraces: traces,
        mismatches,
      }),
    );
  } finally {
    for (const dir of [...dirs, testDir]) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
