/**
 * sdax benchmarks: `npm run bench -- [--quick] [--only W1,W3] [--json]`.
 * Ratios against hand-written Promise.all code doing the same calls, in one process; see
 * bench/README.md for the method. A report, never a test: it fails only when an
 * implementation makes the wrong number of calls.
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs, USAGE } from "./cli.js";
import { forceGc } from "./gc.js";
import { heapPerRun } from "./heap.js";
import type { ImplName } from "./impls/impl.js";
import { raw } from "./impls/raw.js";
import { sdax } from "./impls/sdax.js";
import { costRatios, ratios, type Samples, sample } from "./method.js";
import { median, quantile, spread } from "./stats.js";
import { BENCHES, BUILD_TASKS, CONCURRENT_RUNS, smallWorkload } from "./workloads.js";

interface Row {
  readonly workload: string;
  readonly impl: string;
  readonly medianMs: number;
  readonly ratioVsRaw: number | null;
  readonly p25: number | null;
  readonly p75: number | null;
}

interface Target {
  readonly workload: string;
  readonly measure: string;
  readonly value: number;
  readonly p25: number;
  readonly p75: number;
  readonly target: string;
  readonly met: boolean;
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

async function main(): Promise<void> {
  const ids = BENCHES.map((b) => b.id);
  const opts = parseArgs(process.argv.slice(2), ids);
  if (typeof opts === "string") {
    if (opts !== "") console.error(opts);
    console.error(USAGE);
    process.exitCode = opts === "" ? 0 : 2;
    return;
  }
  if (opts.one !== undefined) {
    await runOne(opts.one, opts);
    return;
  }
  // With --json, stdout carries only the JSON line.
  const say = (text: string): void => {
    (opts.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  if (forceGc === undefined) say("warning: no forced GC available; samples will be noisy");
  say(`sdax bench: node ${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}`);
  say(
    `${opts.rounds} rounds, samples of ~${opts.sampleMs} ms after a forced GC, round-robin with a rotating start; each benchmark in ${opts.processes} fresh processes`,
  );

  const rows: Row[] = [];
  const targets: Target[] = [];
  const medians = new Map<string, Record<string, number>>();
  const chosen = BENCHES.filter((b) => opts.only.length === 0 || opts.only.includes(b.id));
  for (const bench of chosen) {
    say(`\n${bench.id}: ${bench.what}`);
    const merged: Samples = new Map();
    const heaps: { sdax: number; raw: number }[] = [];
    for (let p = 0; p < opts.processes; p++) {
      const one = inFreshProcess(bench.id, opts);
      for (const [impl, times] of Object.entries(one.samples)) {
        const into = merged.get(impl as ImplName) ?? [];
        into.push(...times);
        merged.set(impl as ImplName, into);
      }
      if (one.heap !== undefined) heaps.push(one.heap);
    }
    const found = report(bench.id, merged, say);
    rows.push(...found.rows);
    targets.push(...targetsOf(bench.id, merged));
    medians.set(bench.id, found.medians);
    if (bench.unsupported !== undefined) say(`  not run: ${bench.unsupported}`);
    if (heaps.length > 0) {
      const sdaxBytes = median(heaps.map((h) => h.sdax));
      const rawBytes = median(heaps.map((h) => h.raw));
      say(`  heap per in-flight run: sdax ${fmt(sdaxBytes, 0)} B, raw ${fmt(rawBytes, 0)} B`);
      const ratio = sdaxBytes / rawBytes;
      targets.push({
        workload: "W5",
        measure: "heap per in-flight run vs raw",
        value: ratio,
        p25: ratio,
        p75: ratio,
        target: "<= 1.5x",
        met: ratio <= 1.5,
      });
    }
  }
  targets.push(...growthTargets(medians));

  say("\nTargets:");
  for (const t of targets) {
    say(
      `  ${t.met ? "met   " : "MISSED"} ${t.workload} ${t.measure}: ${fmt(t.value)} (p25-p75 ${fmt(t.p25)}-${fmt(t.p75)}), target ${t.target}`,
    );
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ results: rows, targets })}\n`);
}

/** What one process measured of one benchmark. */
interface OneResult {
  /** Per implementation, the ms of one unit in each round. */
  readonly samples: Record<string, number[]>;
  /** W5: heap bytes per in-flight run. */
  readonly heap?: { sdax: number; raw: number };
}

/**
 * Runs one benchmark in a fresh process: the heap and JIT state one benchmark leaves behind
 * (100,000 promises, async.auto's garbage) would otherwise move the next one's ratios.
 */
function inFreshProcess(id: string, opts: { rounds: number; quick: boolean }): OneResult {
  const args = [...(opts.quick ? ["--quick"] : []), "--rounds", String(opts.rounds)];
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--one", id, ...args],
    { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const last = child.stdout.trim().split("\n").at(-1) ?? "";
  if (child.status !== 0 || !last.startsWith("{")) {
    throw new Error(`benchmark ${id} failed in its process (exit ${child.status})`);
  }
  return JSON.parse(last) as OneResult;
}

/** The child's side: samples one benchmark and prints them as one JSON line. */
async function runOne(id: string, opts: { rounds: number; sampleMs: number }): Promise<void> {
  const bench = BENCHES.find((b) => b.id === id)!;
  const samples = await sample(bench.contenders(), opts);
  const result: OneResult = {
    samples: Object.fromEntries(samples),
    ...(id === "W5"
      ? {
          heap: {
            sdax: await heapPerRun(sdax, smallWorkload, CONCURRENT_RUNS),
            raw: await heapPerRun(raw, smallWorkload, CONCURRENT_RUNS),
          },
        }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** One benchmark's rows: each implementation's median and its ratio to raw, printed. */
function report(id: string, samples: Samples, say: (text: string) => void) {
  const rows: Row[] = [];
  const medians: Record<string, number> = {};
  const hasRaw = samples.has("raw");
  for (const [impl, times] of samples) {
    const r = hasRaw ? ratios(samples, impl, "raw") : [];
    const row: Row = {
      workload: id,
      impl,
      medianMs: median(times),
      ratioVsRaw: hasRaw ? median(r) : null,
      p25: hasRaw ? quantile(r, 0.25) : null,
      p75: hasRaw ? quantile(r, 0.75) : null,
    };
    rows.push(row);
    medians[impl] = row.medianMs;
    const ratio =
      row.ratioVsRaw === null
        ? ""
        : `  ${fmt(row.ratioVsRaw)}x raw  (p25-p75 ${fmt(row.p25!)}-${fmt(row.p75!)})`;
    say(`  ${impl.padEnd(10)} ${fmt(row.medianMs, 3).padStart(10)} ms${ratio}`);
  }
  return { rows, medians };
}

/** The targets one benchmark's samples decide. */
function targetsOf(id: string, samples: Samples): Target[] {
  const out: Target[] = [];
  const vsRaw = (limit: number, label = `<= ${limit}x raw`) => {
    const s = spread(ratios(samples, "sdax", "raw"));
    out.push({ workload: id, measure: "sdax vs raw", ...s, target: label, met: s.value <= limit });
  };
  if (id === "W1" || id === "W2" || id === "W5") vsRaw(1.5);
  if (id === "W3") vsRaw(1.0);
  if (id === "W6") {
    const s = spread(ratios(samples, "sdax", "sdax-bare"));
    out.push({
      workload: id,
      measure: "with a listener vs the bare run",
      ...s,
      target: "<= 3x",
      met: s.value <= 3,
    });
  }
  if (id === "W7" || id === "W8") {
    const s = spread(costRatios(samples, ["sdax", "sdax-bare"], ["raw", "raw-bare"]));
    out.push({
      workload: id,
      measure: `sdax's cost of the ${id === "W7" ? "signal" : "timeout"} vs raw code's`,
      ...s,
      target: "<= 1.2x",
      met: s.value <= 1.2,
    });
  }
  if (id === "W9") {
    const perTask = (samples.get("sdax") ?? []).map((ms) => (ms * 1000) / BUILD_TASKS);
    const s = spread(perTask);
    out.push({
      workload: id,
      measure: "µs per task",
      ...s,
      target: "<= 0.5",
      met: s.value <= 0.5,
    });
  }
  for (const peer of ["effect", "p-graph", "async"] as const) {
    if (!samples.has(peer)) continue;
    const s = spread(ratios(samples, "sdax", peer));
    out.push({
      workload: id,
      measure: `sdax vs ${peer}`,
      ...s,
      target: "< 1x",
      met: s.value < 1,
    });
  }
  return out;
}

/** W4: sdax's growth from 10k to 100k tasks must not exceed raw's own growth. */
function growthTargets(medians: Map<string, Record<string, number>>): Target[] {
  const small = medians.get("W4-10k");
  const big = medians.get("W4-100k");
  if (small === undefined || big === undefined) return [];
  const g = (impl: "sdax" | "raw") => big[impl]! / small[impl]!;
  const value = g("sdax") / g("raw");
  return [
    {
      workload: "W4",
      measure: `growth 10k -> 100k, sdax ${fmt(g("sdax"), 1)}x over raw ${fmt(g("raw"), 1)}x`,
      value,
      p25: value,
      p75: value,
      target: "<= 1",
      met: value <= 1,
    },
  ];
}

await main();
